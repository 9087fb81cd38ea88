"""The send body, read back by an independent parser (the standard library's e-mail parser)."""

from __future__ import annotations

import base64
import json
from email import policy
from email.message import Message as EmailMessage
from email.parser import BytesParser

import pytest

from mmsnb.errors import InputError
from mmsnb.message import Attachment, Message, safe_filename
from mmsnb.wire import encode, message_part

ADDRESSES = ["tel:+48501102030", "tel:+48510000000"]
JPEG_START = b"\xff\xd8\xff\xe0"
PNG_START = b"\x89PNG\r\n\x1a\n"
GIF_START = b"GIF89a"
POLISH = "Zażółć gęślą jaźń — Cześć Łucjo!"


def parse_multipart(body: bytes, content_type: str, *, parse_policy=policy.compat32) -> list[EmailMessage]:
    """The parts of a multipart body; ``compat32`` keeps every header exactly as written."""
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=parse_policy).parsebytes(
        b"Content-Type: " + content_type.encode("ascii") + b"\r\n\r\n" + body
    )
    assert message.is_multipart()
    assert not message.defects
    return list(message.get_payload())


def headers(part: EmailMessage) -> dict[str, str]:
    items = part.items()
    assert len({k.lower() for k, _ in items}) == len(items), f"repeated header in {items}"
    return {k.lower(): v for k, v in items}


def test_without_attachments_the_body_is_plain_json():
    part = message_part(ADDRESSES, Message(subject="Promocja", sender="Sklep", priority="High", delivery_report=False))
    body, content_type = encode(part, [])
    assert content_type == "application/json"
    assert json.loads(body) == {
        "addresses": ADDRESSES,
        "subject": "Promocja",
        "priority": "High",
        "senderAddress": "Sklep",
        "deliveryReport": False,
    }


def test_message_part_leaves_out_unset_fields_and_asks_for_a_report_by_default():
    assert message_part(["tel:+48501102030"], Message()) == {"addresses": ["tel:+48501102030"], "deliveryReport": True}


def test_unknown_priority_is_refused_by_name():
    with pytest.raises(InputError, match="'Urgent'"):
        Message(priority="Urgent").check()


@pytest.mark.parametrize("with_attachment", [False, True], ids=["json", "multipart"])
def test_polish_letters_are_sent_literally_in_utf8(with_attachment):
    files = [Attachment.of(("a.txt", b"hi"))] if with_attachment else []
    body, _ = encode(message_part(ADDRESSES, Message(subject=POLISH, sender="Śląsk")), files)
    assert POLISH.encode("utf-8") in body
    assert "Śląsk".encode() in body
    assert b"\\u" not in body


def test_multipart_body_follows_the_card(jpeg):
    note = "Regulamin promocji: ważny do końca miesiąca.\n".encode()
    part = message_part(ADDRESSES, Message(subject=POLISH, sender="SenderName", priority="Normal"))
    files = [Attachment.of(("promo.jpg", jpeg)), Attachment.of(("terms.txt", note))]
    body, content_type = encode(part, files)

    parts = parse_multipart(body, content_type)
    assert len(parts) == 3

    first = parts[0]
    assert headers(first) == {
        "content-type": "application/json; name=messagePart",
        "content-transfer-encoding": "binary",
        "content-disposition": 'form-data; name="messagePart"; filename="messagePart"',
    }
    assert json.loads(first.get_payload(decode=True).decode("utf-8")) == part

    for received, (name, ctype, data) in zip(
        parts[1:], [("promo.jpg", "image/jpeg", jpeg), ("terms.txt", "text/plain", note)], strict=True
    ):
        assert headers(received) == {
            "content-type": ctype,
            "content-transfer-encoding": "base64",
            "content-disposition": f'form-data; name="{name}"; filename="{name}"',
        }
        assert received.get_filename() == name
        assert "".join(received.get_payload().split()) == base64.b64encode(data).decode("ascii")
        assert received.get_payload(decode=True) == data


def test_a_polish_file_name_survives_the_multipart_header(jpeg):
    body, content_type = encode(message_part(ADDRESSES, Message()), [Attachment.of(("zdjęcie łąki.jpg", jpeg))])
    parts = parse_multipart(body, content_type, parse_policy=policy.HTTP)
    assert parts[1].get_filename() == "zdjęcie łąki.jpg"
    assert parts[1].get_payload(decode=True) == jpeg


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("promo.jpg", "promo.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\ania\\Pulpit\\promo.png", "promo.png"),
        ('pro"mo.jpg', "pro_mo.jpg"),
        ("it's.gif", "it_s.gif"),
        ("a;b:c<d>e|f*g?.jpg", "a_b_c_d_e_f_g_.jpg"),
        ("tab\there.jpg", "tab_here.jpg"),
        ("nul\x00.jpg", "nul_.jpg"),
        ("del\x7f.jpg", "del_.jpg"),
        ("\u202egpj.exe", "_gpj.exe"),
        ("zdjęcie.jpg", "zdjęcie.jpg"),
        ("  spaced.jpg  ", "spaced.jpg"),
        ("", "attachment"),
        ("..", "attachment"),
        ("dir/", "attachment"),
    ],
    ids=repr,
)
def test_file_names_are_sanitised(given, safe):
    assert safe_filename(given) == safe


def test_a_long_file_name_is_cut_but_keeps_its_extension():
    name = safe_filename("x" * 300 + ".jpeg")
    assert len(name) == 120
    assert name.endswith("x.jpeg")
    assert Attachment.of(("x" * 300 + ".jpeg", JPEG_START)).content_type == "image/jpeg"


def test_a_header_injection_in_a_file_name_stays_inside_one_header():
    body, content_type = encode(
        message_part(ADDRESSES, Message()), [Attachment.of(('a"\r\nX-Injected: 1\r\n.jpg', JPEG_START))]
    )
    parts = parse_multipart(body, content_type)
    assert set(headers(parts[1])) == {"content-type", "content-transfer-encoding", "content-disposition"}
    assert parts[1].get_filename() == "a___X-Injected_ 1__.jpg"


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("promo.jpg", JPEG_START, "image/jpeg"),
        ("PROMO.JPEG", JPEG_START, "image/jpeg"),
        ("logo.png", PNG_START, "image/png"),
        ("spinner.gif", GIF_START, "image/gif"),
        ("old.bmp", b"BM", "image/bmp"),
        ("terms.txt", b"text", "text/plain"),
        ("jingle.amr", b"#!AMR\n", "audio/amr"),
        ("jingle.mp3", b"ID3", "audio/mpeg"),
        ("clip.3gp", b"ftyp3gp", "video/3gpp"),
        ("clip.mp4", b"ftypmp4", "video/mp4"),
        ("layout.smil", b"<smil/>", "application/smil"),
    ],
)
def test_content_type_is_guessed_from_the_name(name, data, content_type):
    assert Attachment.of((name, data)).content_type == content_type


@pytest.mark.parametrize(
    ("data", "given"), [(PNG_START, "image/png"), (PNG_START, "IMAGE/PNG"), (b"text", "text/plain; charset=utf-8")]
)
def test_a_given_content_type_wins_over_the_name(data, given):
    assert Attachment.of(("upload.bin", data, given)).content_type == given


def test_an_attachment_is_read_from_a_path(tmp_path, jpeg):
    path = tmp_path / "sub dir" / "promo.jpg"
    path.parent.mkdir()
    path.write_bytes(jpeg)
    attachment = Attachment.of(path)
    assert (attachment.filename, attachment.content_type, attachment.data) == ("promo.jpg", "image/jpeg", jpeg)
    assert Attachment.of(str(path)).data == jpeg


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (("report.pdf", b"%PDF-1.4"), ["'report.pdf'", "application/pdf"]),
        (("archive.zip", b"PK"), ["'archive.zip'", "cannot carry"]),
        (("no-extension", b"data"), ["'no-extension'", "application/octet-stream"]),
        (("empty.jpg", b""), ["'empty.jpg'", "empty"]),
        (("bad.jpg", "not bytes"), ["'bad.jpg'", "bytes"]),
        (("a", b"x", "image/png", "extra"), ["not understood"]),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) else None,
)
def test_unusable_attachments_are_refused_naming_the_file(spec, words):
    with pytest.raises(InputError) as caught:
        Attachment.of(spec)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("exists", [True, False], ids=["empty-file", "missing-file"])
def test_unusable_attachment_paths_are_refused_naming_the_file(tmp_path, exists):
    path = tmp_path / "photo.jpg"
    if exists:
        path.write_bytes(b"")
    with pytest.raises(InputError, match=r"photo\.jpg"):
        Attachment.of(path)
