"""What the gateway answers, as typed values: send results, delivery statuses, the quota.

>>> parse_limit({"used": "1", "available": "99", "date": "Tue Jan 22 2026"}).available
99
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .errors import InputError, ServerError
from .numbers import normalize
from .results import Category
from .statuses import describe

_CANONICAL = re.compile(r"^tel:\+48\d{9}$")


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer to a send: ``message_id`` is its ``authenticationId``."""

    message_id: str
    addresses: tuple[str, ...]
    delivery_status: str | None = None
    http_status: int = 200


@dataclass(frozen=True)
class AddressStatus:
    """The status of one address of a message."""

    address: str
    status: str
    category: str
    meaning: str
    final: bool


@dataclass(frozen=True)
class DeliveryStatus:
    """A message's status: verbatim ``status``, its ``category``, finality and per-address detail."""

    message_id: str
    status: str
    category: str
    meaning: str
    final: bool
    addresses: tuple[AddressStatus, ...] = ()


@dataclass(frozen=True)
class Limit:
    """The request quota: requests ``used`` and ``available``, and the day it ``resets_on``."""

    used: int
    available: int
    resets_on: date | None


def parse_send(data: object, addresses: list[str], http_status: int) -> SendResult:
    if not isinstance(data, dict) or not data.get("authenticationId"):
        raise ServerError(f"The gateway accepted the request (HTTP {http_status}) but gave no authenticationId.", http_status=http_status)
    return SendResult(str(data["authenticationId"]), tuple(addresses), data.get("deliveryStatus"), http_status)


def _address_status(entry: dict, delivery_report: bool) -> AddressStatus | None:
    address = entry.get("address")
    status = entry.get("status", entry.get("deliveryStatus"))
    if not address or status is None:
        return None
    info = describe(status, delivery_report=delivery_report)
    address = str(address)
    if not _CANONICAL.match(address):
        try:
            address = normalize(address)
        except InputError:
            pass
    return AddressStatus(address, info.status, info.category, info.meaning, info.final)


def parse_status(data: object, message_id: str, *, delivery_report: bool = True) -> DeliveryStatus:
    """Accepts the MMS shape (``status`` plus optional ``deliveryInfo``) and the SMS flat shape."""
    if not isinstance(data, dict):
        raise ServerError("The gateway's status answer is not a JSON object.")
    status = data.get("status", data.get("deliveryStatus", data.get("result")))
    entries = data.get("deliveryInfo")
    if not isinstance(entries, list):
        entries = [data] if "address" in data else []
    per_address = tuple(a for a in (_address_status(e, delivery_report) for e in entries if isinstance(e, dict)) if a)
    info = describe(status, delivery_report=delivery_report)
    final = all(a.final for a in per_address) if per_address else info.final
    categories = {a.category for a in per_address}
    category = info.category if not categories else (categories.pop() if len(categories) == 1 else Category.PARTIAL)
    return DeliveryStatus(message_id, info.status, category, info.meaning, final, per_address)


def _parse_day(text: object) -> date | None:
    if not text:
        return None
    for fmt in ("%a %b %d %Y", "%Y-%m-%d", "%d.%m.%Y", "%a %b %d %H:%M:%S %Y"):
        try:
            return datetime.strptime(str(text).strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_limit(data: object) -> Limit:
    """Accepts the flat shape and the SMS API's shape nested under a counter name."""
    if isinstance(data, dict) and "used" not in data:
        nested = [v for v in data.values() if isinstance(v, dict) and "used" in v]
        data = nested[0] if nested else data
    try:
        return Limit(int(data["used"]), int(data["available"]), _parse_day(data.get("date")))
    except (TypeError, KeyError, ValueError):
        raise ServerError(f"The gateway's quota answer is not understood: {str(data)[:200]}") from None
