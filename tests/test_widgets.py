"""The composer and the monitor, driven from Python: set values, click buttons, read what the form
shows and what reached the sandbox."""

from __future__ import annotations

import threading
import time
from collections import Counter

import ipywidgets as widgets
import pandas as pd
import pytest
from helpers import upload

import mmsnb
from mmsnb.widgets import Composer, Monitor

POLISH = "Zażółć gęślą jaźń — Cześć Łucjo!"
ORANGE_NUMBERS = "501 102 030\n+48 510 000 000, 0048511000000"
ADDRESSES = {"tel:+48501102030", "tel:+48510000000", "tel:+48511000000"}


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.02)


def shown(widget: widgets.Widget) -> bool:
    return widget.layout.display != "none"


def all_widgets(root: widgets.Widget):
    """Every widget under ``root``, itself included."""
    yield root
    for child in getattr(root, "children", ()):
        yield from all_widgets(child)


@pytest.fixture
def composer(client, tmp_path):
    form = Composer(client, ledger=tmp_path / "ledger.sqlite", interval=0.05)
    yield form
    form.close()


def fill(form: Composer, numbers: str = ORANGE_NUMBERS, subject: str = POLISH) -> None:
    form.recipients.text.value = numbers
    form.subject.value = subject


# -- recipients ----------------------------------------------------------------
def test_typed_numbers_are_counted_and_the_invalid_ones_listed_inline(composer):
    composer.recipients.text.value = "501 102 030, +48 510 000 000\n12345\n22 628 14 30; 501-102-030"
    count, issues = composer.recipients.count.value, composer.recipients.issues.value
    assert "3 valid recipients" in count
    assert "1 repeated" in count and "2 invalid" in count
    assert "12345" in issues and "not a valid Polish number" in issues
    assert "22 628 14 30" in issues and "fixed-line" in issues


def test_a_list_of_numbers_fills_the_text_area(client, tmp_path):
    form = Composer(client, recipients=["501102030", "12"], ledger=tmp_path / "ledger.sqlite")
    try:
        assert form.recipients.text.value == "501102030\n12" and not form.recipients.using_table
        assert "1 valid recipient;" in form.recipients.count.value
    finally:
        form.close()


def test_numbers_in_other_networks_ranges_get_a_hint(composer):
    composer.recipients.text.value = "501 102 030\n790 000 000"
    assert "2 valid recipients" in composer.recipients.count.value
    assert "Play 1" in composer.recipients.issues.value
    assert "Orange numbers only" in composer.recipients.issues.value


@pytest.mark.parametrize("numbers", ["", "12345, abc", "   \n , ;"])
def test_an_empty_or_invalid_only_list_cannot_be_sent(composer, sandbox, numbers):
    fill(composer, numbers=numbers)
    assert "0 valid recipients" in composer.recipients.count.value
    assert composer.send_button.disabled
    assert "valid number" in composer.why.value
    composer.send_button.click()  # .click() runs the handler even when disabled: it must refuse
    composer.confirm_button.click()
    assert not shown(composer.confirmation)
    assert sandbox.received == []


def test_a_message_needs_a_subject_or_an_attachment(composer, jpeg):
    fill(composer, subject="  ")
    assert composer.send_button.disabled
    assert "subject or attach" in composer.why.value
    composer.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)
    assert not composer.send_button.disabled
    assert composer.why.value == ""


def test_a_dataframe_gives_a_column_drop_down_and_subject_templates(client, sandbox, tmp_path):
    frame = pd.DataFrame({"name": ["Ala", "Olek", "Zła"], "phone": ["501 102 030", "510-000-000", "12"]})
    form = Composer(client, recipients=frame, ledger=tmp_path / "ledger.sqlite", interval=0.05)
    try:
        assert form.recipients.using_table
        assert form.recipients.column.options == ("name", "phone")
        assert form.recipients.column.value == "phone"
        assert "2 valid recipients" in form.recipients.count.value
        assert "Row 2" in form.recipients.issues.value
        form.subject.value = "Cześć {name}!"
        assert "Cześć Ala!" in form.preview.body.value
        form.send_button.click()
        assert "Send to 2 recipients in 2 messages" in form.confirm_text.value
        assert "1 invalid number: skipped" in form.confirm_text.value
        form.confirm_button.click()
        assert {m.subject for m in sandbox.received} == {"Cześć Ala!", "Cześć Olek!"}
        form.recipients.column.value = "name"
        assert "0 valid recipients" in form.recipients.count.value and form.send_button.disabled
    finally:
        form.close()


def test_an_uploaded_csv_becomes_the_table(composer):
    csv = "imię;telefon\nŁucja;501 102 030\nOla;12\n".encode("cp1250")  # as Polish Excel saves it
    composer.recipients.csv.value = (upload("lista.csv", csv, "text/csv"),)
    assert composer.recipients.using_table
    assert composer.recipients.column.value == "telefon"
    assert "lista.csv: 2 rows" in composer.recipients.table_info.value
    assert "1 valid recipient;" in composer.recipients.count.value
    assert "Row 3" in composer.recipients.issues.value  # the file's line, the header being line 1


def test_a_one_column_csv_is_read_and_an_empty_one_refused(composer):
    composer.recipients.csv.value = (upload("puste.csv", b"", "text/csv"),)
    assert "puste.csv is empty" in composer.recipients.table_info.value
    assert composer.recipients.table is None
    composer.recipients.csv.value = (upload("numery.csv", b"msisdn\n501102030\n510 000 000\n", "text/csv"),)
    assert composer.recipients.column.options == ("msisdn",)
    assert "2 valid recipients" in composer.recipients.count.value


def test_typed_braces_are_sent_as_they_are(composer, sandbox):
    fill(composer, numbers="501 102 030", subject="Kod {RABAT20}")
    composer.send_button.click()
    composer.confirm_button.click()
    assert [m.subject for m in sandbox.received] == ["Kod {RABAT20}"]


# -- the message -----------------------------------------------------------------
def test_the_subject_has_a_character_count_and_the_preview_follows_the_form(composer, jpeg):
    fill(composer, subject="Zażółć")
    composer.sender.value = "Sklep <Łódź>"
    composer.attachments.upload.value = (
        upload("promo.jpg", jpeg, "image/jpeg"),
        upload("terms.txt", b"Regulamin"),
    )
    assert "6 characters" in composer.subject_count.value
    assert "Sklep &lt;Łódź&gt;" in composer.preview.header.value
    assert "Zażółć" in composer.preview.body.value
    assert [p.value for p in composer.preview.pictures.children] == [jpeg]
    assert "terms.txt" in composer.preview.others.value


# -- attachments -------------------------------------------------------------------
def test_attachments_show_thumbnails_sizes_and_the_total_against_the_limit(composer, jpeg):
    composer.attachments.upload.value = (
        upload("promo.jpg", jpeg, "image/jpeg"),
        upload("terms.txt", b"x" * 2048, "text/plain"),
    )
    thumb, _text, _ = composer.attachments.rows.children[0].children
    assert isinstance(thumb, widgets.Image) and thumb.value == jpeg
    assert not isinstance(composer.attachments.rows.children[1].children[0], widgets.Image)
    assert "terms.txt" in composer.attachments.rows.children[1].children[1].value
    assert "2 KB" in composer.attachments.rows.children[1].children[1].value
    assert composer.attachments.bar.max == composer.max_message_bytes
    assert composer.attachments.bar.value == len(jpeg) + 2048
    assert "of 300 KB" in composer.attachments.size_line.value
    # The button counts the files attached ("Attach files (2)"): its value holds them, without their content.
    assert [f["name"] for f in composer.attachments.upload.value] == ["promo.jpg", "terms.txt"]
    assert not any(len(f["content"]) for f in composer.attachments.upload.value)
    composer.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)  # the same file chosen again
    assert len(composer.attachments.files) == 3 and len(composer.attachments.upload.value) == 3
    composer.attachments.remove(composer.attachments.files[0])
    assert len(composer.attachments.upload.value) == 2


def test_types_and_sizes_the_gateway_would_reject_are_refused(composer):
    limit = composer.max_message_bytes
    composer.attachments.upload.value = (
        upload("umowa.pdf", b"%PDF-1.4", "application/pdf"),
        upload("huge.txt", b"x" * (limit + 1), "text/plain"),
        upload("ok.txt", b"fine", "text/plain"),
    )
    refusals = composer.attachments.refusals.value
    assert "umowa.pdf" in refusals and "application/pdf" in refusals
    assert "huge.txt" in refusals and "over the gateway" in refusals
    assert [f.filename for f in composer.attachments.files] == ["ok.txt"]


def test_a_total_over_the_limit_disables_send_until_a_file_is_removed(composer):
    fill(composer)
    part = composer.max_message_bytes * 6 // 10
    composer.attachments.upload.value = (upload("a.txt", b"a" * part), upload("b.txt", b"b" * part))
    assert composer.attachments.over_limit and composer.attachments.bar.bar_style == "danger"
    assert "over the gateway's limit" in composer.attachments.size_line.value.replace("&#x27;", "'")
    assert composer.send_button.disabled
    remove = composer.attachments.rows.children[0].children[2]
    remove.click()
    assert [f.filename for f in composer.attachments.files] == ["b.txt"]
    assert not composer.attachments.over_limit and not composer.send_button.disabled


def test_uploaded_file_names_are_sanitised(composer, sandbox, jpeg):
    fill(composer, numbers="501 102 030")
    composer.attachments.upload.value = (upload('../../etc/pro"mo\n.jpg', jpeg, "image/jpeg"),)
    assert [f.filename for f in composer.attachments.files] == ["pro_mo_.jpg"]
    composer.send_button.click()
    composer.confirm_button.click()
    assert [f.filename for f in sandbox.received[0].attachments] == ["pro_mo_.jpg"]


# -- sending -----------------------------------------------------------------------
def test_send_confirm_reaches_the_sandbox_and_shows_results_then_the_monitor(composer, sandbox, jpeg):
    assert "0 used, 100 left" in composer.quota.value
    fill(composer)
    composer.sender.value = "Sklep"
    composer.priority.value = "High"
    composer.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)
    assert not composer.send_button.disabled

    composer.send_button.click()
    assert shown(composer.confirmation)
    text = composer.confirm_text.value
    assert "Send to 3 recipients in 1 message?" in text
    assert "Message limit: 100 left, 99 after this send" in text
    assert sandbox.received == [], "the confirmation must not send"

    composer.confirm_button.click()
    (message,) = sandbox.received
    assert set(message.addresses) == ADDRESSES
    assert message.subject == POLISH
    assert (message.sender, message.priority, message.delivery_report) == ("Sklep", "High", True)
    assert [(f.filename, f.content_type, f.data) for f in message.attachments] == [("promo.jpg", "image/jpeg", jpeg)]

    results = composer.results
    assert list(results.send_state) == ["accepted"] * 3
    assert set(results.message_id) == {message.message_id}
    assert "Sent: 3" in composer.status.value
    table = composer.results_table.value
    assert "Sent" in table and "+48 510 000 000" in table  # the numbers as typed, what happened in words
    assert message.message_id not in table and "send_state" not in table and "tel:" not in table
    assert "1 used, 99 left" in composer.quota.value
    assert not shown(composer.confirmation) and not composer.send_button.disabled

    assert composer.monitor is not None and composer.monitor_box.children == (composer.monitor,)
    polled = composer.monitor.wait(timeout=30)
    assert not composer.monitor.running
    assert polled["final"].all()
    assert "Every message is final" in composer.monitor.elapsed.value


def test_unticking_the_delivery_report_reaches_the_sandbox(composer, sandbox):
    fill(composer, numbers="501 102 030")
    composer.delivery_report.value = False
    composer.send_button.click()
    composer.confirm_button.click()
    assert [m.delivery_report for m in sandbox.received] == [False]


def test_pressing_confirm_twice_sends_once_and_the_ledger_answers_already_sent(composer, sandbox):
    fill(composer)
    composer.send_button.click()
    composer.confirm_button.click()
    composer.confirm_button.click()
    assert len(sandbox.received) == 1

    composer.send_button.click()
    assert "Nothing new to send" in composer.confirm_text.value
    assert "3 recipients already got this message" in composer.confirm_text.value
    composer.confirm_button.click()
    assert len(sandbox.received) == 1
    assert list(composer.results.send_state) == ["already-sent"] * 3
    assert "Sent before: 3" in composer.status.value


def test_changing_the_form_withdraws_the_confirmation(composer, sandbox):
    fill(composer)
    composer.send_button.click()
    assert shown(composer.confirmation)
    composer.subject.value += "!"
    assert not shown(composer.confirmation)
    composer.confirm_button.click()
    assert sandbox.received == []

    composer.send_button.click()
    composer.cancel_button.click()
    assert not shown(composer.confirmation)
    composer.confirm_button.click()
    assert sandbox.received == []


def test_an_empty_quota_is_a_readable_line_and_nothing_is_sent(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=0)
    form = Composer(sandbox.client(), ledger=tmp_path / "ledger.sqlite")
    try:
        assert "0 left" in form.quota.value
        fill(form)
        form.send_button.click()
        assert not shown(form.confirmation)
        assert "needs 1 request but only 0 are available" in form.status.value
        assert "Nothing was sent" in form.status.value
        assert "Traceback" not in form.status.value
        assert sandbox.received == [] and form.results is None
    finally:
        form.close()


def test_a_quota_error_while_sending_is_a_readable_line(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1)
    client = sandbox.client()
    form = Composer(client, ledger=tmp_path / "ledger.sqlite")
    try:
        fill(form)
        form.send_button.click()
        assert "Message limit: 1 left, 0 after this send" in form.confirm_text.value
        client.send_mms("502 000 000", subject="someone else used the last request")
        form.confirm_button.click()
        assert "only 0 are available" in form.status.value and "Nothing was sent" in form.status.value
        assert "Traceback" not in form.status.value
        assert len(sandbox.received) == 1 and form.results is None and form.monitor is None
        assert "1 used, 0 left" in form.quota.value
        assert not form.send_button.disabled
    finally:
        form.close()


def test_no_secret_or_token_is_ever_displayed(make_sandbox, tmp_path, jpeg):
    sandbox = make_sandbox(client_secret="Widget-Secret-5c0ffee1d2")
    form = Composer(sandbox.client(), ledger=tmp_path / "ledger.sqlite", interval=0.05)
    try:
        fill(form)
        form.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)
        form.send_button.click()
        form.confirm_button.click()
        form.monitor.wait(timeout=30)
        texts = [repr(w.get_state()) for w in all_widgets(form) if not isinstance(w, widgets.Image)]
        assert any(sandbox.url in t for t in texts)
        for secret in [sandbox.client_secret, *sandbox.gateway._tokens]:
            assert not any(secret in t for t in texts)
    finally:
        form.close()


# -- the monitor ---------------------------------------------------------------------
def test_the_monitor_polls_until_every_message_is_final(client, sandbox, tmp_path):
    frame = pd.DataFrame({"msisdn": ["501 102 030", "510 000 000", "790 000 000", "12"]})
    results = mmsnb.send(client, frame, subject="Hej", group=False, ledger=tmp_path / "ledger.sqlite", progress=False)
    monitor = Monitor(client, results, interval=0.05)
    try:
        polled = monitor.wait(timeout=30)
        assert not monitor.running
        assert polled is monitor.results
        sent = polled["message_id"].notna()
        assert sent.sum() == 3 and polled.loc[sent, "final"].all()
        counts = polled.loc[sent, "status_category"].value_counts()
        assert sum(bar.value for bar in monitor._bars.values()) == 3
        assert all(monitor._bars[c].value == n for c, n in counts.items())
        assert monitor._bars["failed"].value >= 1  # the Play number: Address Not Found
        assert "3 final, 0 not yet" in monitor.summary.value and "Rows not sent: 1" in monitor.summary.value
        assert "Every message is final" in monitor.elapsed.value
        assert monitor.table.value == ""
    finally:
        monitor.close()


def test_the_monitor_keeps_answers_that_arrive_in_later_rounds(make_sandbox, tmp_path):
    sandbox = make_sandbox(time_scale=60, outcomes={"Retrieved": 1.0}, delays={"Retrieved": (30.0, 45.0)})
    client = sandbox.client()
    frame = pd.DataFrame({"msisdn": ["501 102 030", "510 000 000", "790 000 000"], "segment": ["a", "b", "c"]})
    results = mmsnb.send(client, frame, subject="Hej", group=False, ledger=tmp_path / "ledger.sqlite", progress=False)
    monitor = Monitor(client, results, interval=0.05)
    try:
        wait_for(lambda: "awaiting the delivery report" in monitor.table.value)  # answers before the deliveries
        polled = monitor.wait(timeout=30)
        assert list(polled.index) == list(results.index) and list(polled.segment) == ["a", "b", "c"]
        assert list(polled.status) == ["Retrieved", "Retrieved", "Address Not Found"]
        assert polled.delivered_at.notna().tolist() == [True, True, False]
        assert polled.attrs == results.attrs
        assert monitor._bars["delivered"].value == 2 and monitor._bars["failed"].value == 1
    finally:
        monitor.close()


def test_the_monitor_thread_stops_on_close_and_on_stop(make_sandbox, tmp_path):
    sandbox = make_sandbox(time_scale=0.001)  # nothing becomes final during the test
    client = sandbox.client()
    frame = pd.DataFrame({"msisdn": ["501 102 030"]})
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False)

    closed = Monitor(client, results, interval=0.05)
    wait_for(lambda: "awaiting the delivery report" in closed.table.value)  # the first answer is shown
    assert closed.running and "Not final yet" in closed.table.value
    closed.close()
    wait_for(lambda: not closed.running)
    assert "Stopped after" in closed.elapsed.value

    stopped = Monitor(client, results, interval=0.05)
    stopped.stop_button.click()
    wait_for(lambda: not stopped.running)
    assert stopped.stop_button.disabled
    stopped.close()


def test_the_monitor_needs_the_results_of_a_send(client):
    with pytest.raises(mmsnb.InputError, match="message_id"):
        Monitor(client, pd.DataFrame({"msisdn": ["501102030"]}))
    with pytest.raises(mmsnb.InputError, match="Pass the client first"):
        Monitor(pd.DataFrame({"message_id": ["m"]}), client)  # type: ignore[arg-type]


def test_a_monitor_that_could_not_be_made_prints_nothing_more_when_collected():
    """Python's own TypeError for a missing argument, and nothing after it: ipywidgets closes a widget whose
    __init__ never ran, and the Monitor's close must not fail then (it printed an AttributeError)."""
    import subprocess
    import sys

    code = (
        "import gc, pandas as pd\n"
        "from mmsnb.widgets import Monitor\n"
        "try:\n    Monitor(pd.DataFrame({'message_id': ['m']}))\nexcept TypeError as e:\n    print('TypeError')\n"
        "gc.collect()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "TypeError"
    assert "AttributeError" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


def test_two_composers_confirming_at_the_same_moment_send_each_number_once(make_sandbox, tmp_path, jpeg):
    sandbox = make_sandbox(latency=0.05)
    forms = [Composer(sandbox.client(), ledger=tmp_path / "ledger.sqlite", interval=0.05) for _ in range(2)]
    numbers = "\n".join(f"501{i:06d}" for i in range(40))
    for form in forms:
        fill(form, numbers)
        form.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)
        form.send_button.click()
    start = threading.Barrier(2)

    def confirm(form: Composer) -> None:
        start.wait()
        form.confirm_button.click()

    threads = [threading.Thread(target=confirm, args=(form,)) for form in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        counts = Counter(a for r in sandbox.received for a in r.addresses)
        assert counts == Counter({f"tel:+48501{i:06d}": 1 for i in range(40)})
        states = [set(form.results.send_state.astype(str)) for form in forms]
        assert set().union(*states) <= {"accepted", "already-sent", "in-progress"}
    finally:
        for form in forms:
            form.close()
