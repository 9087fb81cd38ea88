"""Every status on the operator's card can be produced by the sandbox, by shares of outcomes or per number,
and a message's status means what the card says. Statuses are read through the client, as a user would."""

from __future__ import annotations

import pytest

import mmsnb
from mmsnb.delivery_statuses import KNOWN_STATUSES
from mmsnb.sandbox.gateway import AT_ONCE, REPORTED, message_status

#: The last two digits that script each final status, for numbers 5011000NN.
SCRIPT = {f"{i:02d}": status for i, status in enumerate((*AT_ONCE, *REPORTED), start=11)}


def number(suffix: str) -> str:
    """An Orange number ending in the two digits ``suffix``."""
    return f"5011000{suffix}"


def final_status(client: mmsnb.Client, message_id: str) -> mmsnb.DeliveryStatus:
    for _ in range(200):
        status = client.delivery_status(message_id)
        if status.final:
            return status
    raise AssertionError(f"{message_id} never became final")


def test_each_final_status_of_the_card_can_be_scripted_per_number(make_sandbox):
    sandbox = make_sandbox(time_scale=1e6, by_suffix=SCRIPT)
    client = sandbox.client()
    seen = {}
    for suffix, status in SCRIPT.items():
        sent = client.send_mms(number(suffix), subject="Hej")
        seen[status] = final_status(client, sent.message_id).status
    assert seen == {status: status for status in SCRIPT.values()}


def test_the_other_statuses_success_partial_success_and_unknown_ids(make_sandbox):
    sandbox = make_sandbox(
        time_scale=1,
        outcomes={"Retrieved": 1.0},
        delays={"Retrieved": (3600.0, 3600.0)},
        by_suffix={"13": "Address Error"},
    )
    client = sandbox.client()
    waiting = client.send_mms(number("20"), subject="Hej")
    partly = client.send_mms([number("21"), number("13")], subject="Hej")
    assert client.delivery_status(waiting.message_id).status == "Success"
    mixed = client.delivery_status(partly.message_id)
    assert mixed.status == "Partial success"
    assert {a.status for a in mixed.addresses} == {"Success", "Address Error"}
    assert client.delivery_status("no-such-id").status == "Message ID Not found"


def test_all_fourteen_statuses_are_covered():
    assert {*SCRIPT.values(), "Success", "Partial success", "Message ID Not found"} == set(KNOWN_STATUSES)


@pytest.mark.parametrize("status", AT_ONCE)
def test_a_share_of_outcomes_can_be_an_immediate_failure(make_sandbox, status):
    sandbox = make_sandbox(outcomes={status: 1.0})
    client = sandbox.client()
    sent = client.send_mms(number("30"), subject="Hej")
    answer = client.delivery_status(sent.message_id)
    assert (answer.status, answer.final, sandbox.gateway.used()) == (status, True, 1)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["Retrieved", "Retrieved"], "Retrieved"),
        (["Retrieved", "Rejected"], "Partial success"),
        (["Success", "Address Not Found"], "Partial success"),
        (["Rejected", "Address Not Found"], "Rejected"),
        (["Retrieved", "Success"], "Success"),
    ],
)
def test_partial_success_means_partly_processed_correctly(statuses, expected):
    assert message_status(statuses) == expected


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"outcomes": {"Delivered": 1.0}}, "outcomes= names 'Delivered'"),
        ({"outcomes": {"Retrieved": -1}}, "share -1"),
        ({"outcomes": {"Retrieved": 0}}, "at least one status"),
        ({"delays": {"Server Error": (1, 2)}}, "only the reported statuses take a delay"),
        ({"delays": {"Retrieved": (5, 1)}}, "shortest <= longest"),
        ({"by_suffix": {"x1": "Rejected"}}, "by_suffix= key 'x1'"),
        ({"by_suffix": {"13": "Lost"}}, "not a final status"),
        ({"quota": -1}, "quota="),
        ({"time_scale": 0}, "time_scale="),
        ({"latency": "1s"}, "latency="),
        ({"max_message_bytes": 0}, "max_message_bytes="),
    ],
)
def test_a_misconfigured_sandbox_fails_at_construction_with_a_sentence(settings, named):
    with pytest.raises(mmsnb.ConfigError, match=named):
        mmsnb.Sandbox(**settings)
