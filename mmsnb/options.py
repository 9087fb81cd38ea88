"""The options of :func:`mmsnb.plan`, :meth:`Plan.send`, :func:`mmsnb.send` and :func:`mmsnb.poll` as types.

``send(**planning)``, ``frame.mms.plan/send/poll``, ``connect(**settings)`` and ``Sandbox(**settings)``
pass options on; each declares them with a :class:`~typing.TypedDict` and :data:`~typing.Unpack`, so
tab completion, the docs and a type checker see every option, and a misspelt one is a type error. In a
notebook, where nothing checks types, :func:`check_options` says which option was meant.

>>> check_options({"subjct": "Hej"}, PLAN_OPTIONS, "plan()", "help(mmsnb.plan)")
Traceback (most recent call last):
...
mmsnb.errors.InputError: plan() has no option subjct=. Did you mean subject=? See help(mmsnb.plan).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from .errors import InputError, MMSError
from .words import N_

if TYPE_CHECKING:
    from .dispatch import Progress
    from .ledger import LedgerSpec


class PlanOptions(TypedDict, total=False):
    """The message and its campaign: every keyword option of :func:`mmsnb.plan` (see it for each one)."""

    to: str
    subject: str | None
    attachments: Any
    sender: str | None
    priority: str | None
    delivery_report: bool
    campaign: str | None
    ledger: LedgerSpec
    per_row: bool
    attachments_dir: str | os.PathLike[str] | None
    group: bool
    max_addresses: int
    retry_unknown: bool
    max_message_bytes: int
    min_gap: Any
    fit: bool
    keep_metadata: bool


class RunOptions(TypedDict, total=False):
    """How a campaign is sent: every keyword option of :meth:`Plan.send` (also of :func:`mmsnb.resume`)."""

    workers: int | str
    max_workers: int
    rate: str | None
    allow_partial: bool
    progress: Progress
    wait_for_quota: bool
    window: str | None
    days: str | None
    tz: str
    start_at: Any
    wait_for_hours: bool


class SendOptions(PlanOptions, RunOptions, total=False):
    """Every keyword option of :func:`mmsnb.send`: those of :func:`mmsnb.plan` and of :meth:`Plan.send`."""

    dry_run: bool


class PollOptions(TypedDict, total=False):
    """Every keyword option of :func:`mmsnb.poll` (see it for each one)."""

    timeout: float
    interval: float | None
    progress: bool | None
    ledger: LedgerSpec
    workers: int


def option_names(options: Any) -> frozenset[str]:
    """The keys a :class:`~typing.TypedDict` of options declares (its bases' included)."""
    return frozenset(options.__required_keys__ | options.__optional_keys__)


PLAN_OPTIONS = option_names(PlanOptions)
RUN_OPTIONS = option_names(RunOptions)
SEND_OPTIONS = option_names(SendOptions)
POLL_OPTIONS = option_names(PollOptions)


def check_options(
    given: Mapping[str, object],
    known: frozenset[str],
    call: str,
    see: str,
    *,
    near: Iterable[str] = (),
    error: type[MMSError] = InputError,
) -> None:
    """``error`` naming the first option in ``given`` that ``call`` does not take, and the ``known`` (or
    ``near``) option it most resembles: Python's own message would name neither."""
    unknown = sorted(set(given) - known)
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], known | set(near), n=1)
    values = {"call": call, "option": unknown[0], "see": see}
    if close:
        raise error(
            N_("{call} has no option {option}=. Did you mean {close}=? See {see}."),
            values={**values, "close": close[0]},
        )
    raise error(N_("{call} has no option {option}=. See {see}."), values=values)
