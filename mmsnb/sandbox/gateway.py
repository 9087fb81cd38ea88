"""The sandbox's gateway logic: credentials, tokens, quota, messages and their lifecycles.

No HTTP here: :mod:`mmsnb.sandbox.server` turns requests into calls on :class:`Gateway`.
Statuses follow the card: each address starts at ``Success`` and, when a delivery report was
asked for, moves to ``Retrieved``, ``Rejected``, ``Expired`` or ``Indeterminate`` after a delay
drawn from the seed; ``time_scale`` simulated seconds pass per real second.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import unquote

import phonenumbers
from phonenumbers import carrier

from ..errors import ConfigError, Fix
from ..message import MAX_MESSAGE_BYTES, PRIORITIES, SUPPORTED_TYPES
from ..options import option_names
from . import multipart
from .behaviour import Behaviour, Sent

#: The card's statuses a delivery report brings after a delay.
REPORTED = ("Retrieved", "Rejected", "Expired", "Indeterminate")
#: The card's statuses for an address the gateway could not process: given at once, and final.
AT_ONCE = (
    "Client error",
    "Address Error",
    "Address Not Found",
    "Message format corrupt",
    "Server Error",
    "Operation restricted",
    "LinkedID not found",
)
#: Statuses of an address processed correctly (so far): a message with these and others is ``Partial success``.
_PROCESSED = ("Success", "Retrieved")
#: Default share of each final outcome for an address in Orange's network.
DEFAULT_OUTCOMES = {"Retrieved": 0.88, "Rejected": 0.04, "Expired": 0.04, "Indeterminate": 0.04}
#: Default simulated delay, in seconds, before each outcome is reported: (shortest, longest).
DEFAULT_DELAYS = {
    "Retrieved": (5.0, 240.0),
    "Rejected": (5.0, 60.0),
    "Expired": (540.0, 600.0),
    "Indeterminate": (300.0, 600.0),
}
_ADDRESS = re.compile(r"^tel:\+?\d{6,15}$")


class GatewayError(Exception):
    """An error answer: HTTP status and the gateway's JSON body."""

    def __init__(self, http_status: int, code: int, message: str, description: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.body = {"code": code, "message": message, "description": description}


def bad_request(description: str) -> GatewayError:
    return GatewayError(400, 21, "Bad request", description)


UNAUTHORIZED = ("Invalid credentials", "The requested service needs credentials, but the ones provided were invalid.")
TOO_MANY = (
    "Too many requests",
    "The application has made too many calls and has exceeded the rate limit for this service.",
)


@dataclass(frozen=True)
class ReceivedFile:
    """An attachment as the sandbox decoded it."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Received:
    """An accepted send, decoded: what a real gateway would have delivered."""

    message_id: str
    addresses: tuple[str, ...]
    subject: str | None
    sender: str | None
    priority: str | None
    delivery_report: bool
    attachments: tuple[ReceivedFile, ...]
    content_type: str
    received_at: datetime


@dataclass
class _Address:
    address: str
    outcome: str
    delay: float
    at_once: bool


@dataclass
class _Message:
    addresses: list[_Address]
    delivery_report: bool
    created: float


#: Content-Transfer-Encodings the sandbox takes for an attachment part: base64, as the card asks (decoded), and,
#: as a leniency, the raw bytes (no header, or binary, 8bit or 7bit), which is what multipart/form-data clients
#: generated from the OpenAPI document send.
_ATTACHMENT_ENCODINGS = frozenset({"base64", "", "binary", "8bit", "7bit"})


def decode_body(body: bytes, content_type: str) -> tuple[dict[str, Any], list[ReceivedFile]]:
    """The messagePart and attachments of a send body, by an independent parser (:mod:`.multipart`, the e-mail
    parser's reading).

    Attachments in base64 (the card's way) are decoded; attachments sent as raw bytes are taken as they are. The
    messagePart is found by its name, wherever it is: the card's example (and mmsnb) send it first, but OpenAPI
    cannot state the order of parts, so clients generated from the document may not.
    """
    if content_type.split(";")[0].strip().lower() == "application/json":
        return _json_part(body), []
    if not content_type.lower().startswith("multipart/form-data"):
        raise bad_request(f"Content-Type {content_type!r} is neither application/json nor multipart/form-data.")
    found = multipart.parts(body, content_type)
    if found is None:
        raise bad_request("The multipart body could not be parsed.")
    named = [
        i for i, (item, _) in enumerate(found) if item.get_param("name", header="content-disposition") == "messagePart"
    ]
    if not named:
        raise bad_request("The multipart body has no part named messagePart (the message JSON; send it first).")
    part = _json_part(found.pop(named[0])[1])
    files = []
    for item, data in found:
        encoding = (item.get("Content-Transfer-Encoding") or "").strip().lower()
        if encoding not in _ATTACHMENT_ENCODINGS:
            raise bad_request(
                f"Attachment {item.get_filename() or 'attachment'!r} is sent with Content-Transfer-Encoding: "
                f"{encoding}; send it in base64 (what the card asks), or as its raw bytes."
            )
        files.append(ReceivedFile(item.get_filename() or "attachment", item.get_content_type(), data))
    return part, files


def _json_part(raw: bytes) -> dict[str, Any]:
    try:
        part = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad_request("The messagePart is not valid UTF-8 JSON.") from None
    except RecursionError:
        raise bad_request("The messagePart nests too deeply to be read.") from None
    if not isinstance(part, dict):
        raise bad_request("The messagePart must be a JSON object.")
    return part


def message_status(statuses: list[str]) -> str:
    """A message's status from its addresses': theirs when they agree; ``Partial success`` when some were
    processed correctly (``Success``, ``Retrieved``) and others not; ``Success`` while some are delivered and
    the rest await their report; else (all failed, differently) the first failure's.

    >>> message_status(["Retrieved", "Address Not Found"])
    'Partial success'
    >>> message_status(["Rejected", "Address Not Found"])
    'Rejected'
    """
    if len(set(statuses)) == 1:
        return statuses[0]
    processed = [s for s in statuses if s in _PROCESSED]
    if processed and len(processed) < len(statuses):
        return "Partial success"
    return "Success" if processed else statuses[0]


def _check_outcomes(outcomes: dict[str, float]) -> dict[str, float]:
    """``outcomes`` when each is a status of the card an address can end in, with a share of 0 or more."""
    known = (*REPORTED, *AT_ONCE)
    for status, share in outcomes.items():
        if status not in known:
            raise ConfigError(
                f"outcomes= names {status!r}, which is not a final status of the card: {', '.join(known)}."
            )
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < float("inf"):
            raise ConfigError(f"outcomes= gives {status!r} the share {share!r}; give a number, 0 or more.")
    if not outcomes or sum(outcomes.values()) <= 0:
        raise ConfigError("outcomes= needs at least one status with a share above 0.")
    return dict(outcomes)


def _check_delays(delays: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """``delays`` when each reported status has a (shortest, longest) pair of simulated seconds."""
    checked = {}
    for status, pair in delays.items():
        if status not in REPORTED:
            raise ConfigError(
                f"delays= names {status!r}; only the reported statuses take a delay: {', '.join(REPORTED)}."
            )
        if not (
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair)
            and 0 <= pair[0] <= pair[1]
        ):
            raise ConfigError(
                f"delays= gives {status!r} {pair!r}; give (shortest, longest) seconds, 0 <= shortest <= longest."
            )
        checked[status] = (float(pair[0]), float(pair[1]))
    return checked


def _check_suffixes(by_suffix: dict[str, str]) -> dict[str, str]:
    """``by_suffix`` when each key is digits and each value a final status of the card."""
    known = (*REPORTED, *AT_ONCE)
    for suffix, status in by_suffix.items():
        if not (isinstance(suffix, str) and suffix.isdigit()):
            raise ConfigError(f"by_suffix= key {suffix!r} is not the last digits of a number, e.g. '13'.")
        if status not in known:
            raise ConfigError(f"by_suffix= maps {suffix!r} to {status!r}, which is not a final status of the card.")
    return dict(by_suffix)


class GatewaySettings(TypedDict, total=False):
    """How a sandbox gateway behaves: every keyword of :class:`Gateway` (see :class:`mmsnb.Sandbox`)."""

    quota: int
    window: float
    token_lifetime: float
    seed: int
    time_scale: float
    outcomes: dict[str, float] | None
    delays: dict[str, tuple[float, float]] | None
    ported_in: tuple[str, ...]
    by_suffix: dict[str, str] | None
    max_message_bytes: int
    client_id: str | None
    client_secret: str | None
    behaviour: Behaviour | None


GATEWAY_SETTINGS = option_names(GatewaySettings)


class Gateway:
    """The state of one sandbox gateway. Thread-safe."""

    def __init__(
        self,
        *,
        quota: int = 1000,
        window: float = 86400.0,
        token_lifetime: float = 3600.0,
        seed: int = 0,
        time_scale: float = 60.0,
        outcomes: dict[str, float] | None = None,
        delays: dict[str, tuple[float, float]] | None = None,
        ported_in: tuple[str, ...] = (),
        by_suffix: dict[str, str] | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        client_id: str | None = None,
        client_secret: str | None = None,
        behaviour: Behaviour | None = None,
    ) -> None:
        if behaviour is not None and not isinstance(behaviour, Behaviour):
            raise ConfigError(f"behaviour= must be a mmsnb.sandbox.Behaviour, not {type(behaviour).__name__}.")
        self.behaviour = behaviour or Behaviour()
        self.client_id = client_id or "sandbox-" + secrets.token_hex(4)
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
            raise ConfigError(
                "{fix} must be a whole number of requests, 0 or more, " + f"not {quota!r}.", fix=Fix(option="quota")
            )
        for name, value in (("window", window), ("token_lifetime", token_lifetime), ("time_scale", time_scale)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ConfigError(f"{name}= must be a number above 0, not {value!r}.")
        if isinstance(max_message_bytes, bool) or not isinstance(max_message_bytes, int) or max_message_bytes < 1:
            raise ConfigError(
                f"max_message_bytes= must be a whole number of bytes, at least 1, not {max_message_bytes!r}."
            )
        self.quota, self.window, self.token_lifetime = quota, window, token_lifetime
        self.seed, self.time_scale = seed, time_scale
        self.outcomes = _check_outcomes(DEFAULT_OUTCOMES if outcomes is None else outcomes)
        self.delays = _check_delays({**DEFAULT_DELAYS, **(delays or {})})
        self.by_suffix = _check_suffixes(by_suffix or {})
        self.ported_in = {a if a.startswith("tel:") else "tel:" + a for a in ported_in}
        self.max_message_bytes = max_message_bytes
        self.received: list[Received] = []
        self.counts = {"token": 0, "send": 0, "status": 0, "limit": 0}
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._messages: dict[str, _Message] = {}
        self._sent_to: dict[str, int] = {}
        self._used = 0
        self._window_start = self._time()

    # -- tokens ------------------------------------------------------------
    def issue_token(
        self,
        client_id: str | None,
        client_secret: str | None,
        grant_type: str | None,
        *,
        raw: str | None = None,
        unreadable: str | None = None,
    ) -> dict[str, Any]:
        """A token for the client credentials grant, or the RFC 6749 §5.2 error as a :class:`GatewayError`.

        ``client_id`` and ``client_secret`` are already form-decoded (§2.3.1); ``raw`` is the Basic
        header's text before that decoding, to tell a client that did not form-encode why it was refused;
        ``unreadable`` says why there are no credentials to check (no or a malformed Basic header).
        """
        with self._lock:
            self.counts["token"] += 1
            if not grant_type:
                raise GatewayError(
                    400, 0, "invalid_request", "The request has no grant_type; send grant_type=client_credentials."
                )
            if grant_type != "client_credentials":
                raise GatewayError(
                    400, 0, "unsupported_grant_type", "Only the client_credentials grant type is supported."
                )
            if client_id is None or client_secret is None:
                raise GatewayError(401, 0, "invalid_client", unreadable or "Client authentication failed.")
            if client_id != self.client_id or not secrets.compare_digest(
                client_secret.encode(), self.client_secret.encode()
            ):
                expected = f"{self.client_id}:{self.client_secret}".encode()
                if raw is not None and secrets.compare_digest(raw.encode(), expected):
                    raise GatewayError(
                        401,
                        0,
                        "invalid_client",
                        "Client authentication failed: the credentials match only when read without form-decoding. "
                        "The client did not form-encode its client id and secret before Base64 as RFC 6749 "
                        "§2.3.1 says, so '+', '%' or ':' in them change meaning. In mmsnb, set "
                        "MMSNB_CREDENTIAL_ENCODING=form (credential_encoding='form', the default).",
                    )
                raise GatewayError(401, 0, "invalid_client", "Client authentication failed.")
            token = secrets.token_urlsafe(32)
            self._tokens[token] = time.monotonic() + self.token_lifetime
            return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.token_lifetime)}

    def check_token(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            expires = self._tokens.get(token) if scheme.lower() == "bearer" else None
            if expires is None or expires <= time.monotonic():
                raise GatewayError(401, 41, *UNAUTHORIZED)

    def revoke_tokens(self) -> None:
        """Make every access token invalid, as a gateway restart or key rotation would."""
        with self._lock:
            self._tokens.clear()

    # -- quota -------------------------------------------------------------
    def _time(self) -> float:
        """Now, by the behaviour's clock (the real one unless a test injects its own): the quota window's time."""
        return self.behaviour.clock().timestamp()

    def _roll_window(self) -> None:
        if self._time() - self._window_start >= self.window:
            self._window_start, self._used = self._time(), 0

    def reset_quota(self) -> None:
        """Start a new quota window now."""
        with self._lock:
            self._window_start, self._used = self._time(), 0

    def limit(self) -> dict[str, Any]:
        with self._lock:
            self.counts["limit"] += 1
            self._roll_window()
            resets = datetime.fromtimestamp(self._window_start + self.window, UTC)
            return {
                "used": str(self._used),
                "available": str(max(self.quota - self._used, 0)),
                "date": resets.strftime("%a %b %d %Y"),
            }

    # -- sending -----------------------------------------------------------
    def _orange(self, address: str) -> bool:
        if address in self.ported_in:
            return True
        try:
            number = phonenumbers.parse(address[4:], None)
        except phonenumbers.NumberParseException:
            return False
        return carrier.name_for_number(number, "en") == "Orange"

    def _plan(self, address: str, delivery_report: bool, size: int = 0, at: datetime | None = None) -> _Address:
        """How ``address`` will end: by ``by_suffix``, the behaviour's hook, the network, else drawn from the seed
        with the behaviour's weights for ``size`` bytes of attachments and its delays for a send ``at``."""
        sent = Sent(address, size, at or datetime.now(UTC))
        scripted = next((status for end, status in self.by_suffix.items() if address.endswith(end)), None)
        if scripted is None and self.behaviour.hook is not None:
            scripted = self.behaviour.hook(sent)
            if scripted is not None and scripted not in (*REPORTED, *AT_ONCE):
                raise ConfigError(f"The behaviour's hook gave {scripted!r}, which is not a final status of the card.")
        if scripted is None and not self._orange(address):
            scripted = "Address Not Found"
        if scripted in AT_ONCE:
            return _Address(address, scripted, 0.0, True)
        k = self._sent_to.get(address, 0)
        self._sent_to[address] = k + 1
        rng = random.Random(f"{self.seed}|{address}|{k}")
        names, weights = zip(*self.behaviour.weights(self.outcomes, size).items(), strict=True)
        outcome = scripted or rng.choices(names, weights)[0]
        if outcome in AT_ONCE:
            return _Address(address, outcome, 0.0, True)
        low, high = self.delays[outcome]
        return _Address(address, outcome, rng.uniform(low, high) * self.behaviour.delay_factor(outcome, sent.at), False)

    def send(self, body: bytes, content_type: str) -> dict[str, Any]:
        """Validate and accept a send; raises :class:`GatewayError` for the answers that refuse it."""
        with self._lock:
            self._roll_window()
            if self._used >= self.quota:
                raise GatewayError(403, 53, *TOO_MANY)
            self._used += 1
            self.counts["send"] += 1
        part, files = decode_body(body, content_type)
        addresses = part.get("addresses")
        if not isinstance(addresses, list) or not addresses or not all(isinstance(a, str) for a in addresses):
            raise bad_request("addresses must be a non-empty array of strings.")
        addresses = [unquote(a) for a in addresses]
        wrong = [a for a in addresses if not _ADDRESS.match(a)]
        if wrong:
            raise bad_request(f"Invalid address {wrong[0]!r}: use tel: and the country code, e.g. tel:+48501102030.")
        addresses = ["tel:+" + a[4:].lstrip("+") for a in addresses]
        for name in ("subject", "senderAddress", "priority"):
            if name in part and not isinstance(part[name], str):
                raise bad_request(f"{name} must be a string.")
        if "priority" in part and part["priority"] not in PRIORITIES:
            raise bad_request(f"priority must be one of {', '.join(PRIORITIES)}.")
        report = part.get("deliveryReport", False)
        if not isinstance(report, bool):
            raise bad_request("deliveryReport must be true or false.")
        for f in files:
            if f.content_type not in SUPPORTED_TYPES:
                raise bad_request(f"Attachment {f.filename!r} has unsupported type {f.content_type}.")
            if not f.data:
                raise bad_request(f"Attachment {f.filename!r} is empty.")
        size = sum(len(f.data) for f in files)
        if size > self.max_message_bytes:
            raise bad_request(
                f"The message is too large: {size} bytes of attachments, over the limit of {self.max_message_bytes}."
            )
        with self._lock:
            message_id = f"{self.seed}_{secrets.token_hex(6)}_{len(self._messages) + 1:06d}"
            at = self.behaviour.clock()
            plans = [self._plan(a, report, size, at) for a in addresses]
            self._messages[message_id] = _Message(plans, report, time.monotonic())
            self.received.append(
                Received(
                    message_id,
                    tuple(addresses),
                    part.get("subject"),
                    part.get("senderAddress"),
                    part.get("priority"),
                    report,
                    tuple(files),
                    content_type.split(";")[0],
                    at,
                )
            )
        return {"authenticationId": message_id, "deliveryStatus": "DeliveredToNetwork"}

    # -- status ------------------------------------------------------------
    def _address_status(self, message: _Message, plan: _Address, now: float) -> str:
        if plan.at_once:
            return plan.outcome
        if not message.delivery_report:
            return "Success"
        return plan.outcome if (now - message.created) * self.time_scale >= plan.delay else "Success"

    def status(self, message_id: str | None) -> dict[str, Any]:
        with self._lock:
            self.counts["status"] += 1
            message = self._messages.get(message_id or "")
        if not message_id:
            raise bad_request("The query parameter id (the authenticationId of a sent message) is required.")
        if message is None:
            return {"status": "Message ID Not found"}
        now = time.monotonic()
        info = [{"address": p.address, "status": self._address_status(message, p, now)} for p in message.addresses]
        answer: dict[str, Any] = {"status": message_status([i["status"] for i in info])}
        if len(info) > 1:
            answer["deliveryInfo"] = info
        return answer

    def used(self) -> int:
        """Requests counted against the quota in the current window."""
        with self._lock:
            return self._used
