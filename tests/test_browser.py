"""The composer notebook in a real JupyterLab, driven through Debian's Chromium with Playwright:
run all cells, fill the form, attach an image, Send, Confirm, and read the results on the page.

JupyterLab runs on a temporary copy of the notebook, with its configuration, data and runtime
folders in the same temporary folder, so nothing is left behind in the repository or the home.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from helpers import CHROMIUM_ARGS, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/03-composer.ipynb"
IMAGE = "data/promo.jpg"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parent / "output" / "composer.png"
SUBJECT = "Cześć! Zażółć gęślą jaźń: -20% w ten weekend."
#: Cell index of "Carry on from the results": it and the cells below are run again after sending.
RESULTS_CELL = 5
WAIT_MS = 60_000


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    for module in ("playwright", "jupyterlab"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} package is not installed"
    return None


def lab_environment(root: Path) -> dict[str, str]:
    """The server's environment: no gateway settings (so the notebook uses its sandbox),
    every Jupyter folder in ``root``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMSNB_", "JUPYTER_"))}
    home = root / "jupyter"
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return env


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A headless JupyterLab on 127.0.0.1 serving a copy of the notebook and its image."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("lab")
    for name in (NOTEBOOK, IMAGE):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    log = (root / "lab.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--ServerApp.token={token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=lab_environment(root),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    headers = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"JupyterLab exited: {(root / 'lab.log').read_text()[-2000:]}"
            try:
                if requests.get(f"{url}/api/status", headers=headers, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start within 60 s"
            time.sleep(0.25)
        yield SimpleNamespace(url=url, token=token, root=root)
    finally:
        try:
            requests.post(f"{url}/api/shutdown", headers=headers, timeout=10)  # also shuts the kernels down
            server.wait(timeout=30)
        except (requests.RequestException, subprocess.TimeoutExpired):
            server.kill()
            server.wait()
        log.close()


def run_js(page, script: str) -> None:
    """Run ``script`` (an async function body with ``app`` and ``panel``, the open notebook) in the page."""
    page.evaluate(f"async () => {{ const app = window.jupyterapp; const panel = app.shell.currentWidget; {script} }}")


def run_notebook(browser, lab, notebook: str):
    """A new page with ``notebook`` open in JupyterLab and all its cells run; waits are bounded by WAIT_MS."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1300, "height": 1600})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}&reset")
    page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel")
    run_js(page, "await panel.sessionContext.ready; await app.commands.execute('notebook:run-all-cells');")
    return page


def test_the_composer_sends_from_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = run_notebook(browser, lab, NOTEBOOK)

            expect(page.get_by_text("Using the local sandbox")).to_be_visible()
            composer = page.locator(".mmsnb-composer")
            expect(composer).to_be_visible()
            expect(composer.locator(".mmsnb-quota")).to_contain_text("Message limit: 0 used")
            expect(composer.locator(".mmsnb-send")).to_be_disabled()

            composer.locator(".mmsnb-numbers textarea").fill("501 102 030\n+48 510 000 000, 12345")
            composer.locator(".mmsnb-subject textarea").fill(SUBJECT)
            composer.locator(".mmsnb-sender input").fill("Sklep Demo")
            with page.expect_file_chooser() as chooser:
                composer.locator(".mmsnb-upload").click()
            chooser.value.set_files(lab.root / IMAGE)

            expect(composer.locator(".mmsnb-count")).to_contain_text("2 valid recipients; 1 invalid")
            expect(composer.locator(".mmsnb-issues")).to_contain_text("'12345' is not a valid Polish number")
            expect(composer.locator(".mmsnb-remove")).to_have_count(1)
            expect(composer.locator(".mmsnb-preview img")).to_have_count(1)
            expect(composer.locator(".mmsnb-preview")).to_contain_text(SUBJECT)
            expect(composer.locator(".mmsnb-send")).to_be_enabled()
            SCREENSHOT.parent.mkdir(exist_ok=True)
            composer.screenshot(path=SCREENSHOT)

            composer.locator(".mmsnb-send").click()
            expect(composer.locator(".mmsnb-confirm-text")).to_contain_text("Send to 2 recipients in 1 message?")
            expect(composer.locator(".mmsnb-confirm-text")).to_contain_text("after this send")
            composer.locator(".mmsnb-confirm").click()

            expect(composer.locator(".mmsnb-status")).to_contain_text("Sent: 2, Not sent — invalid number: 1")
            expect(composer.locator(".mmsnb-results")).to_contain_text("+48 510 000 000")
            expect(composer.locator(".mmsnb-quota")).to_contain_text("1 used")
            expect(composer.locator(".mmsnb-monitor")).to_be_visible()
            expect(composer.locator(".mmsnb-elapsed")).to_contain_text("Every message is final")

            run_js(
                page,
                f"panel.content.activeCellIndex = {RESULTS_CELL}; await "
                "app.commands.execute('notebook:run-all-below');",
            )
            expect(page.get_by_text("The sandbox received 1 message(s).")).to_be_visible()
            inbox = page.get_by_text("2 address(es)")
            expect(inbox).to_contain_text(repr(SUBJECT))
            expect(inbox).to_contain_text(f"promo.jpg ({(lab.root / IMAGE).stat().st_size} bytes)")
            composer.screenshot(path=SCREENSHOT.with_name("composer-sent.png"))
        finally:
            browser.close()


POLISH_NOTEBOOK = "composer-pl.ipynb"
POLISH_SCREENSHOT = SCREENSHOT.with_name("composer-pl.png")


def uncovered(text: str) -> list[str]:
    """The characters of ``text`` that no installed font has a glyph for (fontconfig, which Chromium asks for a
    fallback): they would render as an empty box (.notdef)."""
    out = []
    for char in sorted(set(text)):
        if ord(char) < 0x80 or not char.isprintable() or char.isspace():
            continue
        fonts = subprocess.run(
            ["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True, check=True
        ).stdout
        if not fonts.strip():
            out.append(char)
    return out


def test_the_polish_composer_renders_every_glyph_in_chromium(lab):
    from playwright.sync_api import expect, sync_playwright

    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig's fc-list is not installed")
    cells = [
        "import mmsnb\nfrom mmsnb.widgets import Composer\nclient = mmsnb.connect()",
        'Composer(client, lang="pl")',
    ]
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None} for s in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / POLISH_NOTEBOOK).write_text(json.dumps(notebook))
    (lab.root / "regulamin.txt").write_text("Regulamin promocji.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = run_notebook(browser, lab, POLISH_NOTEBOOK)
            composer = page.locator(".mmsnb-composer")
            expect(composer).to_be_visible()
            composer.locator(".mmsnb-numbers textarea").fill("501 102 030\n+48 510 000 000, 12345\n+48 600 000 000")
            composer.locator(".mmsnb-subject textarea").fill(SUBJECT)
            composer.locator(".mmsnb-sender input").fill("Sklep Demo")
            with page.expect_file_chooser() as chooser:
                composer.locator(".mmsnb-upload").click()
            chooser.value.set_files([lab.root / IMAGE, lab.root / "regulamin.txt"])
            expect(composer.locator(".mmsnb-count")).to_contain_text("prawidłowi odbiorcy")
            expect(composer.locator(".mmsnb-upload")).to_contain_text("Dołącz pliki (2)")  # counts the files taken
            expect(composer.locator(".mmsnb-send")).to_be_enabled()
            POLISH_SCREENSHOT.parent.mkdir(exist_ok=True)
            composer.screenshot(path=POLISH_SCREENSHOT)
            composer.locator(".mmsnb-send").click()
            expect(composer.locator(".mmsnb-confirm-text")).to_contain_text("Wysłać do 3 odbiorców")
            text = composer.inner_text()
            assert "ⓘ" not in text
            assert uncovered(text) == []
        finally:
            browser.close()
