"""The parts of a multipart body (RFC 2046 §5.1, RFC 7578): each part's headers and its decoded bytes.

Two readers, one answer. The e-mail parser reads a body line by line, so a file in base64 lines of 76
characters (RFC 2045, what mmsnb sends) costs it a step per line. A body whose boundary appears only in its
delimiter lines, each ending in CRLF (what HTTP clients send), is cut at its boundary in one pass instead; any
other body goes to the e-mail parser. Either way each part's headers are read by the e-mail parser and its
bytes decoded as it decodes them (base64 lines joined, padding mended).

>>> body = b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\nhello\\r\\n--b--\\r\\n'
>>> [(p.get_param("name", header="content-disposition"), data) for p, data in parts(body, "multipart/x; boundary=b")]
[('a', b'hello')]
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

_PARSER = BytesParser(policy=HTTP)

#: One part: its headers, and its bytes decoded.
Part = tuple[Message, bytes]


def parts(body: bytes, content_type: str) -> list[Part] | None:
    """The parts of ``body`` in order; None when it is not a multipart body the e-mail parser can read as one."""
    head = _PARSER.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n", headersonly=True)
    boundary = head.get_boundary()
    # A digest's parts are messages unless they say otherwise: e-mail reads those, as it reads any other type.
    plain = head.get_content_maintype() == "multipart" and head.get_content_subtype() != "digest"
    cut = _by_boundary(body, boundary.encode()) if plain and boundary and boundary.isascii() else None
    return cut if cut is not None else by_email(body, content_type)


def by_email(body: bytes, content_type: str) -> list[Part] | None:
    """The parts of ``body`` as the e-mail parser reads them, line by line."""
    message = _PARSER.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        return None
    return [(part, _decoded(part)) for part in message.get_payload() if isinstance(part, Message)]


def _decoded(part: Message) -> bytes:
    """A part's bytes, decoded by its Content-Transfer-Encoding (empty when it has none)."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _by_boundary(body: bytes, boundary: bytes) -> list[Part] | None:
    """The parts of ``body`` cut at its delimiter lines; None unless the boundary appears only in them (each
    ``CRLF--boundary``, then only spaces or tabs to the CRLF) and the close delimiter ends the parts."""
    pieces = (b"\r\n" + body).split(b"\r\n--" + boundary)
    if body.count(b"--" + boundary) != len(pieces) - 1:  # the boundary elsewhere: a delimiter line e-mail may read
        return None
    found: list[Part] = []
    for piece in pieces[1:]:
        closing = piece.startswith(b"--")
        rest = piece[2:] if closing else piece
        end = rest.find(b"\r\n")
        if rest[: len(rest) if end < 0 else end].strip(b" \t"):
            return None  # text after the boundary on its line: not a delimiter line
        if closing:
            return found or None  # no part: e-mail says whether it is a multipart body at all
        if end < 0:
            return None
        after = b"\r\n" + rest[end + 2 :]  # the part, from the line break that ends its delimiter line
        headers, separator, content = after.partition(b"\r\n\r\n")
        if not separator or b"\r" in headers.replace(b"\r\n", b"") or b"\n" in headers.replace(b"\r\n", b""):
            return None  # e-mail ends the headers at the first empty line, whatever ends its lines
        part = _PARSER.parsebytes(headers.removeprefix(b"\r\n") + b"\r\n\r\n", headersonly=True)
        if part.defects or part.get_content_maintype() in ("multipart", "message"):  # e-mail reads these within
            return None
        part.set_payload(content.decode("ascii", "surrogateescape"))  # as the e-mail parser keeps it
        found.append((part, _decoded(part)))
    return None  # no close delimiter
