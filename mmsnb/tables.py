"""Tables of what happened to a campaign: how many rows ended how, and why the failures failed.

Both tables are plain DataFrames with ordinary columns, so they display as they are in a
notebook and export with ``.to_csv()``. :func:`outcome_counts` and :func:`require` are the
building blocks they share with :mod:`mmsnb.plot`.

>>> table = summary(results)
>>> round(table.attrs["delivered_rate"], 2)
0.72
>>> failures(results).to_csv("failures.csv")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .delivery_statuses import describe
from .errors import InputError
from .result_columns import CATEGORIES, Category, SendState
from .words import CATEGORY_WORDS, N_, SEND_STATE_WORDS, Speaker, errors_language, language, translated

#: ``send_state`` values of rows that reached the gateway.
SENT_STATES: tuple[str, ...] = (SendState.ACCEPTED, SendState.ALREADY_SENT)
#: ``send_state`` values that are not a failure when a row has no status.
NOT_FAILED_STATES: tuple[str, ...] = (*SENT_STATES, SendState.PLANNED)

CATEGORY_MEANINGS: dict[str, str] = {
    "delivered": N_("reached the handset"),
    "pending": N_("accepted by the gateway; no delivery report yet"),
    "partial": N_("reached some of its addresses"),
    "failed": N_("will not be delivered"),
    "unknown": N_("the gateway cannot tell (yet)"),
}
#: What a person reads for each ``stage`` of :func:`failures`.
STAGE_WORDS: dict[str, str] = {"send": N_("send"), "delivery": N_("delivery")}

_POLL = "run mmsnb.poll on the results and pass the frame it returns"
_SEND = "pass the frame that mmsnb.send or mmsnb.poll returns"
_STATUSES = "pass mmsnb.history(...) or its .statuses DataFrame"
_QUOTA = "pass mmsnb.history(...) or its .quota DataFrame"
_HINTS: dict[str, str] = {
    "status": _POLL,
    "status_category": _POLL,
    "delivered_at": _POLL,
    "send_state": _SEND,
    "sent_at": _SEND,
    "error": _SEND,
    "http_status": _SEND,
    "error_code": _SEND,
    "campaign": _STATUSES,
    "message_id": _STATUSES,
    "address": _STATUSES,
    "category": _STATUSES,
    "polled_at": _STATUSES,
    "read_at": _QUOTA,
    "used": _QUOTA,
    "available": _QUOTA,
    "resets_on": _QUOTA,
}


def require(frame: object, columns: Sequence[str], what: str = "results") -> None:
    """Raise :class:`~mmsnb.errors.InputError` unless ``frame`` is a DataFrame with every one of ``columns``.

    ``what`` names the frame in the message, which also says where a missing column comes from.

    >>> require(pd.DataFrame({"send_state": ["accepted"]}), ["send_state"])
    >>> require(pd.DataFrame({"send_state": ["accepted"]}), ["send_state", "status_category"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmsnb.errors.InputError: The results have no 'status_category' column: run mmsnb.poll on the results and ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"Expected the {what} as a pandas DataFrame, got {type(frame).__name__}.")
    for column in columns:
        if column not in frame.columns:
            raise InputError(f"The {what} have no {column!r} column: {_HINTS[column]}.")


def people_once(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with each person counted once: a row that repeats an earlier row's number and message
    (the same number in two waves of one campaign comes back ``already-sent`` with the first row's message
    id and status) becomes ``duplicate`` without a status, as a number repeated within one send is.

    Rows without a message id, and rows whose number and message differ, are kept as they are.

    >>> frame = pd.DataFrame({"address": ["tel:+48501", "tel:+48501"], "message_id": ["m1", "m1"],
    ...                       "send_state": ["accepted", "already-sent"], "status_category": ["delivered"] * 2})
    >>> people_once(frame)[["send_state", "status_category"]].values.tolist()
    [['accepted', 'delivered'], ['duplicate', nan]]
    """
    if not {"address", "message_id"} <= set(results.columns):
        return results
    has_id = results["message_id"].notna() & results["address"].notna()
    repeat = has_id & results.duplicated(["address", "message_id"], keep="first")
    if not repeat.any():
        return results
    out = results.copy()
    out.loc[repeat, "send_state"] = SendState.DUPLICATE
    if "error" in out.columns:
        out.loc[repeat, "error"] = Speaker(errors_language())(
            N_("Same number as an earlier row of these results, which got this message; counted there.")
        )
    for column in ("status", "status_category"):
        if column in out.columns:
            out.loc[repeat, column] = None
    return out


def _outcome_label(value: Any, state: Any) -> str:
    """The row's status (or category) when it has one, else what happened at sending."""
    if not pd.isna(value):
        return str(value)
    if pd.isna(state):
        return "not sent"
    return f"no status: {state}" if state in SENT_STATES else f"not sent: {state}"


def _group_name(value: Any) -> str:
    return "(missing)" if pd.isna(value) else str(value)


def outcome_counts(
    results: pd.DataFrame, key: str, by: str | None = None, *, every_category: bool = False
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Counts per outcome (rows, in display order) and per group of ``by`` (columns, sorted).

    ``key`` is ``status_category`` or the verbatim ``status``; rows without one are labelled
    by their ``send_state``. Also returns each outcome's category (None for rows without a status).
    With ``every_category`` the table has a row for each category even when none occurred.
    Without ``by`` the table has one column, ``all``. Each person counts once (:func:`people_once`).

    >>> results = pd.DataFrame({"status_category": ["delivered", "delivered", None],
    ...                         "send_state": ["accepted", "accepted", "invalid"]})
    >>> table, categories = outcome_counts(results, "status_category")
    >>> table["all"].to_dict()
    {'delivered': 2, 'not sent: invalid': 1}
    >>> categories
    {'delivered': 'delivered', 'not sent: invalid': None}
    """
    results = people_once(results)
    keys = [key, "send_state", *([by] if by else [])]
    frame = results.groupby(keys, dropna=False, observed=True, sort=False).size().rename("count").reset_index()
    frame["label"] = [_outcome_label(v, s) for v, s in zip(frame[key], frame["send_state"], strict=True)]

    if by:
        frame["group"] = [_group_name(v) for v in frame[by]]
        values = frame[by].drop_duplicates().sort_values(na_position="last")
        groups = list(dict.fromkeys(_group_name(v) for v in values))
    else:
        frame["group"] = "all"
        groups = ["all"]

    state_dtype = results["send_state"].dtype
    state_order = list(state_dtype.categories) if isinstance(state_dtype, pd.CategoricalDtype) else []
    totals = frame.groupby("label", sort=False)["count"].sum()
    categories: dict[str, str | None] = {}
    order: dict[str, tuple[int, int, int, str]] = {}
    for value, state, label in zip(frame[key], frame["send_state"], frame["label"], strict=True):
        if label in order:
            continue
        if pd.isna(value):
            categories[label] = None
            rank = state_order.index(state) if state in state_order else len(state_order)
            order[label] = (1, rank, 0, label)
        else:
            category = str(value) if key == "status_category" else describe(str(value)).category
            categories[label] = category
            rank = CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)
            order[label] = (0, rank, -totals[label], label)
    if every_category and key == "status_category":
        for rank, category in enumerate(CATEGORIES):
            categories.setdefault(category, category)
            order.setdefault(category, (0, rank, 0, category))

    labels = sorted(order, key=order.__getitem__)
    table = (
        frame.groupby(["label", "group"], sort=False)["count"]
        .sum()
        .unstack("group", fill_value=0)
        .reindex(index=labels, columns=groups, fill_value=0)
        .astype("int64")
    )
    table.index.name, table.columns.name = "outcome", by
    return table, {label: categories[label] for label in labels}


def outcome_words(label: str, category: str | None, lang: str | None = None) -> str:
    """An outcome label of :func:`outcome_counts` as a person reads it, in ``lang`` (default: ``MMSNB_LANG``, else
    English: the label itself).

    >>> outcome_words("not sent: invalid", None, "pl"), outcome_words("delivered", "delivered", "pl")
    ('Nie wysłano — numer nieprawidłowy', 'Dostarczono')
    >>> outcome_words("no status: accepted", None, "pl")
    'Wysłano — bez statusu'
    """
    _ = Speaker(language(lang))
    if _.lang == "en":
        return label
    if category is not None:
        return _(CATEGORY_WORDS[label]) if label in CATEGORY_WORDS else label
    state = label.partition(": ")[2]
    said = _(SEND_STATE_WORDS[state]) if state in SEND_STATE_WORDS else _("Not sent")
    return _("{state} — no status", state=said) if label.startswith("no status") else said


def summary(results: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """How many rows ended in each status category, and how many were never sent, and why.

    One row per category in :data:`~mmsnb.delivery_statuses.CATEGORIES` order (zero counts included),
    then one per ``send_state`` of rows that have no status (``not sent: invalid``,
    ``not sent: quota``, ``no status: accepted`` for sent rows not polled yet, ...), only those
    that occur. Columns: ``count``, ``share`` (fraction of all rows, 0 to 1) and ``meaning``. A number that
    came back ``already-sent`` from a later wave of the same campaign counts once: by its outcome on its first
    row, as ``not sent: duplicate`` on the repeats (as a number repeated within one send is).

    ``.attrs`` holds ``rows`` (all rows), ``sent`` (rows with a status) and
    ``delivered_rate``: delivered rows over sent rows (NaN when nothing was sent).
    ``attrs`` do not go into a CSV file; keep the rate separately if you need it there.

    >>> table = summary(results)
    >>> table.round(3)
                       count  share                                          meaning
    outcome
    delivered             41  0.683                              reached the handset
    pending                0  0.000  accepted by the gateway; no delivery report yet
    partial                0  0.000                    reached some of its addresses
    failed                15  0.250                            will not be delivered
    unknown                1  0.017                    the gateway cannot tell (yet)
    not sent: invalid      3  0.050                        never sent to the gateway
    >>> f"{table.attrs['delivered_rate']:.1%}"
    '71.9%'
    >>> table.to_csv("summary.csv")

    With ``lang="pl"`` (or ``MMSNB_LANG=pl``) the outcomes and their meanings are in Polish (the columns keep
    their names):

    >>> summary(results, lang="pl").loc["Nie wysłano — numer nieprawidłowy", "meaning"]
    'nigdy nie wysłano do bramki'
    """
    _ = Speaker(language(lang))
    require(results, ("status_category", "send_state"))
    results = people_once(results)
    table, categories = outcome_counts(results, "status_category", every_category=True)
    counts = table["all"]
    rows = len(results)
    out = pd.DataFrame(
        {
            "count": counts,
            "share": counts / rows if rows else float("nan"),
            "meaning": [_(_meaning(label, categories[label])) for label in table.index],
        }
    )
    out.index = pd.Index([outcome_words(label, categories[label], _.lang) for label in table.index], name="outcome")
    sent = int(results["status_category"].notna().sum())
    out.attrs.update(
        rows=rows, sent=sent, delivered_rate=int(counts[Category.DELIVERED]) / sent if sent else float("nan")
    )
    return out


def _meaning(label: str, category: str | None) -> str:
    if category is not None:
        return CATEGORY_MEANINGS.get(category, "")
    return (
        N_("sent, but no status has been polled yet")
        if label.startswith("no status")
        else N_("never sent to the gateway")
    )


#: A quoted value (Python's repr quotes, or typographic ones) that starts and ends a word: the row's own value.
_QUOTED = re.compile(r"""(?<!\w)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|‘[^’]*’|“[^”]*”)(?!\w)""")
#: A number of two digits or more (with separators: 1,024 / 12:30 / 2026-01-21 / +48), or a long token with
#: a digit (an id, a hash): row-specific. One-digit numbers stay, as they are mostly rules ("has 9").
_VALUE = re.compile(r"(?<![\w…])(?:[+-]?\d[\d.,:/-]*\d|(?=[\w-]*\d)[\w-]{8,})(?![\w…])")
#: A place in the input ("row 5", "position 3"): row-specific however short.
_PLACE = re.compile(r"\b(rows?|position|line|column|item|wiersz\w*|pozycj\w*|lini\w*|kolumn\w*) \d+\b", re.IGNORECASE)
#: How many different messages :func:`failures` keeps as examples of one kind of reason.
EXAMPLES = 2


def reason_kind(message: object) -> str:
    """The kind of a refusal: ``message`` with its row-specific parts (quoted values, numbers, ids) as ``…``.

    Messages that differ only in the number, file name or value they name have the same kind.

    >>> reason_kind("'(22) 594 90 00' is a fixed-line or service number; only mobile numbers can receive an MMS.")
    "'…' is a fixed-line or service number; only mobile numbers can receive an MMS."
    >>> reason_kind("'+49 151 23456789' is not a Polish number (country code +49).")
    "'…' is not a Polish number (country code …)."
    >>> reason_kind("'12345' is not a valid Polish number: check the digits (a mobile number has 9).")
    "'…' is not a valid Polish number: check the digits (a mobile number has 9)."
    >>> reason_kind("The attachment 'a.jpg' is 412,345 bytes, over the limit.")
    "The attachment '…' is … bytes, over the limit."
    >>> reason_kind("'brak' is not a phone number: it may hold only digits, '+', spaces, dashes or dots.")
    "'…' is not a phone number: it may hold only digits, '+', spaces, dashes or dots."
    >>> reason_kind("Same number as row 7: one message per number per campaign.")
    'Same number as row …: one message per number per campaign.'
    >>> reason_kind(None)
    '(no message)'
    """
    if message is None or (isinstance(message, float) and pd.isna(message)) or message is pd.NA:
        return "(no message)"
    text = _QUOTED.sub(_elide, str(message))
    text = _VALUE.sub("…", _PLACE.sub(r"\1 …", text))
    return " ".join(text.split()) or "(no message)"


def _elide(match: re.Match[str]) -> str:
    """A quoted value as ``'…'``; one quoted punctuation mark (``'+'``) is a rule, not a value, and stays."""
    quoted = match.group(0)
    return quoted if len(quoted) == 3 and not quoted[1].isalnum() else f"{quoted[0]}…{quoted[-1]}"


def _examples(messages: pd.Series) -> str:
    """Up to :data:`EXAMPLES` different messages, most frequent first, joined by `` | ``."""
    return " | ".join(messages.dropna().astype("str").value_counts(sort=True).index[:EXAMPLES])


COLUMNS = ["stage", "reason", "http_status", "error_code", "detail", "examples", "count"]


def failures(results: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Why rows failed: counts per kind of refusal at sending, and per verbatim failed status.

    One row per reason, columns:

    - ``stage``: ``send`` (the row was never sent: invalid number, refused, quota, ...) or
      ``delivery`` (sent, then the gateway reported a ``failed`` status);
    - ``reason``: the ``send_state`` for ``send`` rows, the verbatim gateway status for ``delivery`` rows;
    - ``http_status``, ``error_code``: what the gateway answered at sending (``send`` rows only);
    - ``detail``: for ``send`` rows the kind of refusal, the ``error`` message with the row's own
      values (quoted values, numbers, ids) replaced by ``…`` (see :func:`reason_kind`); for
      ``delivery`` rows the status's meaning;
    - ``examples``: up to two different verbatim ``error`` messages of that kind, joined by
      `` | `` (empty for ``delivery`` rows);
    - ``count`` and ``share`` (fraction of all rows).

    ``send`` rows are grouped by ``send_state``, HTTP status, error code and kind of refusal, so
    ten invalid numbers make one row per kind of mistake (fixed-line, wrong length, ...), not one
    row under the first number's message. ``send`` rows come first, then ``delivery`` rows; most
    frequent first within each. Rows marked ``planned`` (dry run) or sent without a status yet
    are not failures.

    >>> failures(results)[["stage", "reason", "count"]]
        stage             reason  count
    0    send            invalid      2
    1    send            invalid      1
    2  delivery  Address Not Found     12
    3  delivery           Rejected      2
    4  delivery            Expired      1
    >>> failures(results).loc[0, "detail"]
    "'…' is a fixed-line or service number; only mobile numbers can receive an MMS."
    >>> failures(results).loc[0, "examples"]
    "'(22) 594 90 00' is a fixed-line or service number; ... | '+48 22 628 14 30' is a fixed-line ..."

    With ``lang="pl"`` (or ``MMSNB_LANG=pl``) a person reads it in Polish: ``stage`` and ``reason`` in words,
    ``detail`` and ``examples`` in the catalogue's Polish, a delivery status's meaning in the operator's card's
    words (the gateway's status itself stays as it said it; the columns keep their names):

    >>> failures(results, lang="pl").loc[0, ["stage", "reason", "detail"]].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['wysyłka', 'Nie wysłano — numer nieprawidłowy',
     "'…' to numer stacjonarny lub usługowy; MMS-a odbierze tylko numer komórkowy."]
    """
    _ = Speaker(language(lang))
    require(results, ("status_category", "send_state", "status", "error", "http_status", "error_code"))
    results = people_once(results)
    rows = len(results)
    not_sent = results["status_category"].isna() & ~results["send_state"].isin(NOT_FAILED_STATES)
    refused = results.loc[not_sent, ["send_state", "http_status", "error_code", "error"]]
    refused = refused.assign(kind=refused["error"].map(reason_kind, na_action=None).astype("str"))
    grouped = refused.groupby(["send_state", "http_status", "error_code", "kind"], dropna=False, observed=True)
    send = (
        grouped.agg(count=("error", "size"), examples=("error", _examples))
        .reset_index()
        .rename(columns={"send_state": "reason", "kind": "detail"})
        .assign(stage="send")
    )
    failed = results["status_category"].eq(Category.FAILED).fillna(False).astype(bool)
    delivery = results.loc[failed].groupby("status", dropna=False).size().rename("count").reset_index()
    delivery = delivery.rename(columns={"status": "reason"}).assign(stage="delivery", examples="")
    delivery["detail"] = [describe(None if pd.isna(s) else str(s)).meaning_in(_.lang) for s in delivery["reason"]]
    if _.lang != "en":
        delivery["reason"] = _(CATEGORY_WORDS[Category.FAILED])  # the card's words, in detail, say which status
        send["reason"] = [_(SEND_STATE_WORDS[str(state)]) for state in send["reason"]]
        send["detail"] = [translated(kind, _.lang) for kind in send["detail"]]
        send["examples"] = [
            " | ".join(translated(example, _.lang) for example in examples.split(" | ")) if examples else examples
            for examples in send["examples"]
        ]
    out = pd.concat(
        [part.sort_values("count", ascending=False, kind="stable") for part in (send, delivery)], ignore_index=True
    )
    out = out.reindex(columns=COLUMNS)
    out["stage"] = [_(STAGE_WORDS[stage]) for stage in out["stage"]]
    return out.astype(
        {
            "stage": "str",
            "reason": "str",
            "http_status": "Int64",
            "error_code": "Int64",
            "detail": "str",
            "examples": "str",
            "count": "int64",
        }
    ).assign(share=lambda f: f["count"] / rows if rows else float("nan"))
