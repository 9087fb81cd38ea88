"""The Ledger: runs, claims, intents and outcomes, statuses, quota readings and opt-outs, on either engine.

>>> with Ledger("out/ledger.sqlite") as ledger:
...     ledger.history().sends.columns.tolist()
['campaign', 'request_no', 'content_key', 'address', 'delivery_report', 'state', 'message_id',
 'http_status', 'error_code', 'error', 'intent_at', 'sent_at']
"""

from __future__ import annotations

import functools
import json
import os
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from ..gateway_answers import DeliveryStatus, Limit
from .frames import History, opted_out_frame, to_history
from .group import GroupCommit, Pending
from .location import LedgerSpec, Location, locate
from .postgres import PostgresStore
from .sqlite import SQLiteStore
from .states import CampaignState, ClaimState, RequestState
from .stored import StoredCampaign, read, sent_before, subjects, write

#: A run on another machine that has not written for this long is taken to have stopped (longer than the
#: longest "slow down" a client waits out, ``max_wait``, 300 s by default: a waiting run writes when it starts to wait).
LEASE = timedelta(minutes=10)
#: Addresses per statement when many are looked up at once.
_CHUNK = 500

_CLAIMS = (
    "SELECT c.address, c.slot, q.content_key, q.state, q.message_id, q.request_no, "
    "q.http_status, q.error_code, q.error, q.done_at, "
    "u.id, u.host, u.pid, u.seen_at, u.ended_at FROM claims c JOIN requests q ON q.id = c.request_id "
    "LEFT JOIN runs u ON u.id = q.run_id WHERE c.campaign = ?"
)
_CONTACTS = (
    "SELECT c.address, c.campaign, q.state, COALESCE(q.done_at, q.intent_at), u.id, u.host, u.pid, u.seen_at, "
    "u.ended_at "
    "FROM claims c JOIN requests q ON q.id = c.request_id LEFT JOIN runs u ON u.id = q.run_id "
    "WHERE c.campaign <> ? AND q.state IN ('accepted', 'sending', 'unknown', 'throttled') "
    "AND COALESCE(q.done_at, q.intent_at) > ?"
)
_OPTED_OUT = "SELECT address, opted_out_at, reason FROM opt_outs WHERE opted_in_at IS NULL"
#: What a run was doing in each state it holds a campaign in (said when it died).
_DOING = {"sending": "sending", "paused": "waiting for the sending hours", "waiting-for-quota": "waiting for the quota"}
_LIVE_SENDERS = (
    "SELECT DISTINCT u.id, u.host, u.pid, u.seen_at, u.ended_at FROM requests q JOIN runs u ON u.id = q.run_id "
    "WHERE q.campaign = ? AND q.state IN ('sending', 'throttled')"
)
_STATES = (
    "SELECT s.campaign, s.state, s.reason, s.until_at, s.updated_at, u.id, u.host, u.pid, u.seen_at, u.ended_at "
    "FROM campaign_states s LEFT JOIN runs u ON u.id = s.run_id"
)


def now() -> str:
    """The current UTC time as ISO text, as the ledger stores it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


#: The runs this process ended, by ledger: over, even if the ledger could not record it (it was unreachable).
_ENDED_HERE: set[tuple[str, int]] = set()


#: Where Linux gives the id of this boot: different on every machine and after every boot, shared by containers.
BOOT_ID = "/proc/sys/kernel/random/boot_id"


def this_host() -> str:
    """The name a run records as its host: the machine's name and, where there is one (Linux), the boot
    and the pid namespace its pid counts in. The initial pid namespace has the same number on every Linux
    and two machines (or containers with host networking) may share a host name, so a pid says whether a
    run lives only to a run of the same boot and namespace; to any other it is a run on another machine,
    alive while it writes (:data:`LEASE`). Where neither can be read, no other process shares the name."""
    return _host_of(os.getpid())


@functools.cache
def _host_of(pid: int) -> str:
    """:func:`this_host` for the process ``pid`` (a process keeps its pid namespace for life; a fork may not)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]", the same on every machine
        with open(BOOT_ID, encoding="ascii") as file:
            boot = file.read().strip()
    except (OSError, ValueError):  # no /proc (macOS, Windows): judged by the lease, even on this machine
        return f"{socket.gethostname()} run:{uuid.uuid4()}"
    return f"{socket.gethostname()} {namespace} boot:{boot}"


def _alive(
    where: str, run_id: int | None, host: str | None, pid: int | None, seen_at: str | None, ended_at: str | None
) -> bool:
    """Whether the run that wrote an intent (in the ledger at ``where``) may still be sending it."""
    if ended_at is not None or host is None or pid is None or run_id is None:
        return False
    if host == this_host():
        if pid == os.getpid():
            return (where, run_id) not in _ENDED_HERE
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return seen_at is not None and datetime.fromisoformat(seen_at) > datetime.now(UTC) - LEASE


@dataclass(frozen=True)
class Claim:
    """What the ledger holds for one recipient of a campaign.

    ``state`` is ``accepted``, ``in-progress`` (a live run is sending it now), ``unknown`` (it may
    have reached the gateway), ``rejected`` or ``unsent`` (free to send again).
    """

    address: str
    slot: str
    content_key: str
    state: ClaimState
    message_id: str | None
    request_no: int
    http_status: int | None
    error_code: int | None
    error: str | None
    done_at: str | None

    def blocks(self, retry_unknown: bool) -> bool:
        """Whether this claim keeps the recipient from being sent again."""
        if self.state == ClaimState.UNSENT:
            return False
        return not (self.state == ClaimState.UNKNOWN and retry_unknown)


def _claim(where: str, row: tuple[Any, ...]) -> Claim:
    address, slot, content_key, state, message_id, request_no, http_status, error_code, error, done_at, *run = row
    if state in (RequestState.SENDING, RequestState.THROTTLED):
        if _alive(where, *run):
            claim = ClaimState.IN_PROGRESS
        elif state == RequestState.THROTTLED:
            claim = ClaimState.UNSENT  # the gateway had not taken it when the run stopped
        else:
            claim, error = ClaimState.UNKNOWN, error or "the run stopped while this request was under way"
    else:
        claim = ClaimState(state)
    return Claim(address, slot, content_key, claim, message_id, request_no, http_status, error_code, error, done_at)


def holding(claims: Iterable[Claim], slot: str, retry_unknown: bool) -> Claim | None:
    """The claim that keeps a recipient of ``slot`` from being sent, if any.

    The slot ``""`` is the campaign's one message per number: any claim on the number holds it.
    A content key as slot (``per_row=True``: one message per number and content) is held by a
    claim of that same content, whichever slot it was taken in.
    """
    order = (ClaimState.ACCEPTED, ClaimState.IN_PROGRESS, ClaimState.UNKNOWN, ClaimState.REJECTED)
    found = [c for c in claims if (slot == "" or c.content_key == slot) and c.blocks(retry_unknown)]
    return min(found, key=lambda c: order.index(c.state)) if found else None


@dataclass(frozen=True)
class OptOut:
    """A number that asked not to be contacted: when, and why (if said)."""

    address: str
    since: str
    reason: str | None


@dataclass(frozen=True)
class Contact:
    """A number's latest message from another campaign (accepted, or one that may have reached it)."""

    address: str
    campaign: str
    at: str


@dataclass(frozen=True)
class Begun:
    """The intent of one request: which addresses it claimed, what holds the others, and which the rules kept."""

    request_id: int | None
    request_no: int | None
    claimed: list[str]
    held: dict[str, Claim]
    opted_out: dict[str, OptOut]
    too_soon: dict[str, Contact]


def _chunks(addresses: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(addresses), _CHUNK):
        yield addresses[start : start + _CHUNK]


def _marks(chunk: list[str]) -> str:
    return ",".join("?" * len(chunk))


class Ledger:
    """A campaign ledger, safe to share between threads and processes: a SQLite file, or a team's
    PostgreSQL database (``postgresql://user@host:port/database``, with ``pip install 'mmsnb[team]'``).

    ``ledger=`` anywhere in mmsnb is a path, a ``sqlite:///`` or ``postgresql://`` URL, or a
    Ledger; None means the one :func:`~mmsnb.ledger.locate` finds. Every failure of the database
    becomes a :class:`LedgerError` that names the ledger (never its password).

    >>> Ledger("postgresql://team:s3cret@db.example/campaigns")  # connects to a server not here  # doctest: +SKIP
    Ledger('postgresql://team@db.example/campaigns')
    """

    def __init__(self, spec: str | os.PathLike[str] | Location | None = None) -> None:
        self.location = locate(spec)
        self._store: SQLiteStore | PostgresStore = (
            SQLiteStore(self.location) if self.location.engine == "sqlite" else PostgresStore(self.location)
        )
        #: The intents and outcomes of a send's requests, written by its threads together (one commit for all) in
        #: SQLite, whose writers take turns anyway. A PostgreSQL server runs them side by side, each in its own
        #: transaction: one holding the locks of several requests could wait for another run's in the other order.
        self._group = GroupCommit(self._store.write, together=self.location.engine == "sqlite")

    @classmethod
    @contextmanager
    def open(cls, spec: LedgerSpec = None, *, gateway: str | None = None) -> Iterator[Ledger]:
        """The ledger ``spec`` names, for a ``with`` block: a Ledger given is used and left open; one
        opened here (from a path or URL, or found by :func:`~mmsnb.ledger.locate` for ``gateway``) is closed after.

        >>> with Ledger.open("out/team.sqlite") as ledger:
        ...     len(ledger.history().sends)
        0
        """
        if isinstance(spec, Ledger):
            yield spec
            return
        with cls(locate(spec, gateway=gateway)) as ledger:
            yield ledger

    def __repr__(self) -> str:
        return f"Ledger({str(self.location)!r})"

    def close(self) -> None:
        """Let go of the database (a SQLite file's connection; a PostgreSQL pool stays for the process)."""
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs and claims -----------------------------------------------------
    def start_run(self, campaign: str) -> int:
        """Record that this process starts sending ``campaign``; returns the run's id."""
        at = now()
        with self._store.write() as tx:
            return tx.insert(
                "INSERT INTO runs (campaign, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                (campaign, this_host(), os.getpid(), at, at),
            )

    def end_run(self, run_id: int) -> None:
        """Record that the run stopped: intents it left without an outcome are unknown from now on
        (in this process at once, even if the ledger cannot be written)."""
        _ENDED_HERE.add((self.location.key, run_id))
        at = now()
        with self._store.write() as tx:
            tx.execute("UPDATE runs SET ended_at = ?, seen_at = ? WHERE id = ?", (at, at, run_id))

    def claims(self, campaign: str) -> dict[str, list[Claim]]:
        """Every claim of the campaign, by address."""
        out: dict[str, list[Claim]] = {}
        with self._store.read() as tx:
            for row in tx.execute(_CLAIMS, (campaign,)):
                claim = _claim(self.location.key, row)
                out.setdefault(claim.address, []).append(claim)
        return out

    def opted_out(self, addresses: Iterable[str] | None = None) -> dict[str, OptOut]:
        """The standing opt-outs, by address (of ``addresses`` only, when given)."""
        with self._store.read() as tx:
            return self._opted_out(tx, None if addresses is None else list(addresses))

    @staticmethod
    def _opted_out(tx: Any, addresses: list[str] | None) -> dict[str, OptOut]:
        if addresses is None:
            rows = tx.execute(_OPTED_OUT)
        else:
            rows = [r for c in _chunks(addresses) for r in tx.execute(f"{_OPTED_OUT} AND address IN ({_marks(c)})", c)]
        return {address: OptOut(address, at, reason) for address, at, reason in rows}

    def contacts(self, campaign: str, addresses: Iterable[str], since: str) -> dict[str, Contact]:
        """Each address's latest message after ``since`` (ISO time) from a campaign other than ``campaign``."""
        with self._store.read() as tx:
            return self._contacts(tx, campaign, list(addresses), since)

    def _contacts(self, tx: Any, campaign: str, addresses: list[str], since: str) -> dict[str, Contact]:
        where = self.location.key
        out: dict[str, Contact] = {}
        for chunk in _chunks(addresses):
            for address, other, state, at, *run in tx.execute(
                f"{_CONTACTS} AND c.address IN ({_marks(chunk)})", (campaign, since, *chunk)
            ):
                if state == RequestState.THROTTLED and not _alive(where, *run):
                    continue  # the gateway had not taken it when its run stopped
                if address not in out or at > out[address].at:
                    out[address] = Contact(address, other, at)
        return out

    def begin(
        self,
        run_id: int,
        campaign: str,
        content_key: str,
        addresses: list[str],
        delivery_report: bool,
        *,
        slot: str = "",
        retry_unknown: bool = False,
        contacted_since: str | None = None,
    ) -> Begun:
        """Claim the free addresses and write the request's intent, in one transaction, before it is sent.

        Addresses held by another claim (accepted, in progress, unknown, rejected) are returned in
        ``held``, those opted out in ``opted_out``, and with ``contacted_since`` (ISO time) those that
        another campaign's message reached since then in ``too_soon``; all are left out of the request.
        With none free, no request is written. In SQLite, the intents other threads write at the same time
        share the transaction (group commit): each returns once the transaction holding it is committed.
        """
        at = now()

        def claim(tx: Any) -> Begun:
            tx.serialize([f"campaign:{campaign}"])
            if contacted_since is not None:
                tx.serialize(addresses)
            tx.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (at, run_id))
            held: dict[str, Claim] = {}
            taken: set[str] = set()  # the addresses that have a claim in this slot already (held or free again)
            for chunk in _chunks(addresses):
                found: dict[str, list[Claim]] = {}
                for row in tx.execute(f"{_CLAIMS} AND c.address IN ({_marks(chunk)})", (campaign, *chunk)):
                    claim = _claim(self.location.key, row)
                    found.setdefault(claim.address, []).append(claim)
                    if claim.slot == slot:
                        taken.add(claim.address)
                for address in chunk:
                    hold = holding(found.get(address, ()), slot, retry_unknown)
                    if hold is not None:
                        held[address] = hold
            free = [a for a in addresses if a not in held]
            opted_out = self._opted_out(tx, free)
            free = [a for a in free if a not in opted_out]
            too_soon = {} if contacted_since is None else self._contacts(tx, campaign, free, contacted_since)
            claimed = [a for a in free if a not in too_soon]
            if not claimed:
                return Begun(None, None, [], held, opted_out, too_soon)
            (number,) = tx.execute(
                "SELECT COALESCE(MAX(request_no), 0) + 1 FROM requests WHERE campaign = ?", (campaign,)
            )[0]
            request_id = tx.insert(
                "INSERT INTO requests (campaign, request_no, content_key, addresses, delivery_report, state, "
                "intent_at, run_id) VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)",
                (campaign, number, content_key, json.dumps(claimed), int(delivery_report), at, run_id),
            )
            again = [(request_id, campaign, a, slot) for a in claimed if a in taken]  # free again: retaken
            if again:
                tx.executemany(
                    "UPDATE claims SET request_id = ? WHERE campaign = ? AND address = ? AND slot = ?", again
                )
            for chunk in _chunks([a for a in claimed if a not in taken]):
                tx.execute(
                    "INSERT INTO claims (campaign, address, slot, request_id) VALUES "
                    + ",".join(["(?, ?, ?, ?)"] * len(chunk))
                    + " ON CONFLICT DO NOTHING",
                    [value for a in chunk for value in (campaign, a, slot, request_id)],
                )
            return Begun(request_id, number, claimed, held, opted_out, too_soon)

        return self._group.run(claim)

    def finish(
        self,
        request_id: int,
        state: RequestState,
        *,
        message_id: str | None = None,
        http_status: int | None = None,
        error_code: int | None = None,
        error: str | None = None,
    ) -> str:
        """Write the outcome of a request (with those other threads write at the same time); returns the time
        written."""
        return self.finish_later(
            request_id, state, message_id=message_id, http_status=http_status, error_code=error_code, error=error
        ).wait()

    def finish_later(
        self,
        request_id: int,
        state: RequestState,
        *,
        message_id: str | None = None,
        http_status: int | None = None,
        error_code: int | None = None,
        error: str | None = None,
    ) -> Pending[str]:
        """:meth:`finish` without waiting: in SQLite, the outcome goes with the next transaction (before any intent
        written after it); ``wait()`` gives the time written once it is committed."""
        at = now()

        def record(tx: Any) -> str:
            tx.execute(
                "UPDATE requests SET state = ?, message_id = ?, http_status = ?, error_code = ?, error = ?, "
                "done_at = ? WHERE id = ?",
                (str(state), message_id, http_status, error_code, error, at, request_id),
            )
            return at

        return self._group.later(record)

    def pause(self, run_id: int, request_id: int) -> None:
        """The gateway said "slow down": the request was not taken, and waits to be sent again (the run lives on)."""
        with self._store.write() as tx:
            tx.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (now(), run_id))
            tx.execute("UPDATE requests SET state = 'throttled' WHERE id = ?", (request_id,))

    def resume(self, run_id: int, request_id: int, *, contacted_since: str | None = None) -> Begun | None:
        """Take back a waiting request before it is sent again, in one transaction: None if another run
        took any of its claims meanwhile; else the request (``sending`` again) with the recipients it goes on
        with in ``claimed``, and those the rules now keep out (as :meth:`begin` finds them) in ``opted_out``
        and ``too_soon``.

        Those kept out lose their claim and leave the request; when none is left, the request is ``unsent``.
        """
        with self._store.write() as tx:
            (campaign,) = tx.execute("SELECT campaign FROM requests WHERE id = ?", (request_id,))[0]
            tx.serialize([f"campaign:{campaign}"])  # as begin does: no other run claims meanwhile
            number, listed = tx.execute("SELECT request_no, addresses FROM requests WHERE id = ?", (request_id,))[0]
            addresses: list[str] = json.loads(listed)
            if contacted_since is not None:
                tx.serialize(addresses)
            tx.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (now(), run_id))
            (held,) = tx.execute("SELECT COUNT(*) FROM claims WHERE request_id = ?", (request_id,))[0]
            if held != len(addresses):
                return None
            opted_out = self._opted_out(tx, addresses)
            free = [a for a in addresses if a not in opted_out]
            too_soon = {} if contacted_since is None else self._contacts(tx, campaign, free, contacted_since)
            claimed = [a for a in free if a not in too_soon]
            if not claimed:
                kept_out = (
                    'Not sent: while it waited out a "slow down", its recipients opted out or another campaign '
                    "reached them within min_gap."
                )
                tx.execute(
                    "UPDATE requests SET state = 'unsent', error = ?, done_at = ? WHERE id = ?",
                    (kept_out, now(), request_id),
                )
            else:
                for chunk in _chunks([a for a in addresses if a not in claimed]):
                    tx.execute(
                        f"DELETE FROM claims WHERE request_id = ? AND address IN ({_marks(chunk)})",
                        (request_id, *chunk),
                    )
                tx.execute(
                    "UPDATE requests SET state = 'sending', addresses = ? WHERE id = ?",
                    (json.dumps(claimed), request_id),
                )
        return Begun(request_id, number, claimed, {}, opted_out, too_soon)

    def delivery_reports(self, message_ids: Iterable[str]) -> dict[str, bool]:
        """Whether each known message was sent asking for a delivery report."""
        out: dict[str, bool] = {}
        with self._store.read() as tx:
            for chunk in _chunks(list(message_ids)):
                for mid, report in tx.execute(
                    f"SELECT message_id, delivery_report FROM requests WHERE message_id IN ({_marks(chunk)})", chunk
                ):
                    out[mid] = bool(report)
        return out

    # -- the stored campaign -----------------------------------------------
    def store(self, kept: StoredCampaign) -> None:
        """Keep what finishes ``kept.campaign`` (durably, before its first request leaves); what this ledger
        keeps of it already stays, and recipients it does not keep yet are added."""
        with self._store.write() as tx:
            write(tx, kept, now())

    def stored(self, campaign: str) -> StoredCampaign | None:
        """The stored ``campaign``; None when it was never sent here, or sent by an mmsnb that stored nothing
        (:meth:`sent_before` tells which)."""
        with self._store.read() as tx:
            return read(tx, campaign)

    def sent_before(self, campaign: str) -> bool:
        """Whether this ledger records requests of ``campaign``."""
        with self._store.read() as tx:
            return sent_before(tx, campaign)

    # -- statuses and quota -------------------------------------------------
    def record_status(self, status: DeliveryStatus, polled_at: str) -> None:
        """Keep one status answer: a row per address (the message's status for each when it gives no detail)."""
        rows: list[tuple[str, str | None, str, str, int, str]] = [
            (status.message_id, a.address, a.status, a.category, int(a.final), polled_at) for a in status.addresses
        ]
        with self._store.write() as tx:
            if not rows:
                found = tx.execute("SELECT addresses FROM requests WHERE message_id = ?", (status.message_id,))
                addresses = json.loads(found[0][0]) if found else [None]
                rows = [
                    (status.message_id, a, status.status, status.category, int(status.final), polled_at)
                    for a in addresses
                ]
            tx.executemany("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?)", rows)

    def record_quota(self, limit: Limit) -> None:
        """Keep a quota reading, with the time it was read."""
        resets = limit.resets_on.isoformat() if limit.resets_on else None
        with self._store.write() as tx:
            tx.execute("INSERT INTO quota VALUES (?, ?, ?, ?)", (now(), limit.used, limit.available, resets))

    # -- campaign states ---------------------------------------------------
    def set_state(
        self,
        campaign: str,
        state: CampaignState,
        *,
        reason: str | None = None,
        until: datetime | None = None,
        run_id: int | None = None,
    ) -> None:
        """Record where ``campaign`` stands: ``reason`` (a sentence), ``until`` when, and the live ``run_id`` that
        holds it there (sending, or waiting): when that run dies, the campaign reads as interrupted."""
        at = now()
        until_at = None if until is None else until.astimezone(UTC).isoformat(timespec="microseconds")
        with self._store.write() as tx:
            if run_id is not None:
                tx.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (at, run_id))
            tx.execute(
                "INSERT INTO campaign_states (campaign, state, reason, until_at, run_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign) DO UPDATE SET state = excluded.state, "
                "reason = excluded.reason, until_at = excluded.until_at, run_id = excluded.run_id, "
                "updated_at = excluded.updated_at",
                (campaign, str(state), reason, until_at, run_id, at),
            )

    def set_finished(self, campaign: str, *, if_recorded: bool = False) -> None:
        """Record ``campaign`` finished, unless another live run is still sending some of it: then it is that
        run's (sending), so that it reads as interrupted if that run dies before the end. ``if_recorded``: only
        when a state is recorded for it already (a send with nothing to send adds no campaign)."""
        with self._store.read() as tx:
            if if_recorded and not tx.execute("SELECT 1 FROM campaign_states WHERE campaign = ?", (campaign,)):
                return
            live = [run[0] for run in tx.execute(_LIVE_SENDERS, (campaign,)) if _alive(self.location.key, *run)]
        if live:
            self.set_state(campaign, CampaignState.SENDING, run_id=live[0])
        else:
            self.set_state(campaign, CampaignState.FINISHED)

    def _states(self, tx: Any) -> list[tuple[str, str, str | None, str | None, str]]:
        """Each campaign's recorded state; one held by a run that is no longer alive is ``interrupted``."""
        out = []
        for campaign, state, reason, until_at, updated_at, *run in tx.execute(_STATES):
            if run[0] is not None and not _alive(self.location.key, *run):
                doing = _DOING.get(state, state)
                state, until_at = CampaignState.INTERRUPTED, None
                reason = f"The run stopped while it was {doing}; resume it (mmsnb resume), or send it again."
            out.append((campaign, str(state), reason, until_at, updated_at))
        return out

    # -- opt-outs ----------------------------------------------------------
    def opt_out(self, addresses: Iterable[str], reason: str | None = None) -> int:
        """Record ``addresses`` (gateway form) as opted out; returns how many were not already."""
        at, before = now(), 0
        with self._store.write() as tx:
            (before,) = tx.execute("SELECT COUNT(*) FROM opt_outs WHERE opted_in_at IS NULL")[0]
            tx.executemany(
                "INSERT INTO opt_outs (address, opted_out_at, reason) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(a, at, reason) for a in dict.fromkeys(addresses)],
            )
            (after,) = tx.execute("SELECT COUNT(*) FROM opt_outs WHERE opted_in_at IS NULL")[0]
        return int(after - before)

    def opt_in(self, addresses: Iterable[str], reason: str | None = None) -> int:
        """End the standing opt-outs of ``addresses`` (their record is kept); returns how many there were."""
        wanted = list(dict.fromkeys(addresses))
        at, ended = now(), 0
        with self._store.write() as tx:
            for chunk in _chunks(wanted):
                standing = tx.execute(
                    f"SELECT COUNT(*) FROM opt_outs WHERE opted_in_at IS NULL AND address IN ({_marks(chunk)})", chunk
                )[0][0]
                tx.execute(
                    "UPDATE opt_outs SET opted_in_at = ?, opted_in_reason = ? "
                    f"WHERE opted_in_at IS NULL AND address IN ({_marks(chunk)})",
                    (at, reason, *chunk),
                )
                ended += int(standing)
        return ended

    def opt_outs(self, *, include_ended: bool = False) -> pd.DataFrame:
        """The opt-outs as a DataFrame (the standing ones; ``include_ended=True``: every one ever recorded)."""
        where = "" if include_ended else " WHERE opted_in_at IS NULL"
        with self._store.read() as tx:
            rows = tx.execute(
                "SELECT address, opted_out_at, reason, opted_in_at, opted_in_reason FROM opt_outs"
                f"{where} ORDER BY opted_out_at, id"
            )
        return opted_out_frame(rows)

    # -- analysis ----------------------------------------------------------
    def history(self, campaign: str | None = None) -> History:
        """The ledger as DataFrames, for one campaign or all."""
        where, args = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
        with self._store.read() as tx:
            requests = tx.execute(
                "SELECT campaign, request_no, content_key, addresses, delivery_report, state, message_id, "
                f"http_status, error_code, error, intent_at, done_at FROM requests {where} ORDER BY id",
                args,
            )
            statuses = tx.execute(
                "SELECT q.campaign, s.message_id, COALESCE(s.address, '') AS address, s.status, s.category, s.final, "
                "s.polled_at FROM statuses s JOIN requests q ON q.message_id = s.message_id "
                + ("WHERE q.campaign = ? " if campaign else "")
                + "ORDER BY s.polled_at",
                args,
            )
            quota = tx.execute("SELECT read_at, used, available, resets_on FROM quota ORDER BY read_at")
            states = [s for s in self._states(tx) if not campaign or s[0] == campaign]
            subject = subjects(tx, campaign)
        return to_history(requests, statuses, quota, states, subject)
