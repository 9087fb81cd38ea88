"""A campaign with distinctive credentials, then a search of everything the toolkit produced
for the secret and the tokens.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback

import pandas as pd
import pytest

import mmsnb

SECRET = "Sweep-Secret-3f9a1c7e5b2d"


def run_cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "mmsnb", *args], env=env, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def test_no_secret_or_token_anywhere(tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    produced: list[str] = []
    ledger = tmp_path / "ledger.sqlite"
    try:
        with mmsnb.Sandbox(
            seed=5, quota=3, time_scale=6000, client_secret=SECRET, token_lifetime=60, ledger=ledger
        ) as sandbox:
            client = sandbox.client()
            frame = pd.DataFrame(
                {"msisdn": ["501102030", "510000001", "601000000", "12"], "name": ["Ala", "Ola", "Ela", "Iza"]}
            )
            results = mmsnb.send(client, frame, subject="Cześć {name}", group=False, allow_partial=True, progress=False)
            sandbox.gateway.revoke_tokens()
            results = mmsnb.poll(client, results, timeout=30, interval=0.1, progress=False)
            produced += [
                repr(client),
                str(client),
                repr(sandbox),
                results.to_csv(),
                repr(results),
                repr(client.limit()),
            ]
            history = mmsnb.history(ledger=ledger)
            produced += [h.to_csv() for h in (history.sends, history.statuses, history.quota)]
            failures = []
            for attempt in (
                lambda: client.send_mms("501102030", subject="over quota"),
                lambda: mmsnb.Client(
                    sandbox.client_id, SECRET + "x", base_url=sandbox.url, verify=sandbox.ca_path
                ).limit(),
                lambda: mmsnb.Client(sandbox.client_id, SECRET, base_url="http://127.0.0.1:1"),
            ):
                with pytest.raises(mmsnb.MMSError) as info:
                    attempt()
                failures.append(info.value)
            produced += ["".join(traceback.format_exception(e)) for e in failures]
            env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")} | sandbox.env()
            message_id = results.message_id.dropna().iloc[0]
            produced += [
                run_cli("limit", env=env),
                run_cli("status", message_id, env=env),
                run_cli("send", "501102031", "--subject", "Hej", env=env),
            ]
            tokens = list(sandbox.gateway._tokens)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    produced.append(stream.getvalue())
    produced.append(ledger.read_bytes().decode("latin-1"))
    assert len(tokens) >= 2, "the run should have fetched more than one token"
    assert "Bearer ***" in stream.getvalue() or "access_token" in stream.getvalue(), (
        "DEBUG logging captured nothing of the token exchange"
    )
    for text in produced:
        for secret in [SECRET, *tokens]:
            assert secret not in text
