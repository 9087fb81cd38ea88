"""The wire format of an MMSOnnet send: the ``messagePart`` JSON and the multipart body.

>>> body, content_type = encode(message_part(["tel:+48501102030"], Message(subject="Cześć")), [])
>>> content_type
'application/json'
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from .message import Attachment, Message


def message_part(addresses: Sequence[str], message: Message) -> dict[str, Any]:
    """The ``messagePart`` JSON object of ``message`` to ``addresses``, with only the fields that are set.

    >>> message_part(["tel:+48501102030"], Message(subject="Hej"))
    {'addresses': ['tel:+48501102030'], 'subject': 'Hej', 'deliveryReport': True}
    """
    part: dict[str, Any] = {"addresses": list(addresses)}
    if message.subject is not None:
        part["subject"] = message.subject
    if message.priority is not None:
        part["priority"] = message.priority
    if message.sender is not None:
        part["senderAddress"] = message.sender
    part["deliveryReport"] = bool(message.delivery_report)
    return part


def encode(part: dict[str, Any], attachments: Sequence[Attachment]) -> tuple[bytes, str]:
    """The request body and its Content-Type: JSON alone, or multipart with base64 parts.

    The attachments' parts are encoded once per distinct set of attachments (:func:`_attachment_parts`), and
    each body is the ``messagePart`` between them and its part's headers, encoded with them.
    """
    text = json.dumps(part, ensure_ascii=False).encode("utf-8")
    if not attachments:
        return text, "application/json"
    encoded = _attachment_parts(tuple(attachments))
    return encoded.head + text + b"\r\n" + encoded.tail, encoded.content_type


class _Encoded(NamedTuple):
    """A multipart body's constant bytes: the headers of its ``messagePart`` part, and its attachments' parts with
    the closing line."""

    head: bytes
    tail: bytes
    content_type: str


@functools.lru_cache(maxsize=8)
def _attachment_parts(attachments: tuple[Attachment, ...]) -> _Encoded:
    """The constant bytes of a body with ``attachments``, encoded once (by urllib3, with a boundary of its own)."""
    fields = [
        RequestField(
            "messagePart",
            b"",
            filename="messagePart",
            headers={
                "Content-Type": "application/json; name=messagePart",
                "Content-Transfer-Encoding": "binary",
                "Content-Disposition": 'form-data; name="messagePart"; filename="messagePart"',
            },
        )
    ]
    fields += [
        RequestField(
            att.filename,
            att.b64,
            filename=att.filename,
            headers={
                "Content-Type": att.content_type,
                "Content-Transfer-Encoding": "base64",
                "Content-Disposition": f'form-data; name="{att.filename}"; filename="{att.filename}"',
            },
        )
        for att in attachments
    ]
    body, content_type = encode_multipart_formdata(fields)
    head, _, tail = body.partition(b"\r\n\r\n\r\n")  # the messagePart's headers, its empty text, the rest
    return _Encoded(head + b"\r\n\r\n", tail, content_type)


def encode_message(addresses: Sequence[str], message: Message) -> tuple[bytes, str]:
    """The body and Content-Type of a send of ``message`` to ``addresses``."""
    return encode(message_part(addresses, message), message.attachments)
