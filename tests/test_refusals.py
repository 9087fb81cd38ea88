"""A refusal the gateway answers before it takes the message (any 4xx) proves nothing was sent: the rows are
``rejected``, the number stays free, and a later run sends it; a 5xx may hide an accepted message, so it stays
``unknown`` and is not repeated. Counted at the gateway: the sandbox's ``received``, a stand-in's hits.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import Server, orange, received_addresses, token_or

import mmsnb
from mmsnb.endpoints import SEND_PATH

REPO = Path(__file__).resolve().parent.parent
BIG = REPO / "data" / "big.jpg"  # 511 KB: more than a gateway that takes 100 KB messages reads


def test_a_message_refused_as_too_large_is_sent_once_it_is_made_to_fit(make_sandbox, tmp_path):
    sandbox = make_sandbox(max_message_bytes=100_000)
    client = sandbox.client(timeout=(5, 60))
    frame = pd.DataFrame({"msisdn": orange(2)})
    options = dict(subject="Hej", campaign="spring", ledger=tmp_path / "l.sqlite", group=False, progress=False)

    first = mmsnb.send(client, frame, attachments=str(BIG), max_message_bytes=600_000, **options)

    assert sandbox.received == []
    assert first.send_state.astype(str).tolist() == ["rejected", "rejected"]
    assert (first.http_status == 413).all()
    assert first.error.str.contains("too large").all() and first.error.str.contains("not taken").all()
    assert set(mmsnb.history("spring", ledger=tmp_path / "l.sqlite").sends.state.astype(str)) == {"unsent"}

    fitted = mmsnb.send(client, frame, attachments=str(BIG), max_message_bytes=100_000, fit=True, **options)

    assert fitted.send_state.astype(str).tolist() == ["accepted", "accepted"]
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(2)})


def sends_to(gateway: Server) -> int:
    return sum(1 for method, path, _, _ in gateway.hits if method == "POST" and path == SEND_PATH)


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (400, True),
        (409, True),
        (413, True),
        (415, True),
        (422, True),
        (451, True),
        (500, False),
        (502, False),
        (504, False),
    ],
)
def test_a_4xx_leaves_the_number_free_and_a_5xx_in_doubt(tmp_path, status, refused):
    answer = {"code": status, "message": "Refused", "description": "Not processed."}
    gateway = Server(token_or(lambda handler, body: (status, {}, answer)), tls_dir=tmp_path)
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    frame = pd.DataFrame({"msisdn": orange(1)})
    try:
        runs = [
            mmsnb.send(client, frame, subject="Hej", campaign="spring", ledger=tmp_path / "l.sqlite", progress=False)
            for _ in range(2)
        ]
    finally:
        client.close()
        gateway.stop()

    states = [run.send_state.astype(str).iloc[0] for run in runs]
    if refused:
        assert states == ["rejected", "rejected"]
        assert sends_to(gateway) == 2  # not taken, so the second run asked again
    else:
        assert states == ["unknown", "unknown"]
        assert sends_to(gateway) == 1  # it may have been taken: never repeated silently
        assert "retry_unknown" in runs[1].error.iloc[0]
