"""The public surface is what ``__all__`` says, pinned here: a name added or removed is a decision, made in
this file too."""

from __future__ import annotations

import importlib.metadata
import importlib.resources

import mmsnb

PUBLIC = {
    "SEND_STATES", "Attachment", "AuthError", "BadRequestError", "Category", "Client", "Composer", "ConfigError",
    "DeliveryStatus", "Faults", "History", "InputError", "Ledger", "LedgerError", "Limit", "MMSError", "Message",
    "Monitor", "NotFoundError", "Plan", "QuotaError", "RedirectError", "Retrieval", "Sandbox", "SendInfo", "SendResult",
    "SendState", "ServerError", "ThrottledError", "TransportError", "campaigns", "compare", "connect", "failures",
    "history", "normalize", "opt_in", "opt_out", "opted_out", "plan", "plot", "poll", "read_recipients", "read_results",
    "report", "resume", "retrieval", "sample", "send", "summary",
}  # fmt: skip


def test_all_is_pinned_and_every_name_in_it_resolves():
    assert set(mmsnb.__all__) == PUBLIC
    assert len(mmsnb.__all__) == len(PUBLIC)
    for name in mmsnb.__all__:
        assert getattr(mmsnb, name) is not None, name


def test_dir_offers_the_public_names_only():
    assert dir(mmsnb) == sorted(PUBLIC)
    assert not {"sys", "Any", "TYPE_CHECKING", "importlib", "campaign"} & set(dir(mmsnb))


def test_every_error_is_one_family():
    errors = [getattr(mmsnb, name) for name in PUBLIC if name.endswith("Error")]
    assert all(issubclass(error, mmsnb.MMSError) for error in errors)


def test_the_version_comes_from_the_package_metadata_and_types_are_shipped():
    assert mmsnb.__version__ == importlib.metadata.version("mmsnb")
    assert importlib.resources.files("mmsnb").joinpath("py.typed").is_file()


def test_a_history_says_what_they_hold_in_one_line(client, tmp_path):
    from datetime import UTC, datetime

    import pandas as pd

    frame = pd.DataFrame({"msisdn": ["501102030", "501102031", "12"]})
    ledger = tmp_path / "ledger.sqlite"
    client.now = lambda: datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    plan = mmsnb.plan(client, frame, subject="Hi", ledger=ledger, campaign="repr")
    assert repr(plan) == (
        "Plan 'repr': 2 recipients in 1 request; 100 requests available; 1 invalid skipped. It would start now and "
        "end around Saturday, 5 December 2026, 10:00 (Europe/Warsaw; at about 5 requests a second)."
    )
    plan.send(progress=False)
    assert repr(mmsnb.history(ledger=ledger)).startswith("History(sends=2 rows, statuses=0 rows, quota=")
    assert "\n" not in repr(mmsnb.history(ledger=ledger))
