"""The sandbox reads a multipart body cut at its boundary exactly as the e-mail parser reads it line by line:
the same parts, headers and decoded bytes, for bodies as clients send them and for bodies that are not (which go
to the e-mail parser)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmsnb.message import Attachment, Message
from mmsnb.sandbox import multipart
from mmsnb.wire import encode, message_part

CRLF = b"\r\n"


def _read(found: list[multipart.Part] | None) -> list[tuple[list[tuple[str, str]], bytes]] | None:
    """Each part's headers, as text, and its bytes: what the two readers are compared on."""
    if found is None:
        return None
    return [([(name, str(value)) for name, value in part.items()], data) for part, data in found]


def _same(body: bytes, content_type: str) -> bool:
    """Whether the body is read alike both ways; True when it was cut at its boundary (not left to e-mail)."""
    assert _read(multipart.parts(body, content_type)) == _read(multipart.by_email(body, content_type))
    return multipart._by_boundary(body, content_type.split("boundary=")[1].strip('"').encode()) is not None


def test_what_mmsnb_sends_is_cut_at_its_boundary_and_read_as_e_mail_reads_it():
    part = message_part(["tel:+48501102030"], Message(subject="Cześć"))
    files = [Attachment.of(("a.mp3", bytes(range(256)) * 300)), Attachment.of(("b.txt", "żółw\r\n--x".encode()))]
    body, content_type = encode(part, files)
    assert b"\r\n" in body[:200] and max(map(len, body.split(CRLF)[-10:])) <= 76  # base64 in lines of 76
    assert _same(body, content_type)
    found = multipart.parts(body, content_type)
    assert found is not None and [data for _, data in found[1:]] == [f.data for f in files]


# -- bodies of every shape -------------------------------------------------------------------------------------
BOUNDARY = st.text("abcXYZ0189'()+_,-./:=?", min_size=1, max_size=20)
CONTENT = st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"\r\n", b"a\rb\nc\r\n", b"--", b"\r\n--x"]))
ENCODING = st.sampled_from(["base64-lines", "base64", "binary", "", "quoted-printable", "7bit"])
ORDINARY = [
    'Content-Disposition: form-data; name="messagePart"; filename="messagePart"',
    "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%C5%BC.jpg",
    "Content-Type: image/jpeg",
    "content-type: text/plain; charset=utf-8",
    "X-Folded: one\r\n two",
]
UNUSUAL = [
    "Content-Type: multipart/mixed; boundary=inner",
    "Content-Type: message/rfc822",
    "not a header line",
    "X-Bare: 1\n",
    "X-Bare: 1\r",
]
HEADERS = st.sampled_from(ORDINARY * 6 + UNUSUAL)


def _encoded(content: bytes, encoding: str) -> tuple[str, bytes]:
    if encoding == "base64-lines":
        return "base64", base64.encodebytes(content).replace(b"\n", CRLF).rstrip(CRLF)
    if encoding == "base64":
        return "base64", base64.b64encode(content)
    return encoding, content


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    boundary = draw(BOUNDARY)
    line_end = draw(st.sampled_from([CRLF] * 7 + [b"\n"]))  # the delimiter lines' ending
    padding = draw(st.sampled_from([b"", b"", b" \t"]))
    out = [draw(st.sampled_from([b"", b"preamble" + CRLF, b"pre\n"]))]
    for _ in range(draw(st.integers(0, 3))):
        encoding, content = _encoded(draw(CONTENT), draw(ENCODING))
        headers = draw(st.lists(HEADERS, max_size=3)) + ([f"Content-Transfer-Encoding: {encoding}"] if encoding else [])
        out += [b"--" + boundary.encode() + padding + line_end]
        out += [CRLF.join(h.encode() for h in headers) + CRLF + CRLF + content + line_end]
    if draw(st.integers(0, 4)):
        out += [b"--" + boundary.encode() + b"--" + draw(st.sampled_from([b"", CRLF, CRLF + b"epilogue" + CRLF]))]
    elif draw(st.booleans()):
        out += [b"--" + boundary.encode() + b"junk" + CRLF]
    kind = draw(st.sampled_from(["form-data"] * 6 + ["digest", "form-data/x", "mixed"]))
    return b"".join(out), f'multipart/{kind}; boundary="{boundary}"'


#: Bodies an attacker found read differently by the first version of the cut (each must now read alike).
FOUND = [
    (b"--b\r\nX-A: 1\n\nline1\r\n\r\nline2\r\n--b--\r\n", "multipart/form-data; boundary=b"),  # LF ends headers
    (b"--b\r\nX-A: 1\r\r\nline1\r\n\r\nline2\r\n--b--\r\n", "multipart/form-data; boundary=b"),  # so does CR
    (b"--b\r\n\r\r\n\r\n\r\n--b--", "multipart/form-data; boundary=b"),
    (b"--b\r\nX-A: 1\r\n\r\nhello\r\n--b--\r\n", "multipart/form-data/x; boundary=b"),  # not a media type
    (b"--?\r\nX-A: 1\r\n\r\nhello\r\n--?--\r\n", 'multipart/form-data; boundary="\xe9"'),  # not ASCII
    (b"--b\r\n\r\nSubject: hi\r\n\r\nbody\r\n--b--\r\n", "multipart/digest; boundary=b"),  # parts are messages
    (b"--b\r\nX-A: 1\r\n\r\nhello\r\n--b--\r\n", "text/plain; boundary=b"),  # not multipart at all
]


@pytest.mark.parametrize(("body", "content_type"), FOUND)
def test_bodies_found_by_an_attacker_are_read_alike(body, content_type):
    assert _read(multipart.parts(body, content_type)) == _read(multipart.by_email(body, content_type))


@settings(max_examples=400, deadline=None)
@given(bodies())
def test_any_body_is_read_alike_whichever_reader_reads_it(body_and_type):
    _same(*body_and_type)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a.txt", "b.mp3", "c.3gp"]), st.binary(min_size=1, max_size=2000)),
        min_size=1,
        max_size=3,
    )
)
def test_the_clients_bodies_are_always_cut_at_their_boundary(files):
    body, content_type = encode(
        message_part(["tel:+48501102030"], Message(subject="Hej")), list(map(Attachment.of, files))
    )
    assert _same(body, content_type)
