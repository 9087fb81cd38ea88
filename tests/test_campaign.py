"""mmsnb.send against a real HTTPS sandbox and a real SQLite ledger: requests, rows, quota, faults, re-runs."""

from __future__ import annotations

import functools
import math
import pathlib
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from helpers import orange

import mmsnb
from mmsnb import message, wire
from mmsnb.result_columns import RESULT_COLUMNS

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
PROMO, LOGO, BIG = DATA / "promo.jpg", DATA / "logo.png", DATA / "big.jpg"


def gateway_form(number: str) -> str:
    return "tel:+48" + number


def send(client, frame, tmp_path, **kwargs):
    kwargs.setdefault("ledger", tmp_path / "ledger.sqlite")
    kwargs.setdefault("progress", False)
    return mmsnb.send(client, frame, **kwargs)


def received_addresses(sandbox) -> Counter:
    return Counter(a for r in sandbox.received for a in r.addresses)


def message_of(sandbox) -> dict[str, str]:
    """address -> message id, from what the sandbox accepted."""
    return {a: r.message_id for r in sandbox.received for a in r.addresses}


# -- requests and grouping ---------------------------------------------------


def test_grouping_puts_equal_content_into_requests_of_max_addresses(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(120)})
    results = send(client, frame, tmp_path, subject="Promocja")

    assert sandbox.gateway.counts["send"] == 3
    assert client.limit().used == 3
    assert sorted(len(r.addresses) for r in sandbox.received) == [20, 50, 50]
    assert (results.send_state == "accepted").all()
    assert sorted(results.request_no.unique().tolist()) == [1, 2, 3]
    by_address = message_of(sandbox)
    assert results.message_id.tolist() == [by_address[a] for a in results.address]
    assert received_addresses(sandbox) == Counter(gateway_form(n) for n in frame.msisdn)


def test_without_grouping_every_row_is_one_request(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(12)})
    results = send(client, frame, tmp_path, subject="Promocja", group=False)

    assert sandbox.gateway.counts["send"] == 12
    assert client.limit().used == 12
    assert all(len(r.addresses) == 1 for r in sandbox.received)
    assert results.message_id.nunique() == 12
    assert sorted(results.request_no.tolist()) == list(range(1, 13))


@pytest.mark.parametrize("max_addresses", [1, 7, 50])
def test_max_addresses_chunks_each_content(sandbox, client, tmp_path, max_addresses):
    frame = pd.DataFrame({"msisdn": orange(20), "text": ["A"] * 13 + ["B"] * 7})
    results = send(client, frame, tmp_path, subject="text", max_addresses=max_addresses)

    expected = math.ceil(13 / max_addresses) + math.ceil(7 / max_addresses)
    assert sandbox.gateway.counts["send"] == expected == client.limit().used
    assert results.mms.info.requests == expected
    for r in sandbox.received:
        assert 1 <= len(r.addresses) <= max_addresses
        subjects = set(frame.loc[frame.msisdn.map(gateway_form).isin(r.addresses), "text"])
        assert subjects == {r.subject}, "a request mixed rows of different content"
    assert received_addresses(sandbox) == Counter(gateway_form(n) for n in frame.msisdn)


def test_max_addresses_below_one_is_refused_before_sending(sandbox, client, tmp_path):
    with pytest.raises(mmsnb.InputError, match="max_addresses"):
        send(client, pd.DataFrame({"msisdn": orange(2)}), tmp_path, subject="x", max_addresses=0)
    assert sandbox.gateway.counts["send"] == 0


def test_each_distinct_attachment_is_read_and_encoded_once(sandbox, client, tmp_path, monkeypatch):
    promo, logo = PROMO.read_bytes(), LOGO.read_bytes()
    # The same file spelled two ways, and a second file as a Path and as text; 40 rows, one request each.
    specs = ["promo.jpg", "../data/promo.jpg", pathlib.Path("logo.png"), "./logo.png"] * 10
    frame = pd.DataFrame({"msisdn": orange(40), "picture": specs})

    # Observe (not replace) file reads and the computation of each attachment's base64 text.
    reads: Counter = Counter()
    encodes: Counter = Counter()
    real_read, real_b64 = message.read_file, wire.Attachment.__dict__["b64"].func

    def counting_read(path, *args, **kwargs):
        reads[path.resolve()] += 1
        return real_read(path, *args, **kwargs)

    def counting_b64(self):
        encodes[self.filename] += 1
        return real_b64(self)

    counted_b64 = functools.cached_property(counting_b64)
    counted_b64.__set_name__(wire.Attachment, "b64")
    monkeypatch.setattr(message, "read_file", counting_read)
    monkeypatch.setattr(wire.Attachment, "b64", counted_b64)
    wire._attachment_parts.cache_clear()  # encoded bodies are kept per process: an earlier test may have sent these
    results = send(client, frame, tmp_path, subject="Zdjęcie", attachments="picture", group=False, attachments_dir=DATA)
    monkeypatch.undo()

    assert (results.send_state == "accepted").all()
    assert sandbox.gateway.counts["send"] == 40
    assert reads[PROMO.resolve()] == 1
    assert reads[LOGO.resolve()] == 1
    assert encodes == Counter({"promo.jpg": 1, "logo.png": 1})
    sent = {r.addresses[0]: r.attachments for r in sandbox.received}
    for number, spec in zip(frame.msisdn, frame.picture, strict=True):
        (file,) = sent[gateway_form(number)]
        assert file.data == (promo if "promo" in str(spec) else logo)
        assert file.content_type == ("image/jpeg" if "promo" in str(spec) else "image/png")


# -- checking rows -------------------------------------------------------------


def test_mixed_frame_gives_each_row_its_state_and_reason(sandbox, client, tmp_path):
    (tmp_path / "a-directory.jpg").mkdir()
    (tmp_path / "promo.jpg").write_bytes(PROMO.read_bytes())
    (tmp_path / "big.jpg").write_bytes(BIG.read_bytes())
    rows = {
        "ok": ("501 102 030", "Witaj", "promo.jpg"),
        "short": ("12345", "Witaj", "promo.jpg"),
        "repeat": ("+48501102030", "Witaj", "promo.jpg"),
        "play": ("790 000 001", "Witaj", "promo.jpg"),
        "no-number": (None, "Witaj", "promo.jpg"),
        "no-subject": ("501102031", np.nan, "promo.jpg"),
        "unreadable": ("501102032", "Witaj", "a-directory.jpg"),
        "absent": ("501102033", "Witaj", "nowhere.jpg"),
        "oversized": ("501102034", "Witaj", "big.jpg"),
        "fixed-line": ("22 594 90 00", "Witaj", "promo.jpg"),
        "other-text": ("501-102-030", "Inny tekst", "promo.jpg"),
        "no-picture": ("501102035", "Witaj", None),
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["msisdn", "subject", "picture"])
    results = send(client, frame, tmp_path, subject="subject", attachments="picture", attachments_dir=tmp_path)

    expected = {
        "ok": "accepted",
        "short": "invalid",
        "repeat": "duplicate",
        "play": "accepted",
        "no-number": "invalid",
        "no-subject": "invalid",
        "unreadable": "invalid",
        "absent": "invalid",
        "oversized": "invalid",
        "fixed-line": "invalid",
        "other-text": "duplicate",
        "no-picture": "accepted",
    }
    assert results.send_state.astype(str).to_dict() == expected
    reasons = {
        "short": "'12345'",
        "repeat": "as row ok:",
        "other-text": "with row ok's content",
        "no-number": "missing",
        "no-subject": "subject is missing",
        "unreadable": "not a regular file",
        "absent": "does not exist",
        "oversized": "over the gateway's limit",
        "fixed-line": "fixed-line",
    }
    for label, words in reasons.items():
        assert words in results.at[label, "error"], (label, results.at[label, "error"])
    sent = results.send_state == "accepted"
    assert results.loc[sent, "error"].isna().all()
    assert results.loc[sent, "message_id"].notna().all()
    assert results.loc[~sent, "message_id"].isna().all()
    assert results.at["play", "carrier_hint"] != "Orange" and results.at["ok", "carrier_hint"] == "Orange"
    assert results.at["repeat", "address"] == results.at["ok", "address"] == "tel:+48501102030"
    bad_numbers = ["short", "no-number", "fixed-line"]
    assert results.loc[bad_numbers, ["address", "carrier_hint"]].isna().all().all()
    assert (results.loc[["no-subject", "unreadable", "absent", "oversized"], "carrier_hint"] == "Orange").all()
    # Only the sendable rows reached the gateway, each number once, with its first row's content.
    assert received_addresses(sandbox) == Counter({"tel:+48501102030": 1, "tel:+48790000001": 1, "tel:+48501102035": 1})
    assert {r.subject for r in sandbox.received} == {"Witaj"}
    assert [len(r.attachments) for r in sandbox.received if "tel:+48501102035" in r.addresses] == [0]


def test_subject_template_keeps_polish_letters(sandbox, client, tmp_path):
    frame = pd.DataFrame(
        {"msisdn": orange(3), "first_name": ["Łukasz", "Zażółć", "Gęślą Jaźń"], "city": ["Łódź", "Kraków", "Gdańsk"]}
    )
    results = send(client, frame, tmp_path, subject="Cześć {first_name} z {city}! Źdźbło", group=False)

    assert (results.send_state == "accepted").all()
    got = {r.addresses[0]: r.subject for r in sandbox.received}
    assert got == {
        "tel:+48501000000": "Cześć Łukasz z Łódź! Źdźbło",
        "tel:+48501000001": "Cześć Zażółć z Kraków! Źdźbło",
        "tel:+48501000002": "Cześć Gęślą Jaźń z Gdańsk! Źdźbło",
    }


def test_template_value_missing_in_a_row_makes_that_row_invalid(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(2), "first_name": ["Ala", np.nan]})
    results = send(client, frame, tmp_path, subject="Cześć {first_name}!")

    assert results.send_state.astype(str).tolist() == ["accepted", "invalid"]
    assert "first_name" in results.error.iloc[1]
    assert [r.subject for r in sandbox.received] == ["Cześć Ala!"]


def test_template_naming_a_missing_column_fails_before_anything_is_sent(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(3), "first_name": ["A", "B", "C"]})
    with pytest.raises(mmsnb.InputError, match="surname"):
        send(client, frame, tmp_path, subject="Dzień dobry {surname}")
    assert sandbox.gateway.counts["send"] == 0
    assert sandbox.gateway.counts["limit"] == 0


def test_subject_with_a_lone_brace_is_an_input_error(sandbox, client, tmp_path):
    with pytest.raises(mmsnb.InputError, match="literal braces"):
        send(client, pd.DataFrame({"msisdn": orange(1)}), tmp_path, subject="Rabat {50%")
    assert sandbox.gateway.counts["send"] == 0


def test_missing_number_column_is_named(sandbox, client, tmp_path):
    frame = pd.DataFrame({"phone": orange(2)})
    with pytest.raises(mmsnb.InputError, match="'msisdn'") as caught:
        send(client, frame, tmp_path, subject="x")
    assert "phone" in str(caught.value)
    assert sandbox.gateway.counts["send"] == 0


# -- re-runs -------------------------------------------------------------------


@pytest.mark.parametrize("campaign", ["wiosna", None])
def test_rerun_sends_nothing_twice(sandbox, client, tmp_path, campaign):
    frame = pd.DataFrame({"msisdn": [*orange(60), "123", "501000000"], "first_name": ["Ola"] * 62})
    first = send(client, frame, tmp_path, subject="Cześć {first_name}", attachments=PROMO, campaign=campaign)
    used, sends = client.limit().used, sandbox.gateway.counts["send"]

    again = send(client, frame, tmp_path, subject="Cześć {first_name}", attachments=PROMO, campaign=campaign)

    assert client.limit().used == used
    assert sandbox.gateway.counts["send"] == sends == 2
    accepted = first.send_state == "accepted"
    assert accepted.sum() == 60
    assert (again.loc[accepted, "send_state"] == "already-sent").all()
    pd.testing.assert_series_equal(again.loc[accepted, "message_id"], first.loc[accepted, "message_id"])
    pd.testing.assert_series_equal(again.loc[accepted, "sent_at"], first.loc[accepted, "sent_at"])
    pd.testing.assert_series_equal(again.loc[accepted, "request_no"], first.loc[accepted, "request_no"])
    assert again.send_state.astype(str).iloc[60:].tolist() == ["invalid", "duplicate"]
    assert again.mms.info.campaign == first.mms.info.campaign
    if campaign:
        assert first.mms.info.campaign == campaign


def test_rows_added_to_an_unnamed_campaign_are_the_only_ones_sent(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(30)})
    first = send(client, frame.iloc[:20], tmp_path, subject="Promocja", attachments=PROMO)
    grown = send(client, frame, tmp_path, subject="Promocja", attachments=PROMO)

    assert grown.mms.info.campaign == first.mms.info.campaign
    assert grown.send_state.astype(str).tolist() == ["already-sent"] * 20 + ["accepted"] * 10
    assert received_addresses(sandbox) == Counter({gateway_form(n): 1 for n in frame.msisdn})


@pytest.mark.parametrize("change", ["subject", "attachment"])
def test_changed_content_in_a_named_campaign_is_not_sent_again(sandbox, client, tmp_path, change):
    frame = pd.DataFrame({"msisdn": orange(5)})
    first = send(client, frame, tmp_path, subject="Wersja 1", attachments=PROMO, campaign="c")
    changed = {"subject": "Wersja 2"} if change == "subject" else {"attachments": LOGO}
    second = send(client, frame, tmp_path, **{"subject": "Wersja 1", "attachments": PROMO, **changed}, campaign="c")

    assert (second.send_state == "already-sent").all()
    assert second.message_id.tolist() == first.message_id.tolist()
    assert received_addresses(sandbox) == Counter({gateway_form(n): 1 for n in frame.msisdn})


@pytest.mark.parametrize("change", ["subject", "attachment"])
def test_changed_content_without_a_name_is_a_new_campaign(sandbox, client, tmp_path, change):
    frame = pd.DataFrame({"msisdn": orange(5)})
    first = send(client, frame, tmp_path, subject="Wersja 1", attachments=PROMO)
    changed = {"subject": "Wersja 2"} if change == "subject" else {"attachments": LOGO}
    second = send(client, frame, tmp_path, **{"subject": "Wersja 1", "attachments": PROMO, **changed})

    assert second.mms.info.campaign != first.mms.info.campaign
    assert (second.send_state == "accepted").all()
    assert set(second.message_id).isdisjoint(first.message_id)
    assert received_addresses(sandbox) == Counter({gateway_form(n): 2 for n in frame.msisdn})


def sent_subjects(sandbox) -> Counter:
    """(address, subject) -> how many times the sandbox accepted it."""
    return Counter((a, r.subject) for r in sandbox.received for a in r.addresses)


@pytest.mark.parametrize("subject", ["text", "{text}", "Wiadomość: {text}"])
def test_different_subjects_from_a_column_are_different_campaigns(sandbox, client, tmp_path, subject):
    numbers = orange(3)
    first = send(client, pd.DataFrame({"msisdn": numbers, "text": "Spring sale"}), tmp_path, subject=subject)
    second = send(
        client, pd.DataFrame({"msisdn": numbers, "text": "Your parcel is delayed"}), tmp_path, subject=subject
    )

    assert second.mms.info.campaign != first.mms.info.campaign
    assert (second.send_state == "accepted").all()
    prefix = "Wiadomość: " if subject.startswith("Wiadomość") else ""
    texts = ("Spring sale", "Your parcel is delayed")
    assert sent_subjects(sandbox) == Counter({(gateway_form(n), prefix + t): 1 for n in numbers for t in texts})


def test_different_files_from_a_column_are_different_campaigns(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(3), "file": "offer.txt"})
    (tmp_path / "offer.txt").write_text("Spring sale")
    first = send(client, frame, tmp_path, subject="Oferta", attachments="file", attachments_dir=tmp_path)
    (tmp_path / "offer.txt").write_text("Your parcel is delayed")
    second = send(client, frame, tmp_path, subject="Oferta", attachments="file", attachments_dir=tmp_path)

    assert second.mms.info.campaign != first.mms.info.campaign
    assert (second.send_state == "accepted").all()
    sent = Counter((a, r.attachments[0].data) for r in sandbox.received for a in r.addresses)
    assert sent == Counter(
        {(gateway_form(n), text): 1 for n in frame.msisdn for text in (b"Spring sale", b"Your parcel is delayed")}
    )


@pytest.mark.parametrize("subject", ["text", "Cześć {first_name}", "{first_name}: {text}"])
def test_rerunning_a_cell_with_content_from_columns_sends_nothing_again(sandbox, client, tmp_path, subject):
    for name, text in (("a.txt", "Regulamin A"), ("b.txt", "Regulamin B")):
        (tmp_path / name).write_text(text)
    frame = pd.DataFrame(
        {
            "msisdn": orange(4),
            "first_name": ["Ola", "Jan", "Ewa", "Ala"],
            "text": ["Wiosna", "Lato", "Wiosna", "Jesień"],
            "file": ["a.txt", "b.txt", "a.txt", "b.txt"],
        }
    )
    options = dict(subject=subject, attachments="file", attachments_dir=tmp_path)
    first = send(client, frame, tmp_path, **options)
    sends = sandbox.gateway.counts["send"]
    again = send(client, frame.copy(), tmp_path, **options)
    reordered = send(client, frame.iloc[::-1], tmp_path, **options)

    assert again.mms.info.campaign == reordered.mms.info.campaign == first.mms.info.campaign
    assert (first.send_state == "accepted").all()
    assert (again.send_state == "already-sent").all() and (reordered.send_state == "already-sent").all()
    assert sandbox.gateway.counts["send"] == sends
    assert received_addresses(sandbox) == Counter({gateway_form(n): 1 for n in frame.msisdn})


def test_correcting_a_number_keeps_a_personalised_campaign(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": [*orange(3), "50100000"], "first_name": ["Ola", "Jan", "Ewa", "Ala"]})
    first = send(client, frame, tmp_path, subject="Cześć {first_name}")
    frame.loc[3, "msisdn"] = "501000003"
    corrected = send(client, frame, tmp_path, subject="Cześć {first_name}")

    assert corrected.mms.info.campaign == first.mms.info.campaign
    assert first.send_state.astype(str).tolist()[3] == "invalid"
    assert corrected.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"]
    assert sent_subjects(sandbox) == Counter(
        {(gateway_form(n), f"Cześć {name}"): 1 for n, name in zip(frame.msisdn, frame.first_name, strict=True)}
    )


def test_fitting_a_file_named_in_a_column_keeps_the_campaign(sandbox, client, tmp_path):
    for name in ("promo.jpg", "big.jpg"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    frame = pd.DataFrame({"msisdn": orange(2), "file": ["promo.jpg", "big.jpg"]})
    options = dict(subject="Oferta", attachments="file", attachments_dir=tmp_path)
    first = send(client, frame, tmp_path, **options)
    fitted = send(client, frame, tmp_path, fit=True, **options)

    assert fitted.mms.info.campaign == first.mms.info.campaign
    assert first.send_state.astype(str).tolist() == ["accepted", "invalid"]
    assert fitted.send_state.astype(str).tolist() == ["already-sent", "accepted"]
    assert received_addresses(sandbox) == Counter({gateway_form(n): 1 for n in frame.msisdn})


# -- quota -----------------------------------------------------------------------


def test_quota_used_up_mid_run_stops_and_a_later_call_resumes(make_sandbox, tmp_path, monkeypatch):
    """The quota runs out mid-run because another client spends it.

    Deterministic timing: the campaign's own pre-check reading (10 available, 10 needed) is taken
    as usual, then, before the first send, another client spends 6 requests. We get there by
    wrapping this client's ``limit`` so that it returns the real reading and then lets the other
    client spend; nothing in mmsnb is replaced. With ``workers=1`` requests go in row order, so
    exactly the first 4 rows are accepted and the 5th meets HTTP 403 code 53.
    """
    sandbox = make_sandbox(quota=10)
    client, other = sandbox.client(timeout=(2, 2)), sandbox.client(timeout=(2, 2))
    real_limit = client.limit

    def limit_then_someone_else_spends():
        reading = real_limit()
        for _ in range(6):
            other.send_mms("600000001", subject="someone else's campaign")
        return reading

    monkeypatch.setattr(client, "limit", limit_then_someone_else_spends)
    frame = pd.DataFrame({"msisdn": orange(10)}, index=[f"r{i}" for i in range(10)])
    first = send(client, frame, tmp_path, subject="Hej", group=False, workers=1)
    monkeypatch.undo()

    states = first.send_state.astype(str).tolist()
    assert states == ["accepted"] * 4 + ["quota"] * 6
    assert first.mms.info.available == 10
    refused = first[first.http_status.notna() & (first.send_state == "quota")]
    assert len(refused) == 1 and refused.index[0] == "r4"
    assert refused.http_status.iloc[0] == 403 and refused.error_code.iloc[0] == 53
    assert first.loc[first.send_state == "quota", "error"].str.contains("resume").all()
    assert first.loc[first.send_state == "quota", "message_id"].isna().all()

    sandbox.reset_quota()
    second = send(client, frame, tmp_path, subject="Hej", group=False, workers=1)

    assert second.send_state.astype(str).tolist() == ["already-sent"] * 4 + ["accepted"] * 6
    assert second.message_id.iloc[:4].tolist() == first.message_id.iloc[:4].tolist()
    ours = Counter(a for r in sandbox.received if r.subject == "Hej" for a in r.addresses)
    assert ours == Counter(gateway_form(n) for n in frame.msisdn)
    assert client.limit().used == 6


def test_allow_partial_sends_what_fits_and_a_later_call_sends_the_rest(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=3)
    client = sandbox.client(timeout=(2, 2))
    frame = pd.DataFrame({"msisdn": orange(5)})
    first = send(client, frame, tmp_path, subject="Hej", group=False, allow_partial=True, workers=1)

    assert first.send_state.astype(str).tolist() == ["accepted"] * 3 + ["quota"] * 2
    assert first.loc[first.send_state == "quota", "error"].str.contains("quota allows 3").all()
    assert sandbox.gateway.counts["send"] == 3

    sandbox.reset_quota()
    second = send(client, frame, tmp_path, subject="Hej", group=False, workers=1)

    assert second.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"] * 2
    assert sandbox.gateway.counts["send"] == 5
    assert received_addresses(sandbox) == Counter(gateway_form(n) for n in frame.msisdn)


def test_campaign_over_quota_raises_and_sends_nothing(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=3)
    client = sandbox.client(timeout=(2, 2))
    frame = pd.DataFrame({"msisdn": orange(5)})
    with pytest.raises(mmsnb.QuotaError, match="needs 5 requests but only 3") as caught:
        send(client, frame, tmp_path, subject="Hej", group=False)
    assert "Nothing was sent" in str(caught.value)
    assert sandbox.gateway.counts["send"] == 0
    assert client.limit().used == 0
    assert mmsnb.history(ledger=tmp_path / "ledger.sqlite").sends.empty
    # Grouped, the same rows fit in one request.
    assert (send(client, frame, tmp_path, subject="Hej").send_state == "accepted").all()
    assert sandbox.gateway.counts["send"] == 1


def test_dry_run_plans_and_sends_nothing(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=3)
    client = sandbox.client(timeout=(2, 2))
    frame = pd.DataFrame({"msisdn": [*orange(5), "brak"]})
    planned = send(client, frame, tmp_path, subject="Hej", group=False, dry_run=True)

    assert planned.send_state.astype(str).tolist() == ["planned"] * 5 + ["invalid"]
    assert sorted(planned.request_no.dropna().tolist()) == [1, 2, 3, 4, 5]
    assert planned.message_id.isna().all() and planned.sent_at.isna().all()
    assert planned.mms.info.requests == 5
    assert planned.mms.info.available == 3
    assert sandbox.gateway.counts["send"] == 0
    assert mmsnb.history(ledger=tmp_path / "ledger.sqlite").sends.empty
    grouped = send(client, frame, tmp_path, subject="Hej", dry_run=True, max_addresses=2)
    assert grouped.mms.info.requests == 3
    assert grouped.request_no.dropna().value_counts().sort_index().tolist() == [2, 2, 1]
    assert sandbox.gateway.counts["send"] == 0


# -- requests that may have reached the gateway -----------------------------------


def test_read_timeout_is_unknown_and_repeated_only_on_request(make_sandbox, tmp_path):
    sandbox = make_sandbox(faults=mmsnb.Faults(slow_seconds=3))
    client = sandbox.client(timeout=(2, 1))
    frame = pd.DataFrame({"msisdn": orange(1)})
    sandbox.fail_next("slow")

    first = send(client, frame, tmp_path, subject="Hej")
    assert first.send_state.astype(str).tolist() == ["unknown"]
    assert "did not answer" in first.error.iloc[0]
    assert len(sandbox.received) == 1  # the gateway did take it

    again = send(client, frame, tmp_path, subject="Hej")
    assert again.send_state.astype(str).tolist() == ["unknown"]
    assert "retry_unknown=True" in again.error.iloc[0]
    assert sandbox.gateway.counts["send"] == 1

    retried = send(client, frame, tmp_path, subject="Hej", retry_unknown=True)
    assert retried.send_state.astype(str).tolist() == ["accepted"]
    assert sandbox.gateway.counts["send"] == 2
    assert retried.message_id.iloc[0] == sandbox.received[-1].message_id
    assert send(client, frame, tmp_path, subject="Hej").send_state.astype(str).tolist() == ["already-sent"]


@pytest.mark.parametrize(
    "fault, processed", [("drop_after", True), ("server_error", False), ("html_error", False), ("garbage", True)]
)
def test_fault_on_a_send_is_unknown_and_not_repeated(sandbox, client, tmp_path, fault, processed):
    frame = pd.DataFrame({"msisdn": orange(3)})
    sandbox.fail_next(fault)
    first = send(client, frame, tmp_path, subject="Hej", group=False, workers=1)

    assert first.send_state.astype(str).tolist() == ["unknown", "accepted", "accepted"]
    assert first.message_id.iloc[0] is pd.NA
    assert ("tel:+48501000000" in received_addresses(sandbox)) is processed

    again = send(client, frame, tmp_path, subject="Hej", group=False, workers=1)
    assert again.send_state.astype(str).tolist() == ["unknown", "already-sent", "already-sent"]
    assert sandbox.gateway.counts["send"] == 2 + processed


# -- scale, dtypes, index, empty, accessor ---------------------------------------------


def test_ten_thousand_rows_grouped_into_two_hundred_requests(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000)
    client = sandbox.client(timeout=(5, 10))
    frame = pd.DataFrame({"msisdn": orange(10_000)})
    results = send(client, frame, tmp_path, subject="Wielka promocja")

    assert sandbox.gateway.counts["send"] == 200
    assert client.limit().used == 200
    assert (results.send_state == "accepted").all()
    assert results.message_id.nunique() == 200
    assert all(len(r.addresses) == 50 for r in sandbox.received)
    assert received_addresses(sandbox) == Counter(gateway_form(n) for n in frame.msisdn)
    by_address = message_of(sandbox)
    assert results.message_id.tolist() == [by_address[a] for a in results.address]


def test_result_columns_and_dtypes(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": [*orange(3), "x"], "score": [1, 2, 3, 4], "name": ["a", "b", "c", "d"]})
    results = send(client, frame, tmp_path, subject="Hej")

    assert list(results.columns) == ["msisdn", "score", "name", *RESULT_COLUMNS]
    pd.testing.assert_frame_equal(results[frame.columns], frame)
    for column in ("address", "carrier_hint", "message_id", "error"):
        assert isinstance(results[column].dtype, pd.StringDtype), column
    assert isinstance(results.send_state.dtype, pd.CategoricalDtype)
    assert list(results.send_state.cat.categories) == list(mmsnb.SEND_STATES)
    for column in ("request_no", "http_status", "error_code"):
        assert results[column].dtype == "Int64", column
    assert isinstance(results.sent_at.dtype, pd.DatetimeTZDtype) and str(results.sent_at.dt.tz) == "UTC"
    assert results.sent_at.iloc[:3].notna().all() and pd.isna(results.sent_at.iloc[3])
    assert results.http_status.iloc[:3].tolist() == [200, 200, 200]


@pytest.mark.parametrize("kind", ["strings", "multi"])
def test_index_is_preserved(sandbox, client, tmp_path, kind):
    numbers = [*orange(4)[::-1], "+48 501 000 003"]  # shuffled order and a repeat of the first
    if kind == "strings":
        index = pd.Index(["d", "c", "b", "a", "e"], name="who")
    else:
        index = pd.MultiIndex.from_tuples([("x", 4), ("x", 3), ("y", 2), ("y", 1), ("z", 0)], names=["group", "n"])
    frame = pd.DataFrame({"msisdn": numbers}, index=index)
    results = send(client, frame, tmp_path, subject="Hej")

    assert results.index.equals(frame.index)
    assert results.index.names == frame.index.names
    assert results.address.tolist() == [gateway_form(n) for n in orange(4)[::-1]] + ["tel:+48501000003"]
    assert results.send_state.astype(str).tolist() == ["accepted"] * 4 + ["duplicate"]
    assert ("as row d:" if kind == "strings" else "as row (x, 4):") in results.error.iloc[4]


def test_empty_frame_gives_empty_result_and_no_requests(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": pd.Series([], dtype=object), "first_name": pd.Series([], dtype=object)})
    results = send(client, frame, tmp_path, subject="Cześć {first_name}")

    assert len(results) == 0
    assert list(results.columns) == ["msisdn", "first_name", *RESULT_COLUMNS]
    assert isinstance(results.send_state.dtype, pd.CategoricalDtype)
    assert results.request_no.dtype == "Int64"
    assert sandbox.gateway.counts["send"] == 0
    assert results.mms.info.requests == 0


def test_accessor_send_is_mmsnb_send(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": [*orange(4), "?"]})
    results = frame.mms.send(client, subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False)

    assert results.send_state.astype(str).tolist() == ["accepted"] * 4 + ["invalid"]
    assert sandbox.gateway.counts["send"] == 1
    again = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False)
    assert again.send_state.astype(str).tolist() == ["already-sent"] * 4 + ["invalid"]


@pytest.mark.parametrize("subject", ["100%", "Bez pól, 100% {{rabatu}}"])
def test_constant_subject_is_sent_as_written(sandbox, client, tmp_path, subject):
    results = send(client, pd.DataFrame({"msisdn": orange(2)}), tmp_path, subject=subject)
    assert (results.send_state == "accepted").all()
    assert [r.subject for r in sandbox.received] == [subject.replace("{{", "{").replace("}}", "}")]
