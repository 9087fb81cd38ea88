"""What the gateway answers: send results, delivery statuses and the quota as typed values, and every
refusal as the :class:`~mmsnb.MMSError` that says what it meant.

>>> parse_limit({"used": "1", "available": "99", "date": "Tue Jan 22 2026"}).available
99
"""

from __future__ import annotations

import email.utils
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests

from . import redact
from .config import VARIABLES
from .delivery_statuses import describe
from .errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    Fix,
    InputError,
    MMSError,
    NotFoundError,
    QuotaError,
    RedirectError,
    ServerError,
    ThrottledError,
    TransportError,
)
from .phones import normalize
from .result_columns import Category
from .words import N_

_CANONICAL = re.compile(r"^tel:\+48\d{9}$")
#: The longest message id kept: the card's sample has 21 characters, the sandbox's about 25.
MAX_ID_LENGTH = 128
#: What a message id is made of: letters, digits and the marks of URL-safe and Base64 ids.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._~:@+/=-]+")
#: A count in the quota answer, as the OpenAPI document writes it: ASCII digits only.
_DIGITS = re.compile(r"[0-9]+")


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
    """The send result; :class:`ServerError` when the answer holds no plausible message id (nothing of it kept).

    >>> parse_send({"authenticationId": "x" * 200}, ["tel:+48501102030"], 200)
    Traceback (most recent call last):
    mmsnb.errors.ServerError: The gateway accepted the request (HTTP 200) but its authenticationId is not a ...
    """
    if not isinstance(data, dict) or not data.get("authenticationId"):
        raise ServerError(
            f"The gateway accepted the request (HTTP {http_status}) but gave no authenticationId.",
            http_status=http_status,
        )
    message_id = str(data["authenticationId"])
    wrong = _implausible(message_id)
    if wrong:
        raise ServerError(
            f"The gateway accepted the request (HTTP {http_status}) but its authenticationId is not a message id "
            f"({wrong}), so it is not kept.",
            http_status=http_status,
        )
    return SendResult(message_id, tuple(addresses), data.get("deliveryStatus"), http_status)


def _implausible(message_id: str) -> str:
    """Why ``message_id`` cannot be a message id (too long, odd characters, a secret or token in it), or ''."""
    if len(message_id) > MAX_ID_LENGTH:
        return f"{len(message_id)} characters; a message id has at most {MAX_ID_LENGTH}"
    if not _MESSAGE_ID.fullmatch(message_id):
        return "it holds characters a message id does not have"
    if redact.holds_secret(message_id):
        return "it holds the access token or the client secret"
    return ""


def _address_status(entry: dict[str, Any], delivery_report: bool) -> AddressStatus | None:
    address = entry.get("address")
    status = entry.get("status", entry.get("deliveryStatus"))
    if not address or status is None:
        return None
    info = describe(status, delivery_report=delivery_report)
    address = str(address)
    if not _CANONICAL.match(address):
        with suppress(InputError):
            address = normalize(address)
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
    fields: dict[str, Any] = data if isinstance(data, dict) else {}  # anything else lacks "used" as well
    try:
        return Limit(_count(fields["used"]), _count(fields["available"]), _parse_day(fields.get("date")))
    except (TypeError, KeyError, ValueError):
        raise ServerError(f"The gateway's quota answer is not understood: {str(data)[:200]}") from None


def _count(value: object) -> int:
    """A count of messages as the quota answer gives it: ASCII digits (the OpenAPI document's ``^[0-9]+$``), or
    a whole number of at least 0; :class:`ValueError` for anything else (``"-5"``, ``"+7"``, ``"٣"``, ``True``).

    >>> _count("120"), _count(7)
    (120, 7)
    """
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(value)


def redirect(resp: requests.Response, where: str) -> RedirectError:
    """The error for a 3xx answer: where it pointed, and whether the request may have been processed."""
    location = resp.headers.get("Location")
    pointed = f"pointing to {location!r}" if location else "with no Location"
    taken = (
        "the gateway may have processed it (303 See Other), so a send is not repeated"
        if resp.status_code == 303
        else "it was not taken"
    )
    return RedirectError(
        f"The {where} answered HTTP {resp.status_code} {pointed}. Redirects are never followed, so the request "
        f"went nowhere else; {taken}. Check {VARIABLES['base_url']} and {VARIABLES['token_url']}.",
        http_status=resp.status_code,
        location=location,
    )


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date;
    None if absent or unreadable.
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def excerpt(resp: requests.Response) -> str:
    """The start of an answer's text, tags removed, for a sentence; secrets are masked before it is cut, so that
    no part of one is left."""
    text = re.sub(r"<[^>]+>", " ", redact.redact((resp.text or "")[:16384]))
    text = " ".join(text.split())
    return text[:200] or "empty body"


def read(resp: requests.Response) -> Any:
    """The JSON of a successful answer; for any other, the :class:`MMSError` that says what the gateway meant."""
    if 300 <= resp.status_code < 400:
        raise redirect(resp, "gateway")
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.ok:
        if data is None:
            raise ServerError(
                f"The gateway answered HTTP {resp.status_code} with a body that is not JSON ({excerpt(resp)}).",
                http_status=resp.status_code,
            )
        return data
    code = data.get("code") if isinstance(data, dict) else None
    message = (data.get("message") if isinstance(data, dict) else None) or excerpt(resp)
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    status = resp.status_code
    said = f"HTTP {status}" + (f", code {code}" if code is not None else "") + f": {message}"
    kinds: dict[int, tuple[type[MMSError], str]] = {
        400: (
            BadRequestError,
            N_(
                "The gateway refused the request's parameters ({said}). Check the numbers, subject, sender, priority "
                "and attachments; it was not taken."
            ),
        ),
        401: (
            AuthError,
            N_(
                "The gateway refused the credentials even with a fresh token ({said}). Check {client_id} and "
                "{client_secret} and the application's subscription to MMSOnnet."
            ),
        ),
        403: (
            QuotaError,
            N_(
                "The request quota is used up ({said}). See {fix} for the reset date; "
                "unsent rows resume on the next run."
            ),
        ),
        404: (NotFoundError, N_("The gateway has no such resource ({said}). Check {variable}.")),
        405: (NotFoundError, N_("The gateway does not allow this method here ({said}). Check {variable}.")),
        413: (
            BadRequestError,
            N_(
                "The gateway refused the message as too large ({said}). Make the attachments smaller ({fix} shrinks "
                "images, {option} sets the limit); it was not taken."
            ),
        ),
    }
    if status == 403 and code != 53:
        kinds[403] = (AuthError, N_("The gateway forbids this call ({said}). Check the application's permissions."))
    if status == 429 or (status == 503 and resp.headers.get("Retry-After")):
        wait = retry_after(resp.headers.get("Retry-After"))
        after = f"retry after {wait:g} s" if wait is not None else "no wait named"
        raise ThrottledError(
            f"The gateway asked to slow down ({said}; {after}).",
            http_status=status,
            retry_after=wait,
            gateway_message=message,
        )
    fix = None
    if status in kinds:
        kind, sentence = kinds[status]
        fix = {403: Fix(call="limit"), 413: Fix(option="fit", value=True)}.get(status) if "{fix}" in sentence else None
    elif status >= 500:
        kind, sentence = ServerError, N_("The gateway had trouble ({said}). Try again later.")
    elif status >= 400:
        kind, sentence = BadRequestError, N_("The gateway refused the request ({said}); it was not taken.")
    else:
        kind, sentence = MMSError, N_("The gateway answered {said}.")
    values = {"said": said, "fix": "{fix}", "client_id": VARIABLES["client_id"],
              "client_secret": VARIABLES["client_secret"], "variable": VARIABLES["base_url"],
              "option": "max_message_bytes="}  # fmt: skip
    raise kind(sentence, http_status=status, code=code, gateway_message=message, fix=fix, values=values)


def refused(exc: MMSError) -> bool:
    """Whether ``exc`` proves the gateway did not take the request, so that sending it again cannot make a
    second message.

    A 4xx answer is a refusal of the request as it stood (RFC 9110 §15.5): 400, 401, 403, 404, 405, 413,
    415, 422, 429 and the rest, whatever the code in the body. So is a redirect other than 303, a "slow
    down" (503 with ``Retry-After``), a connection that never carried the request, and anything that stopped
    the request before it left (settings, the message itself). A 5xx, a 303, a 200 without a message id, or
    a connection lost once the request was on its way may hide an accepted message.

    >>> refused(BadRequestError("too large", http_status=413)), refused(ServerError("trouble", http_status=502))
    (True, False)
    """
    if isinstance(exc, (AuthError, ConfigError, InputError, ThrottledError)):
        return True
    if isinstance(exc, TransportError):
        return not exc.maybe_sent
    if isinstance(exc, RedirectError):
        return exc.http_status != 303
    return exc.http_status is not None and 400 <= exc.http_status < 500
