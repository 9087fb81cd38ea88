"""``mmsnb app``: the real command serving the page with Voilà on a free loopback port, driven by Debian's Chromium
through Playwright. The gateway is a sandbox in this process (given to the app as credentials, as a real gateway
would be), so what it received is counted here, per address.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import requests
from helpers import CHROMIUM_ARGS, free_port

import mmsnb
from mmsnb.app import NOTEBOOK, kernel_environment, voila_arguments
from mmsnb.app.page import Past, campaign_failures, failed_rows, page, past_campaigns
from mmsnb.cli import main
from mmsnb.words import Speaker

REPO = Path(__file__).resolve().parent.parent
IMAGE = REPO / "data" / "promo.jpg"
OUTPUT = Path(__file__).parent / "output"
WAIT_MS = 60_000
#: In the sandbox, the number ending in 13 fails at delivery and the one ending in 30 is delivered.
OUTCOMES = {"13": "Message format corrupt", "30": "Retrieved"}
CSV = "msisdn,name\n501102030,Ala\n510000013,Ola\n12345,Ewa\n"
#: What the page must never show: a traceback, an exception's class, or a Python or column name.
JARGON = re.compile(
    r"Traceback|Error\(|\w+Error\b|\bNone\b|\b[a-z]+_[a-z_]+\b|\w+\(\)|\bself\b|site-packages|\.py\b|"
    r"\b(?:composer|monitor)\.\w+|recipients=|MMSNB_"
)


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if shutil.which("chromium") is None:
        return "Debian's Chromium is not installed (apt-get install chromium)"
    for module in ("playwright", "voila", "psutil"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} package is not installed (pip install 'mmsnb[app]')"
    return None


def kernels(server: subprocess.Popen[bytes]) -> int:
    """How many kernels the app's server runs now (its ipykernel child processes)."""
    import psutil

    try:
        children = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    count = 0
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            count += any("ipykernel" in part for part in child.cmdline())
    return count


def wait_until(condition, what: str, timeout: float = 60.0) -> None:
    """Wait for ``condition()`` (a real process's state, checked four times a second) at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.25)


def app_environment(root: Path, gateway: dict[str, str], token: str) -> dict[str, str]:
    """The app's environment: the gateway's settings, the sign-in token, every Jupyter folder in ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMSNB_", "JUPYTER_"))}
    home = root / "jupyter"
    env.update(
        gateway,
        MMSNB_APP_TOKEN=token,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return env


def start_app(root: Path, gateway: dict[str, str], *args: str) -> Iterator[SimpleNamespace]:
    """``mmsnb app`` started in ``root`` on a free loopback port; stopped (and its kernels with it) afterwards."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    root.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/"
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "mmsnb", "app", "--port", str(port), *args],
            env=app_environment(root, gateway, token),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        try:

            def up() -> bool:
                assert server.poll() is None, f"mmsnb app exited: {log_path.read_text()[-3000:]}"
                try:
                    return requests.get(url + "login", timeout=2).ok
                except requests.ConnectionError:
                    return False

            wait_until(up, "mmsnb app answering")
            yield SimpleNamespace(url=url, token=token, server=server, root=root, log=log_path)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[mmsnb.Sandbox]:
    with mmsnb.Sandbox(seed=0, time_scale=600, by_suffix=OUTCOMES) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def app(sandbox, tmp_path_factory):
    """The app on the sandbox's credentials, with no MMSNB_LEDGER: its ledger is the working folder's."""
    gateway = {k: v for k, v in sandbox.env().items() if k != "MMSNB_LEDGER"}
    yield from start_app(tmp_path_factory.mktemp("app"), gateway)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    if missing():
        pytest.skip(missing())
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser, app, *, width: int = 1280, height: int = 800):
    """A new visitor (its own cookies) on the page, signed in, once the form is there."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app.url}?token={app.token}")
    expect(page.locator(".mmsnb-composer")).to_be_visible()
    expect(page.locator(".mmsnb-quota")).to_contain_text("left")
    return page


def fill(page, root: Path, *, subject: str, campaign: str = "", attach: bool = True) -> None:
    """Upload the recipients CSV, write the subject, attach the image."""
    from playwright.sync_api import expect

    composer = page.locator(".mmsnb-composer")
    csv = root / "recipients.csv"
    csv.write_text(CSV)
    composer.get_by_text("Table", exact=True).click()
    with page.expect_file_chooser() as chooser:
        composer.locator(".mmsnb-csv").click()
    chooser.value.set_files(csv)
    expect(composer.locator(".mmsnb-count")).to_contain_text("2 valid recipients; 1 invalid")
    composer.locator(".mmsnb-subject textarea").fill(subject)
    if campaign:
        composer.get_by_placeholder("named from the subject and the date").fill(campaign)
    if attach:
        with page.expect_file_chooser() as chooser:
            composer.locator(".mmsnb-upload").click()
        chooser.value.set_files(IMAGE)
        expect(composer.locator(".mmsnb-preview img")).to_have_count(1)
    expect(composer.locator(".mmsnb-send")).to_be_enabled()


def per_address(sandbox: mmsnb.Sandbox, subject: str) -> Counter[str]:
    """How many messages with ``subject`` each address got, as the gateway received them."""
    return Counter(a for m in sandbox.received if m.subject == subject for a in m.addresses)


# -- without a browser ---------------------------------------------------------------------------------------------
def test_voila_is_told_to_hide_code_refuse_it_and_end_idle_kernels():
    args = voila_arguments(host="127.0.0.1", port=8866, token="t" * 20, idle=30)
    assert args[0] == str(NOTEBOOK)
    for expected in (
        "--Voila.token=" + "t" * 20,
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--MappingKernelManager.cull_idle_timeout=1800",
        "--MappingKernelManager.cull_busy=False",
        "--no-browser",
    ):
        assert expected in args


def test_an_empty_token_is_refused_with_a_sentence(monkeypatch, capsys):
    monkeypatch.setenv("MMSNB_APP_TOKEN", "")
    assert main(["app", "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "sign-in token of at least 16 characters" in err and "reachable from other machines" in err
    assert "Traceback" not in err


def test_without_voila_it_says_what_to_install(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "voila" else real(name, *a))
    assert main(["app", "--port", str(free_port())]) == 2
    assert "pip install 'mmsnb[app]'" in capsys.readouterr().err


def test_each_kernel_is_told_the_folder_the_language_and_that_it_practises():
    env = kernel_environment(lang="pl", sandbox_env={"MMSNB_BASE_URL": "https://127.0.0.1:1"})
    assert env["MMSNB_LANG"] == "pl" and env["MMSNB_APP_SANDBOX"] == "1"
    assert env["MMSNB_APP_FOLDER"] == str(Path.cwd())
    assert "MMSNB_APP_SANDBOX" not in kernel_environment(lang="en", sandbox_env=None)


def test_a_port_in_use_is_refused_with_a_sentence(monkeypatch, capsys):
    monkeypatch.delenv("MMSNB_APP_TOKEN", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    assert f"Port {port} on 127.0.0.1 is in use; choose another with --port." in capsys.readouterr().err


def test_an_unknown_language_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("MMSNB_LANG", "de")
    assert main(["app", "--port", str(free_port())]) == 2
    assert "choose en or pl" in capsys.readouterr().err


def test_past_campaigns_and_their_failed_numbers_are_read_from_the_ledger(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"name": ["Ala", "Ola", "Ewa"], "phone": ["501102030", "510000013", "12345"]})
    english = Speaker("en")
    with mmsnb.Sandbox(seed=0, time_scale=600, by_suffix=OUTCOMES) as gateway:
        client = gateway.client()
        sent = mmsnb.send(client, frame, to="phone", subject="Hej", campaign="wiosna", progress=False)
        results = mmsnb.poll(client, sent, progress=False)
        (past,) = past_campaigns(client, english).to_dict("records")
        failures = campaign_failures("wiosna", client, english).to_dict("records")
        first = mmsnb.campaigns(client=client).loc["wiosna", "first_sent"]
    assert past == {
        "Campaign": "wiosna",
        "First sent": english.when(first),  # local time, in words
        "Recipients": 2,
        "Delivered": 1,
        "Failed": 1,
        "Not final": 0,
        "Delivered of those accepted": "50 % (9–91 %)",
        "State": "Finished",
    }
    failed = {"Number": "+48510000013", "What happened": "not delivered", "Reason": "invalid message format"}
    assert failures == [failed]
    assert failed_rows(results, "phone", english).to_dict("records") == [
        failed,
        {"Number": "12345", "What happened": "not sent", "Reason": results.loc[2, "error"]},
    ]


def reports_page(link: str) -> str:
    """The HTML page a data: link of the page saves."""
    href = re.search(r'href="data:text/html;base64,([^"]+)"', link)
    assert href is not None, link
    return base64.b64decode(href.group(1)).decode("utf-8")


def test_each_past_campaign_offers_its_report_to_download(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"phone": ["501102030", "510000013"]})
    with mmsnb.Sandbox(seed=0, time_scale=600, by_suffix=OUTCOMES) as gateway:
        client = gateway.client()
        for campaign in ("zima", "wiosna"):
            sent = mmsnb.send(client, frame, to="phone", subject="Hej", campaign=campaign, progress=False)
            mmsnb.poll(client, sent, progress=False)
        past = Past(client, Speaker("en"))
        assert past.choice.options == ()  # the ledger is read when the tab is shown
        past.refresh()
        assert list(past.choice.options) == [("wiosna", "wiosna"), ("zima", "zima")]  # newest first: title, key
        past.choice.value = "zima"
        assert past.report_link.value == ""
        past.report_button.click()
    saved = reports_page(past.report_link.value)
    assert 'download="zima.html"' in past.report_link.value and "Download the report of zima" in past.report_link.value
    assert "zima" in saved and "wiosna" not in saved
    assert "1 of the 2 sent were delivered" in saved
    past.choice.value = "wiosna"
    assert past.report_link.value == ""  # the link of another campaign is not left under this one


def test_the_page_in_polish_shows_no_english_and_no_developer_words(tmp_path, monkeypatch):
    from test_polish_forms import problems, visible

    monkeypatch.chdir(tmp_path)
    with mmsnb.Sandbox(seed=0, time_scale=600, by_suffix=OUTCOMES) as gateway:
        for name, value in {**gateway.env(), "MMSNB_APP_SANDBOX": "1"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("MMSNB_LANG", "pl")
        client = gateway.client()
        earlier = pd.DataFrame({"phone": ["501102030", "510000013"]})
        sent = mmsnb.send(client, earlier, to="phone", subject="Hej", campaign="zima", progress=False)
        mmsnb.poll(client, sent, progress=False)
        root = page()
        try:
            tabs = root.children[2]
            composer, delivery, past = tabs.children
            shown = visible(root)
            composer.recipients.text.value = "501102030\n510000013\n12345"
            composer.subject.value = "Hej"
            composer.send_button.click()
            composer.confirm_button.click()
            assert composer.monitor is not None
            composer.monitor.wait(timeout=60)
            tabs.selected_index = 2  # showing the tab reads the ledger
            past.choice.value = "zima"
            past.report_button.click()
            shown += visible(root)
        finally:
            composer.close()
    assert tabs.titles == ("Wyślij", "Doręczenie", "Poprzednie kampanie")
    assert "Tryb próbny." in root.children[1].value
    assert "2 nieudane numery" in delivery.failed.value and "nie doręczono" in delivery.failed.value
    assert "Pobierz plik CSV" in delivery.links.value
    assert "Pierwsza wysyłka" in past.table.value and "50 % (9–91 %)" in past.table.value
    assert "zima: 1 nieudany numer" in past.report.value
    assert '<html lang="pl">' in reports_page(past.report_link.value)
    found = problems([s.replace("zima", " ").replace("Hej", " ") for s in shown])
    assert found == [], "\n".join(found)


# -- through the browser -------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.browser
def test_the_page_is_refused_without_the_token(app, browser):
    from playwright.sync_api import expect

    for query in ("", "?token=wrong-token-of-some-length"):
        answer = requests.get(app.url + query, allow_redirects=False, timeout=10)
        assert answer.status_code in (302, 403), answer.status_code
        assert "mmsnb" not in answer.text.lower()
    page = browser.new_context().new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(app.url)
    expect(page.locator("input[type=password]")).to_have_count(1)  # the sign-in form, and nothing else
    assert page.locator("input[name=new_password]").count() == 0  # the token sets no password
    assert page.locator(".mmsnb-composer").count() == 0
    assert kernels(app.server) == 0
    page.context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_visitor_sends_from_the_page_and_failed_numbers_stay_listed(app, browser, sandbox):
    from playwright.sync_api import expect

    subject = "Cześć! Wiosenna promocja -20%."
    page = open_page(browser, app, width=390, height=844)
    OUTPUT.mkdir(exist_ok=True)
    expect(page.get_by_text("Practice mode")).to_have_count(0)  # real credentials: no sandbox banner
    fill(page, app.root, subject=subject)
    page.screenshot(path=OUTPUT / "app-phone-form.png")
    page.locator(".mmsnb-send").click()
    expect(page.locator(".mmsnb-confirm-text")).to_contain_text("Send to 2 recipients in 1 message?")
    page.locator(".mmsnb-confirm").click()

    delivery = page.locator(".mmsnb-delivery")
    expect(delivery).to_be_visible()  # the page moves to the delivery tab
    expect(delivery).to_contain_text("Sent: 2, Not sent — invalid number: 1")
    expect(delivery.locator(".mmsnb-elapsed")).to_contain_text("Every message is final")
    failed = delivery.locator(".mmsnb-failed")
    expect(failed).to_contain_text("2 failed numbers")
    expect(failed).to_contain_text("12345")
    expect(failed).to_contain_text("+48510000013")
    expect(failed).to_contain_text("not delivered")
    with page.expect_download() as download:
        delivery.get_by_text("Download CSV").click()
    saved = app.root / "failed.csv"
    download.value.save_as(saved)
    assert "+48510000013" in saved.read_text(encoding="utf-8-sig")
    expect(delivery.get_by_text("Download Excel")).to_be_visible()
    assert per_address(sandbox, subject) == {"tel:+48501102030": 1, "tel:+48510000013": 1}
    assert [f.filename for f in sandbox.received[-1].attachments] == ["promo.jpg"]

    # The ledger is the working folder's, never a file in the installed package.
    assert (app.root / "mmsnb-ledger.sqlite").is_file()
    assert not (NOTEBOOK.parent / "mmsnb-ledger.sqlite").exists()

    page.get_by_role("tab", name="Past campaigns").click()
    past = page.locator(".mmsnb-past")
    past.locator(".mmsnb-refresh").click()
    expect(past.locator(".mmsnb-campaigns")).to_contain_text("Recipients")
    expect(past.locator(".mmsnb-report")).to_contain_text("+48510000013")
    past.locator(".mmsnb-report-button").click()
    with page.expect_download() as download:
        past.locator(".mmsnb-report-link a").click()
    report = app.root / "report.html"
    download.value.save_as(report)
    assert "1 of the 2 sent were delivered" in report.read_text(encoding="utf-8")
    text = page.locator("body").inner_text()
    assert not JARGON.search(text), JARGON.search(text)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("tab", name="Delivery").click()
    page.screenshot(path=OUTPUT / "app-laptop.png")
    page.context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_two_visitors_sending_the_same_campaign_at_once_reach_each_number_once(tmp_path, browser, sandbox, pg_url):
    from playwright.sync_api import expect

    team = {**sandbox.env(), "MMSNB_LEDGER": pg_url}  # the team's ledger on the PostgreSQL server
    running = start_app(tmp_path / "team", team)
    app = next(running)
    try:
        subject = "Dwie karty naraz"
        pages = [open_page(browser, app) for _ in range(2)]
        for page in pages:
            fill(page, app.root, subject=subject, campaign="two-tabs", attach=False)
            page.locator(".mmsnb-send").click()
            expect(page.locator(".mmsnb-confirm")).to_be_visible()
        for page in pages:  # both confirmations sent before either answer is read
            page.locator(".mmsnb-confirm").dispatch_event("click")
        for page in pages:  # each says what became of its send: sent, or left to the other visitor's
            expect(page.locator(".mmsnb-status")).to_contain_text("Done:")
        statuses = [page.locator(".mmsnb-status").text_content() for page in pages]
        assert all(re.search(r"Sent: 2|Being sent by another run|Sent before", s) for s in statuses), statuses
        assert per_address(sandbox, subject) == {"tel:+48501102030": 1, "tel:+48510000013": 1}
        assert not list(app.root.glob("*.sqlite"))
        for page in pages:
            page.context.close()
    finally:
        running.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_closed_tab_frees_its_kernel(app, browser):
    page = open_page(browser, app)
    wait_until(lambda: kernels(app.server) >= 1, "a kernel for the visitor")
    before = kernels(app.server)
    page.close(run_before_unload=True)
    wait_until(lambda: kernels(app.server) == before - 1, "the closed tab's kernel ended")
    page.context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_an_idle_kernel_is_culled_but_not_while_it_sends_or_polls(tmp_path, browser):
    from playwright.sync_api import expect

    # The first send takes 8 s; delivery reports come 560 simulated seconds after it arrives, 14 s at 40 times the
    # speed: the monitor then polls for about 6 s.
    slow = mmsnb.Sandbox(
        seed=0,
        time_scale=40,
        by_suffix=OUTCOMES,
        delays={"Retrieved": (560.0, 560.0)},
        faults=mmsnb.Faults(slow_seconds=8),
    )
    with slow:
        slow.fail_next("slow", endpoint="send")
        running = start_app(tmp_path / "idle", slow.env(), "--idle", "0.05")  # 3 s
        app = next(running)
        try:
            page = open_page(browser, app)
            fill(page, app.root, subject="Powoli", attach=False)
            page.locator(".mmsnb-send").click()
            page.locator(".mmsnb-confirm").click()
            # Sending, then polling, each outlast the 3 s idle limit: the kernel lives to show the outcome.
            delivery = page.locator(".mmsnb-delivery")
            expect(delivery).to_contain_text("Sent: 2, Not sent — invalid number: 1")
            expect(delivery.locator(".mmsnb-elapsed")).to_contain_text("Every message is final")
            polled = re.search(r"after (\d+):(\d\d):(\d\d)", delivery.locator(".mmsnb-elapsed").inner_text())
            assert polled and int(polled[3]) + 60 * int(polled[2]) > 3, "the poll must outlast the idle limit"
            assert per_address(slow, "Powoli") == {"tel:+48501102030": 1, "tel:+48510000013": 1}
            assert "Culling 'idle' kernel" not in app.log.read_text()
            # Idle once every message is final: culled within seconds, though the tab is open.
            wait_until(lambda: kernels(app.server) == 0, "the idle kernel culled")
            assert "Culling 'idle' kernel" in app.log.read_text()
            page.context.close()
        finally:
            running.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_refusing_gateway_is_a_sentence_on_the_page_and_a_line_in_the_log(tmp_path, browser, sandbox):
    from playwright.sync_api import expect

    gateway = {**sandbox.env(), "MMSNB_CLIENT_SECRET": "not-the-secret"}
    running = start_app(tmp_path / "refused", gateway)
    app = next(running)
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{app.url}?token={app.token}")
        quota = page.locator(".mmsnb-quota")
        expect(quota).to_contain_text("The gateway refused the app's credentials. Whoever runs the app must check")
        text = page.locator("body").inner_text()
        assert not JARGON.search(text), JARGON.search(text)
        page.screenshot(path=OUTPUT / "app-refused.png")
        assert "Check MMSNB_CLIENT_ID and MMSNB_CLIENT_SECRET" in app.log.read_text()  # the full sentence: in the log
        page.context.close()
    finally:
        running.close()


@pytest.mark.slow
@pytest.mark.browser
def test_without_credentials_the_visitors_share_one_sandbox_under_a_banner(tmp_path, browser):
    from playwright.sync_api import expect

    running = start_app(tmp_path / "practice", {}, "--lang", "en")
    app = next(running)
    try:
        first = open_page(browser, app, width=390, height=844)
        expect(first.locator(".mmsnb-banner")).to_contain_text("Practice mode")
        expect(first.locator(".mmsnb-quota")).to_contain_text("Message limit: 0 used")
        first.locator(".mmsnb-numbers textarea").fill("501 102 030")
        first.locator(".mmsnb-subject textarea").fill("Próba")
        first.locator(".mmsnb-sender input").fill("Sklep Demo")
        first.screenshot(path=OUTPUT / "app-phone.png")
        first.locator(".mmsnb-send").click()
        first.locator(".mmsnb-confirm").click()
        expect(first.locator(".mmsnb-delivery")).to_contain_text("Sent: 1")
        # A second visitor's kernel sees the same sandbox: its quota and its ledger.
        second = open_page(browser, app)
        expect(second.locator(".mmsnb-banner")).to_contain_text("nothing reaches a phone")
        expect(second.locator(".mmsnb-quota")).to_contain_text("Message limit: 1 used")
        second.get_by_role("tab", name="Past campaigns").click()
        expect(second.locator(".mmsnb-campaigns")).to_contain_text("“Próba” — ")  # an automatic name, as a title
        assert not list(app.root.glob("*.sqlite"))  # practice sends stay in the sandbox's own ledger
        for page in (first, second):
            page.context.close()
    finally:
        running.close()
