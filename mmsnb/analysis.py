"""Answers with honest uncertainty: which group delivered better, and how fast people open their messages.

Statistics come from statsmodels and SciPy (``pip install 'mmsnb[analysis]'``); this module only counts rows
with pandas and hands the counts to them. Every function returns DataFrames; :mod:`mmsnb.plot` draws them.

>>> table = compare(results, by="variant")
>>> table["sentence"].tolist()
['A is the reference: 75.0 % delivered (95 % CI 56.6 to 87.3 %).',
 'B: no detectable difference from A (-6.0 points, 95 % CI -28.0 to 16.9; p = 0.61).']
>>> opened = retrieval(results, by="variant")
>>> opened.summary["messages"].to_dict()         # each group's messages; .summary also has the shares and medians
{'A': 28, 'B': 29}
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import ConfigError, InputError
from .result_columns import Category
from .tables import SENT_STATES, people_once, require

if TYPE_CHECKING:
    from .client import Client
    from .ledger import History, LedgerSpec

#: How to get the statistics libraries this module uses.
INSTALL = "pip install 'mmsnb[analysis]'"
#: The confidence level of every interval, and the significance level of every sentence.
LEVEL = 0.95
#: A comparison uses Fisher's exact test when a cell of its 2×2 table expects fewer than this many rows.
EXACT_BELOW = 5
#: How a group whose ``by`` value is missing is named.
MISSING = "(missing)"


def _library(name: str) -> ModuleType:
    """A statistics module, or one sentence saying how to install the analysis extra."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ConfigError(f"The analysis needs statsmodels and SciPy, which are not installed: {INSTALL}") from None


def _group_labels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Each row's group as text (missing values as :data:`MISSING`), and the groups in sorted order, missing last."""
    labels = values.astype("object").where(values.notna(), MISSING).astype("str")
    present = values.dropna().drop_duplicates()
    with contextlib.suppress(TypeError):  # mixed types: keep the order of appearance
        present = present.sort_values()
    order = list(dict.fromkeys(str(v) for v in present))
    if values.isna().any():
        order.append(MISSING)
    return labels.astype("string"), order


def _by_column(results: pd.DataFrame, by: str, what: str = "results") -> None:
    if by not in results.columns:
        raise InputError(
            f"The {what} have no {by!r} column to compare by; they have: {', '.join(map(str, results.columns))}."
        )


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def _p(value: float) -> str:
    if value < 0.001:
        return "p < 0.001"
    return f"p = {value:.3f}" if value < 0.01 else f"p = {value:.2f}"


def _counts(results: pd.DataFrame, labels: pd.Series, order: list[str]) -> pd.DataFrame:
    """Rows, rows never sent, sent, delivered and failed per group (index: the groups in ``order``)."""
    sent = results["send_state"].isin(SENT_STATES).to_numpy()
    category = results["status_category"].astype("object")
    delivered = sent & category.eq(Category.DELIVERED).fillna(False).to_numpy(dtype=bool)
    failed = sent & category.eq(Category.FAILED).fillna(False).to_numpy(dtype=bool)
    undetermined = sent & category.eq(Category.UNKNOWN).fillna(False).to_numpy(dtype=bool)
    flags = pd.DataFrame(
        {"recipients": 1, "sent": sent, "delivered": delivered, "failed": failed, "undetermined": undetermined}
    )
    table = flags.groupby(labels.to_numpy(), sort=False).sum().reindex(order, fill_value=0).astype("int64")
    table.insert(1, "not_sent", table["recipients"] - table["sent"])
    table["not_final"] = table["sent"] - table["delivered"] - table["failed"] - table["undetermined"]
    return table


def _test(delivered: int, sent: int, ref_delivered: int, ref_sent: int) -> tuple[str, float]:
    """The test's name and its two-sided p-value: Fisher's exact test for small counts, else a score test."""
    table = np.array([[delivered, sent - delivered], [ref_delivered, ref_sent - ref_delivered]])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if expected.min() < EXACT_BELOW:
        stats = _library("scipy.stats")
        return "Fisher's exact test", float(stats.fisher_exact(table).pvalue)
    proportion = _library("statsmodels.stats.proportion")
    result = proportion.test_proportions_2indep(
        delivered, sent, ref_delivered, ref_sent, method="score", compare="diff", correction=False
    )
    return "score test", float(result.pvalue)


def compare(results: pd.DataFrame, by: str, reference: Any = None) -> pd.DataFrame:
    """Delivery rate per group of ``by`` (a variant, segment, ``carrier_hint``, campaign …), with intervals and tests.

    One row per group (index: the group as text, named ``by``; a missing value is the group ``(missing)``),
    in sorted order. Columns:

    - ``recipients`` (rows), ``not_sent`` (rows never sent: invalid, opted-out, duplicate, quota …),
      ``sent`` (rows that reached the gateway), ``delivered``, ``failed``, ``undetermined`` (the gateway
      cannot tell: ``Indeterminate``), ``not_final`` (sent, no outcome yet: pending, partial or never polled);
    - ``rate`` = delivered / sent, with its 95 % Wilson interval ``rate_low``, ``rate_high``;
    - against the reference group (``reference=``, else the first): ``difference`` in the rate
      (this group's minus the reference's), its 95 % Newcombe interval ``difference_low``, ``difference_high``,
      the ``test`` used, its ``p_value`` and ``p_adjusted`` (Holm, across the groups compared);
    - ``sentence``: the row in plain words.

    The denominator is the rows **sent**: a row never sent (a wrong number, an opt-out, a repeated number)
    says nothing about delivery, and counting it would make a group with a messier list look worse at
    delivering. A number repeated across waves counts once (:func:`mmsnb.tables.people_once`). A sent
    message not final yet counts as not delivered: the rate is "delivered so far" until ``not_final`` is 0.

    Groups whose 2×2 table expects fewer than 5 rows in a cell are tested with Fisher's exact test
    (SciPy), the others with a score test (statsmodels); a difference is called detectable when the
    Holm-adjusted p-value is under 0.05.

    >>> table = compare(results, by="variant", reference="A")
    """
    require(results, ("send_state", "status_category"))
    if not isinstance(by, str):
        raise InputError(f"by= must be the name of one column, such as 'variant', not {type(by).__name__}.")
    _by_column(results, by)
    proportion = _library("statsmodels.stats.proportion")
    multitest = _library("statsmodels.stats.multitest")
    results = people_once(results)
    labels, order = _group_labels(results[by])
    if not order:
        raise InputError("The results have no rows to compare.")
    if reference is None:
        reference = order[0]
    elif str(reference) not in order:
        raise InputError(f"reference={reference!r} is not one of the groups of {by!r}: {', '.join(order)}.")
    reference = str(reference)
    table = _counts(results, labels, order)

    rate = table["delivered"] / table["sent"].where(table["sent"] > 0)
    low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
    some = (table["sent"] > 0).to_numpy()
    if some.any():
        low[some], high[some] = proportion.proportion_confint(
            table["delivered"][some], table["sent"][some], alpha=1 - LEVEL, method="wilson"
        )
    table["rate"], table["rate_low"], table["rate_high"] = rate.astype("float64"), low, high

    ref = table.loc[reference]
    columns: dict[str, list[Any]] = {k: [] for k in ("difference", "difference_low", "difference_high", "test", "p")}
    for group, row in table.iterrows():
        if group == reference or row["sent"] == 0 or ref["sent"] == 0:
            for key, empty in (("difference", np.nan), ("difference_low", np.nan), ("difference_high", np.nan)):
                columns[key].append(empty)
            columns["test"].append(pd.NA)
            columns["p"].append(np.nan)
            continue
        d, n, rd, rn = (int(row["delivered"]), int(row["sent"]), int(ref["delivered"]), int(ref["sent"]))
        lo, hi = proportion.confint_proportions_2indep(d, n, rd, rn, method="newcomb", compare="diff", alpha=1 - LEVEL)
        name, p = _test(d, n, rd, rn)
        columns["difference"].append(d / n - rd / rn)
        columns["difference_low"].append(float(lo))
        columns["difference_high"].append(float(hi))
        columns["test"].append(name)
        columns["p"].append(p)
    for key in ("difference", "difference_low", "difference_high"):
        table[key] = pd.Series(columns[key], index=table.index, dtype="float64")
    table["test"] = pd.Series(columns["test"], index=table.index, dtype="string")
    p_values = pd.Series(columns["p"], index=table.index, dtype="float64")
    adjusted = pd.Series(np.nan, index=table.index, dtype="float64")
    tested = p_values.notna()
    if tested.any():
        adjusted[tested] = multitest.multipletests(p_values[tested].to_numpy(), method="holm")[1]
    table["p_value"], table["p_adjusted"] = p_values, adjusted
    table["sentence"] = pd.Series(
        [_sentence(str(g), row, reference) for g, row in table.iterrows()], index=table.index, dtype="string"
    )
    table.index = pd.Index(order, dtype="string", name=by)
    table.attrs.update(by=by, reference=reference, level=LEVEL)
    return table


def _sentence(group: str, row: pd.Series, reference: str) -> str:
    """One row of :func:`compare` in plain words."""
    pending = f"; {row['not_final']:,} not final yet" if row["not_final"] else ""
    if row["sent"] == 0:
        return f"{group}: nothing was sent ({row['not_sent']:,} never sent), so there is no rate."
    rate = (
        f"{_percent(row['rate'])} % delivered (95 % CI {_percent(row['rate_low'])} to {_percent(row['rate_high'])} %)"
    )
    if group == reference:
        return f"{group} is the reference: {rate}{pending}."
    if pd.isna(row["p_adjusted"]):
        return f"{group}: {rate}{pending}; the reference {reference} had nothing sent to compare with."
    points = 100 * row["difference"]
    interval = f"95 % CI {_percent(row['difference_low'])} to {_percent(row['difference_high'])}"
    if row["p_adjusted"] < 1 - LEVEL:
        more = "more" if points > 0 else "less"
        return (
            f"{group} delivered {abs(points):.1f} points {more} than {reference} "
            f"({interval}; {_p(row['p_adjusted'])}){pending}."
        )
    return (
        f"{group}: no detectable difference from {reference} "
        f"({points:+.1f} points, {interval}; {_p(row['p_adjusted'])}){pending}."
    )


#: How :func:`retrieval` codes each message's outcome for the estimator: still open, retrieved, or ended without.
OPEN, RETRIEVED, ENDED = 0, 1, 2


@dataclass(frozen=True)
class Retrieval:
    """What :func:`retrieval` estimates: ``curves`` (the share retrieved by each time, per group) and ``summary``."""

    curves: pd.DataFrame
    summary: pd.DataFrame

    def __repr__(self) -> str:
        """A line, not two frames: ``Retrieval(2 groups, 340 points)``; a notebook shows the summary."""
        groups = len(self.summary)
        return f"Retrieval({groups} group{'' if groups == 1 else 's'}, {len(self.curves)} points)"

    def _repr_html_(self) -> str:
        return str(self.summary._repr_html_())  # type: ignore[operator]


def _seconds(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Seconds from ``earlier`` to ``later`` (NaN where either is missing; never below 0)."""
    later, earlier = pd.to_datetime(later, utc=True), pd.to_datetime(earlier, utc=True)
    return (later - earlier).dt.total_seconds().clip(lower=0)


def _outcomes_of_results(results: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """One row per sent message of a results frame: ``group``, ``seconds`` and ``outcome``."""
    require(results, ("send_state", "status_category", "sent_at", "polled_at", "delivered_at"))
    if by is not None:
        _by_column(results, by)
    results = people_once(results)
    results = results[results["send_state"].isin(SENT_STATES).to_numpy() & results["sent_at"].notna().to_numpy()]
    category = results["status_category"].astype("object")
    retrieved = category.eq(Category.DELIVERED).fillna(False).to_numpy(dtype=bool)
    ended = category.eq(Category.FAILED).fillna(False).to_numpy(dtype=bool)
    seen = _seconds(results["polled_at"], results["sent_at"])
    seconds = seen.where(~retrieved, _seconds(results["delivered_at"], results["sent_at"]))
    return pd.DataFrame(
        {
            "group": results[by] if by is not None else "all",
            "seconds": seconds.fillna(0.0).to_numpy(),
            "outcome": np.select([retrieved, ended], [RETRIEVED, ENDED], OPEN),
        }
    )


def _outcomes_of_history(history: Any, by: str | None) -> pd.DataFrame:
    """One row per accepted (campaign, message, address) of a ledger's history: ``group``, ``seconds``, ``outcome``.

    A message is retrieved when a poll first saw it delivered, ended when a poll first saw it failed,
    else open (censored) at its last poll.
    """
    sends, statuses = history.sends, history.statuses
    sends = sends.loc[sends["state"].astype("object").eq("accepted").to_numpy() & sends["message_id"].notna()]
    keys = ["campaign", "message_id", "address"]
    sends = sends[[*keys, "sent_at"]].drop_duplicates(keys)
    if by not in (None, "campaign"):
        raise InputError(f"A ledger's history can be split by 'campaign' only, not {by!r}.")
    per_address = statuses.loc[statuses["address"].ne("").fillna(False)]
    per_message = statuses.loc[statuses["address"].eq("").fillna(False)].drop(columns="address")
    joined = pd.concat(
        [
            sends.merge(per_address, on=keys, how="inner"),
            sends.merge(per_message, on=["campaign", "message_id"], how="inner"),
        ],
        ignore_index=True,
    )
    category = joined["category"].astype("object")
    times = pd.DataFrame(
        {
            **{k: joined[k] for k in keys},
            "retrieved": joined["polled_at"].where(category.eq(Category.DELIVERED).fillna(False)),
            "ended": joined["polled_at"].where(category.eq(Category.FAILED).fillna(False)),
            "last": joined["polled_at"],
        }
    )
    times = times.groupby(keys, sort=False).agg(
        retrieved=("retrieved", "min"), ended=("ended", "min"), last=("last", "max")
    )
    frame = sends.merge(times.reset_index(), on=keys, how="left")
    retrieved = frame["retrieved"].notna().to_numpy()
    ended = ~retrieved & frame["ended"].notna().to_numpy()
    seen = frame["retrieved"].where(retrieved, frame["ended"].where(ended, frame["last"]))
    return pd.DataFrame(
        {
            "group": frame["campaign"] if by == "campaign" else "all",
            "seconds": _seconds(seen, frame["sent_at"]).fillna(0.0).to_numpy(),
            "outcome": np.select([retrieved, ended], [RETRIEVED, ENDED], OPEN),
            "sent_at": frame["sent_at"].to_numpy(),
        }
    )


def _incidence(seconds: np.ndarray, outcome: np.ndarray) -> pd.DataFrame:
    """The cumulative incidence of retrieval and of ending without it, with a 95 % band (statsmodels' estimator)."""
    survfunc = _library("statsmodels.duration.survfunc")
    z = _library("scipy.stats").norm.ppf(0.5 + LEVEL / 2)
    columns = ["seconds", "retrieved", "low", "high", "ended", "at_risk"]
    if not (outcome != OPEN).any():  # nothing happened yet: the curve stays at 0
        return pd.DataFrame([[0.0, 0.0, 0.0, 0.0, 0.0, len(seconds)]], columns=columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = survfunc.CumIncidenceRight(seconds, outcome)
    incidence = [np.asarray(c) for c in fit.cinc]
    errors = [np.asarray(e) for e in fit.cinc_se]
    times = np.asarray(fit.times)
    retrieved, error = incidence[RETRIEVED - 1], errors[RETRIEVED - 1]  # the estimator lists causes 1, 2, … in order
    ended = incidence[ENDED - 1] if len(incidence) >= ENDED else np.zeros(len(times))
    at_risk = len(seconds) - np.searchsorted(np.sort(seconds), times, side="left")
    curve = pd.DataFrame(
        {
            "seconds": times,
            "retrieved": retrieved,
            "low": np.clip(retrieved - z * error, 0, 1),
            "high": np.clip(retrieved + z * error, 0, 1),
            "ended": ended,
            "at_risk": at_risk,
        }
    )
    start = pd.DataFrame([[0.0, 0.0, 0.0, 0.0, 0.0, len(seconds)]], columns=columns)
    return pd.concat([start, curve[curve["seconds"] > 0]], ignore_index=True) if times[0] > 0 else curve


def retrieval(data: Any, by: str | None = None) -> Retrieval:
    """How soon people open (``Retrieved``) their messages, per group, without the survivor bias of the retrieved.

    ``data`` is a results frame (``mmsnb.poll``'s, grouped by any column ``by``) or ``mmsnb.history(...)``
    (grouped by ``"campaign"`` or not at all). Each sent message counts from its sending: it is
    *retrieved* when a poll saw it delivered, it *ended* without retrieval when a poll saw it failed
    (expired, rejected …), and otherwise it is still open at its last poll, so it is *censored* there:
    it tells that it was not retrieved until then, and nothing after.

    Why not just the delivery times of the retrieved messages: the messages still pending and the
    expired ones are exactly the slow ones; leaving them out makes opening look faster than it is, and
    the more a campaign is still pending the faster it looks. Here the still-open messages count as
    censored and the failed ones as a competing outcome, estimated with the Aalen–Johansen cumulative
    incidence (statsmodels' ``CumIncidenceRight``; where nothing failed it equals one minus Kaplan–Meier).
    Times are when a poll saw the status, so each is at most the polling interval late.

    ``.curves``: one row per group and time, columns ``group``, ``after`` (time since sending),
    ``retrieved`` (estimated share retrieved by then) with its pointwise 95 % band ``low``, ``high``
    (NaN where the estimator has no standard error), ``ended`` (share ended without retrieval by then)
    and ``at_risk`` (messages neither retrieved nor ended nor censored before then).
    ``.summary``: one row per group, columns ``messages``, ``retrieved``, ``ended``, ``open`` (counts),
    ``median`` (time by which half are retrieved; NaT when the curve never reaches half),
    ``retrieved_share`` and ``never_retrieved_share`` (estimated, at the last time observed).

    >>> opened = retrieval(results, by="variant")
    >>> 0 < opened.summary.loc["B", "retrieved_share"] <= 1
    np.True_
    """
    if isinstance(data, pd.DataFrame):
        frame = _outcomes_of_results(data, by)
    elif hasattr(data, "sends") and hasattr(data, "statuses"):
        frame = _outcomes_of_history(data, by)
    else:
        raise InputError(f"Expected the results DataFrame or mmsnb.history(...), got {type(data).__name__}.")
    return _estimate(frame, by)


def _estimate(frame: pd.DataFrame, by: str | None) -> Retrieval:
    """The curves and summary of :func:`retrieval` from one row per message: ``group``, ``seconds``, ``outcome``."""
    labels, order = _group_labels(frame["group"])
    curves, rows = [], []
    for group in order:
        part = frame[(labels == group).to_numpy()]
        seconds, outcome = part["seconds"].to_numpy(dtype="float64"), part["outcome"].to_numpy()
        curve = _incidence(seconds, outcome)
        curves.append(curve.assign(group=group))
        reached = curve.loc[curve["retrieved"] >= 0.5, "seconds"]
        rows.append(
            {
                "group": group,
                "messages": len(part),
                "retrieved": int((outcome == RETRIEVED).sum()),
                "ended": int((outcome == ENDED).sum()),
                "open": int((outcome == OPEN).sum()),
                "median": pd.Timedelta(seconds=float(reached.iloc[0])) if len(reached) else pd.NaT,
                "retrieved_share": float(curve["retrieved"].iloc[-1]),
                "never_retrieved_share": float(curve["ended"].iloc[-1]),
            }
        )
    columns = ["group", "seconds", "retrieved", "low", "high", "ended", "at_risk"]
    every = pd.concat(curves, ignore_index=True)[columns] if curves else pd.DataFrame(columns=columns)
    every.insert(
        1, "after", pd.to_timedelta(every.pop("seconds").astype("float64"), unit="s").astype("timedelta64[us]")
    )
    every = every.astype({"group": "string", "at_risk": "int64"})
    summary = pd.DataFrame(
        rows,
        columns=[
            "group",
            "messages",
            "retrieved",
            "ended",
            "open",
            "median",
            "retrieved_share",
            "never_retrieved_share",
        ],
    )
    summary["median"] = pd.to_timedelta(summary["median"].astype("object")).astype("timedelta64[us]")
    summary = summary.astype(
        {"group": "string", "messages": "int64", "retrieved": "int64", "ended": "int64", "open": "int64"}
    ).set_index("group")
    summary.index.name = by or "group"
    return Retrieval(every, summary)


#: The columns of :func:`campaigns`, in order.
CAMPAIGN_COLUMNS = [
    "first_sent", "last_sent", "recipients", "requests", "quota_used", "accepted", "delivered", "failed",
    "not_final", "rate", "rate_low", "rate_high", "median_retrieval", "state", "state_reason", "state_until",
]  # fmt: skip


def campaigns(
    ledger: LedgerSpec | History = None, *, client: Client | None = None, tz: str = "Europe/Warsaw"
) -> pd.DataFrame:
    """One row per campaign in the ledger (SQLite or PostgreSQL), oldest first: how each went, to compare them.

    ``ledger`` is a path, a ``postgresql://`` URL, an open :class:`~mmsnb.ledger.Ledger` or ``mmsnb.history(...)``;
    without it, the ledger ``client``'s sends use (as :func:`mmsnb.history` finds it). Index: ``campaign``.
    Columns:

    - ``first_sent``, ``last_sent``: the first and last request the gateway answered, in the time zone
      ``tz`` (the same instants as the ledger's UTC times, shown in local time);
    - ``recipients`` (numbers the ledger holds for it), ``requests`` (API requests, any outcome),
      ``quota_used`` (requests the gateway accepted: each costs one of the quota, whatever its recipients),
      ``accepted`` (recipients in those);
    - ``delivered``, ``failed`` and ``not_final`` (neither yet, or undetermined) as the polls last saw the
      accepted recipients;
    - ``rate`` = delivered / accepted with its 95 % Wilson interval ``rate_low``, ``rate_high``;
    - ``median_retrieval``: half of the accepted were retrieved by this time after sending
      (see :func:`retrieval`; NaT when fewer than half were);
    - ``state``: ``finished``, ``sending``, ``paused`` (outside its sending hours, or its quota used up),
      ``waiting-for-quota``, or ``interrupted`` (a run stopped or died before the end: sending the campaign
      again resumes it); ``state_reason`` says why in a sentence, ``state_until`` until when (in ``tz``).
      A campaign not yet begun (waiting for its start time) has a row with its state and no sends.

    Numbers never sent (invalid, opted out …) never reach the ledger, so they are not counted here;
    a request refused or never answered counts in ``requests`` but not in ``quota_used``.

    >>> mmsnb.campaigns(client=client).loc["spring-sale", ["recipients", "accepted", "delivered"]].tolist()
    [57, 57, 41]
    """
    from .ledger import History, history
    from .plot import _zone

    _zone(tz)
    book = ledger if isinstance(ledger, History) else history(None, ledger, client=client)
    proportion = _library("statsmodels.stats.proportion")
    sends = book.sends
    accepted = sends["state"].astype("object").eq("accepted").to_numpy()
    per = sends.assign(
        accepted_address=sends["address"].where(accepted), accepted_request=sends["request_no"].where(accepted)
    )
    table = per.groupby("campaign", sort=False).agg(
        first_sent=("sent_at", "min"),
        last_sent=("sent_at", "max"),
        recipients=("address", "nunique"),
        requests=("request_no", "nunique"),
        quota_used=("accepted_request", "nunique"),
        accepted=("accepted_address", "nunique"),
    )
    outcomes = _outcomes_of_history(book, "campaign")
    counts = pd.crosstab(outcomes["group"], outcomes["outcome"]).reindex(
        index=table.index, columns=[RETRIEVED, ENDED, OPEN], fill_value=0
    )
    table["delivered"], table["failed"], table["not_final"] = (counts[k].to_numpy() for k in (RETRIEVED, ENDED, OPEN))
    table["not_final"] += table["accepted"] - counts.sum(axis=1).to_numpy()  # accepted, never polled
    some = table["accepted"] > 0
    table["rate"] = (table["delivered"] / table["accepted"].where(some)).astype("float64")
    table["rate_low"], table["rate_high"] = np.nan, np.nan
    if some.any():
        low, high = proportion.proportion_confint(
            table.loc[some, "delivered"], table.loc[some, "accepted"], alpha=1 - LEVEL, method="wilson"
        )
        table.loc[some, "rate_low"], table.loc[some, "rate_high"] = low, high
    medians = _estimate(outcomes, "campaign").summary["median"]
    table["median_retrieval"] = medians.reindex(table.index).astype("timedelta64[us]")
    ints = ["recipients", "requests", "quota_used", "accepted", "delivered", "failed", "not_final"]
    table = _with_states(table, book.states, ints)
    for column in ("first_sent", "last_sent", "state_until"):
        table[column] = pd.to_datetime(table[column], utc=True).dt.tz_convert(tz)
    table = table.astype(dict.fromkeys(ints, "int64"))[CAMPAIGN_COLUMNS]
    table = table.sort_values("first_sent", kind="stable", na_position="last")
    table.index = pd.Index(table.index, dtype="string", name="campaign")
    table.attrs.update(tz=tz)
    return table


def _with_states(table: pd.DataFrame, states: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """``table`` with each campaign's state, why and until when; a campaign with a state and no sends yet gets a
    row (its counts 0)."""
    recorded = states.set_index("campaign")
    table = table.reindex(table.index.append(recorded.index.difference(table.index)))
    table[counts] = table[counts].fillna(0)
    table["state"] = recorded["state"].reindex(table.index)
    table["state_reason"] = recorded["reason"].reindex(table.index)
    table["state_until"] = recorded["until"].reindex(table.index)
    return table


#: Weekday names in :func:`hourly`'s order (Monday first).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hourly(data: Any, tz: str = "Europe/Warsaw", within: str | pd.Timedelta = "1h") -> pd.DataFrame:
    """Delivery and retrieval of the ledger's messages by the weekday and hour they were sent, in local time.

    ``data`` is ``mmsnb.history(...)``. One row per weekday (``Mon`` first) and hour (0 to 23) in which
    something was sent (index: ``weekday``, ``hour``). Columns: ``messages`` (accepted), ``delivered``,
    ``rate`` (delivered / messages); ``known`` (messages whose fate ``within`` of sending is known: retrieved
    by then, ended without, or still polled at that time) and ``retrieved_within`` (the share of those retrieved
    within that time). A message whose last poll came sooner tells nothing about it and is left out of ``known``,
    so the share is not biased towards the quickly polled.

    >>> hourly(mmsnb.history(client=client), tz="Europe/Warsaw").columns.tolist()
    ['messages', 'delivered', 'rate', 'known', 'retrieved_within']
    """
    from .plot import _zone

    _zone(tz)
    horizon = pd.Timedelta(within).total_seconds()
    outcomes = _outcomes_of_history(data, None)
    local = pd.to_datetime(outcomes["sent_at"], utc=True).dt.tz_convert(tz)
    outcomes = outcomes[local.notna().to_numpy()]
    local = local[local.notna()]
    early = outcomes["seconds"].to_numpy() <= horizon
    retrieved = (outcomes["outcome"].to_numpy() == RETRIEVED) & early
    known = (
        retrieved | (outcomes["seconds"].to_numpy() >= horizon) | ((outcomes["outcome"].to_numpy() == ENDED) & early)
    )
    flags = pd.DataFrame(
        {
            "weekday": pd.Categorical.from_codes(local.dt.day_of_week.to_numpy(), categories=pd.Index(WEEKDAYS)),
            "hour": local.dt.hour.to_numpy().astype("int64"),
            "messages": 1,
            "delivered": outcomes["outcome"].to_numpy() == RETRIEVED,
            "known": known,
            "retrieved": retrieved,
        }
    )
    table = flags.groupby(["weekday", "hour"], observed=True).sum().astype("int64")
    table["rate"] = table["delivered"] / table["messages"]
    table["retrieved_within"] = (table.pop("retrieved") / table["known"].where(table["known"] > 0)).astype("float64")
    table.attrs.update(tz=tz, within=str(pd.Timedelta(within)))
    return table[["messages", "delivered", "rate", "known", "retrieved_within"]]


def headline(results: pd.DataFrame) -> pd.Series:
    """The counts of :func:`compare` for all rows together, with the delivery rate and its Wilson interval.

    >>> headline(results)[["sent", "delivered"]].tolist()
    [57, 41]
    """
    require(results, ("send_state", "status_category"))
    results = people_once(results)
    labels = pd.Series("all", index=results.index, dtype="string")
    row = _counts(results, labels, ["all"]).iloc[0]
    out = row.astype("float64").to_dict()
    out["rate"] = out["rate_low"] = out["rate_high"] = float("nan")
    if row["sent"]:
        proportion = _library("statsmodels.stats.proportion")
        out["rate"] = row["delivered"] / row["sent"]
        out["rate_low"], out["rate_high"] = proportion.proportion_confint(
            int(row["delivered"]), int(row["sent"]), alpha=1 - LEVEL, method="wilson"
        )
    series = pd.Series(out, dtype="object")
    for key in ("recipients", "not_sent", "sent", "delivered", "failed", "undetermined", "not_final"):
        series[key] = int(row[key])
    return series


#: The ``send_state`` a row read from the ledger gets from its request's state.
LEDGER_SEND_STATES = {
    "accepted": "accepted",
    "rejected": "rejected",
    "unknown": "unknown",
    "sending": "in-progress",
    "throttled": "in-progress",
    "unsent": "stopped",
}


def ledger_results(history: Any) -> pd.DataFrame:
    """A results frame (the columns and dtypes :func:`mmsnb.poll` returns) rebuilt from a ledger's history.

    One row per campaign and number: its accepted request if it has one, else its latest; its latest polled
    status, and ``delivered_at`` when a poll first saw it delivered. Numbers never sent (invalid, opted out)
    were never written to the ledger, so they are not here.
    """
    from .delivery_statuses import describe
    from .result_columns import DTYPES

    sends = history.sends.assign(_accepted=history.sends["state"].astype("object").eq("accepted"))
    sends = sends.sort_values(["_accepted", "sent_at"], kind="stable", na_position="first")
    sends = sends.drop_duplicates(["campaign", "address"], keep="last").sort_index()
    statuses = history.statuses.sort_values("polled_at", kind="stable")
    keys = ["campaign", "message_id", "address"]
    per_address = statuses[statuses["address"].ne("").fillna(False)]
    per_message = statuses[statuses["address"].eq("").fillna(False)].drop(columns="address")
    polled = pd.concat(
        [
            sends[keys].merge(per_address, on=keys, how="inner"),
            sends[keys].merge(per_message, on=["campaign", "message_id"], how="inner"),
        ],
        ignore_index=True,
    ).sort_values("polled_at", kind="stable")
    latest = polled.drop_duplicates(keys, keep="last").set_index(keys)
    delivered = polled[polled["category"].astype("object").eq("delivered")].groupby(keys)["polled_at"].min()
    at = pd.MultiIndex.from_frame(sends[keys])
    status = latest["status"].reindex(at)
    out = pd.DataFrame(
        {
            "campaign": sends["campaign"].to_numpy(),
            "address": sends["address"].to_numpy(),
            "send_state": sends["state"].astype("object").map(LEDGER_SEND_STATES).to_numpy(),
            "message_id": sends["message_id"].where(sends["_accepted"]).to_numpy(),
            "request_no": sends["request_no"].to_numpy(),
            "http_status": sends["http_status"].to_numpy(),
            "error_code": sends["error_code"].to_numpy(),
            "error": sends["error"].to_numpy(),
            "sent_at": sends["sent_at"].where(sends["_accepted"]).to_numpy(),
            "status": status.to_numpy(),
            "status_category": latest["category"].reindex(at).to_numpy(),
            "status_meaning": [None if pd.isna(s) else describe(str(s)).meaning for s in status],
            "final": latest["final"].reindex(at).to_numpy(),
            "polled_at": pd.to_datetime(latest["polled_at"].reindex(at).to_numpy(), utc=True),  # none: no zone kept
            "delivered_at": pd.to_datetime(delivered.reindex(at).to_numpy(), utc=True),
        }
    )
    return out.astype({c: DTYPES.get(c, "string") for c in out.columns})
