"""The wire format of an MMSOnnet send: the ``messagePart`` JSON and the multipart body.

>>> body, content_type = encode(message_part(["tel:+48501102030"], Message(subject="Cześć")), [])
>>> content_type
'application/json'
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary, encode_multipart_formdata

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
    each body is the ``messagePart`` before them.
    """
    text = json.dumps(part, ensure_ascii=False).encode("utf-8")
    if not attachments:
        return text, "application/json"
    boundary, tail = _attachment_parts(tuple(attachments))
    field = RequestField(
        "messagePart",
        text,
        filename="messagePart",
        headers={
            "Content-Type": "application/json; name=messagePart",
            "Content-Transfer-Encoding": "binary",
            "Content-Disposition": 'form-data; name="messagePart"; filename="messagePart"',
        },
    )
    head, content_type = encode_multipart_formdata([field], boundary=boundary)
    return head[: -len(_closing(boundary))] + tail, content_type


def _closing(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("latin-1")


@functools.lru_cache(maxsize=8)
def _attachment_parts(attachments: tuple[Attachment, ...]) -> tuple[str, bytes]:
    """A boundary, and the parts of ``attachments`` with the body's closing line, encoded once."""
    fields = [
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
    boundary = choose_boundary()
    return boundary, encode_multipart_formdata(fields, boundary=boundary)[0]


def encode_message(addresses: Sequence[str], message: Message) -> tuple[bytes, str]:
    """The body and Content-Type of a send of ``message`` to ``addresses``."""
    return encode(message_part(addresses, message), message.attachments)
