"""Options as types: each TypedDict of options says exactly what its function takes (they cannot drift),
mypy refuses a misspelt option, a notebook (where nothing checks types) hears which option was meant,
and the dataclasses a campaign builds take their fields by keyword."""

import dataclasses
import inspect
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from mypy import api as mypy_api

import mmsnb
from mmsnb.accessor import MMSAccessor
from mmsnb.campaign import Plan, plan, send
from mmsnb.client import Client, ClientSettings
from mmsnb.dispatch import Run
from mmsnb.options import PlanOptions, PollOptions, RunOptions, SendOptions
from mmsnb.polling import poll
from mmsnb.result_columns import Outcome
from mmsnb.sandbox.gateway import Gateway, GatewaySettings
from mmsnb.sandbox.server import SandboxSettings

ROOT = Path(mmsnb.__file__).resolve().parents[1]


def keywords(function, *leave_out):
    """``name: annotation as written`` for each keyword parameter of ``function``."""
    params = inspect.signature(function).parameters.values()
    named = (p for p in params if p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"))
    return {p.name: p.annotation for p in named if p.name not in leave_out}


def declared(options):
    """``name: annotation as written`` for each key of a TypedDict of options."""
    return {name: ref.__forward_arg__ for name, ref in options.__annotations__.items()}


@pytest.mark.parametrize(
    ("options", "function", "leave_out", "added"),
    [
        (PlanOptions, plan, ("client", "frame"), None),
        (RunOptions, Plan.send, (), None),
        (SendOptions, send, ("client", "frame"), PlanOptions),
        (PollOptions, poll, ("client", "results"), None),
        (GatewaySettings, Gateway.__init__, (), None),
        (SandboxSettings, mmsnb.Sandbox.__init__, (), GatewaySettings),
        (ClientSettings, Client.__init__, (), None),
    ],
)
def test_each_typeddict_declares_exactly_the_keywords_of_its_function(options, function, leave_out, added):
    expected = keywords(function, *leave_out) | ({} if added is None else declared(added))
    assert declared(options) == expected


def test_the_forwarding_calls_unpack_their_typeddict():
    def unpacked(function):
        """The annotation of ``function``'s ``**`` parameter, as written."""
        return next(p.annotation for p in inspect.signature(function).parameters.values() if p.kind is p.VAR_KEYWORD)

    assert unpacked(send) == "Unpack[PlanOptions]"
    assert unpacked(mmsnb.resume) == "Unpack[RunOptions]"
    assert unpacked(MMSAccessor.plan) == "Unpack[PlanOptions]"
    assert unpacked(MMSAccessor.send) == "Unpack[SendOptions]"
    assert unpacked(MMSAccessor.poll) == "Unpack[PollOptions]"
    assert unpacked(mmsnb.connect) == "Unpack[SandboxSettings]"
    assert unpacked(mmsnb.Sandbox.__init__) == "Unpack[GatewaySettings]"
    assert unpacked(mmsnb.Sandbox.client) == "Unpack[ClientOptions]"
    assert unpacked(Client.from_env) == "Unpack[ClientSettings]"


SNIPPET = """
import pandas as pd

import mmsnb
from mmsnb.accessor import MMSAccessor


def use(client: mmsnb.Client, frame: pd.DataFrame) -> None:
    mmsnb.send(client, frame, subject="Hej", fit=True, workers=4, dry_run=True)
    MMSAccessor(frame).plan(client, subject="Hej", min_gap="7D")
    MMSAccessor(frame).send(client, subject="Hej", rate="10/s")
    MMSAccessor(frame).poll(client, timeout=60)
    mmsnb.connect(seed=1, quota=5, latency=0.1)
    mmsnb.Sandbox(seed=1, time_scale=600, port=0).client(max_wait=1)
    mmsnb.Client.from_env(base_url="https://example.org", timeout=3)
    mmsnb.send(client, frame, subjct="Hej")
    MMSAccessor(frame).plan(client, fitt=True)
    MMSAccessor(frame).send(client, max_worker=4)
    MMSAccessor(frame).poll(client, timout=60)
    mmsnb.connect(quta=5)
    mmsnb.Sandbox(sed=1)
    mmsnb.Sandbox().client(verfy=False)
    mmsnb.Client.from_env(max_wiat=1)
    mmsnb.send(client, frame, subject=3)
    mmsnb.resume("spring", client=client, workers=4, rate="10/s", progress=False)
    mmsnb.resume("spring", workrs=4)
"""


def test_mypy_refuses_a_misspelt_option_and_accepts_the_right_ones(tmp_path, monkeypatch):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET), encoding="utf-8")
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    monkeypatch.chdir(tmp_path)
    args = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"), str(snippet)]
    out, _, _ = mypy_api.run(args)
    lines = snippet.read_text(encoding="utf-8").splitlines()
    wrong = {n for n, line in enumerate(lines, 1) if any(w in line for w in ("subjct", "fitt", "max_worker=", "timout",
             "quta", "sed=", "verfy", "max_wiat", "subject=3", "workrs"))}  # fmt: skip
    errors = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert errors == wrong, out
    assert 'Unexpected keyword argument "subjct" for "send"' in out
    assert 'Argument "subject" to "send" has incompatible type "int"; expected "str | None"' in out


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda f, c: f.mms.plan(c, subjct="Hej"), "frame.mms.plan() has no option subjct=. Did you mean subject=?"),
        (
            lambda f, c: f.mms.send(c, max_worker=2),
            "frame.mms.send() has no option max_worker=. Did you mean max_workers",
        ),
        (lambda f, c: f.mms.poll(c, timout=2), "frame.mms.poll() has no option timout=. Did you mean timeout=?"),
        (lambda f, c: mmsnb.send(c, f, dryrun=True), "send() has no option dryrun=. Did you mean dry_run=?"),  # type: ignore[call-arg]
    ],
)
def test_a_notebook_hears_which_option_was_meant(call, said):
    client = Client("id", "Sekret-9f2c4e", base_url="https://127.0.0.1:9")  # nothing is sent
    with pytest.raises(mmsnb.InputError) as caught:
        call(pd.DataFrame({"msisdn": ["501102030"]}), client)
    assert str(caught.value).startswith(said)


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: mmsnb.connect(quta=5), "connect() has no option quta=. Did you mean quota=?"),  # type: ignore[call-arg]
        (lambda: mmsnb.Sandbox(sed=1), "Sandbox() has no option sed=. Did you mean seed=?"),  # type: ignore[call-arg]
        (lambda: mmsnb.Sandbox(latencyy=1), "Sandbox() has no option latencyy=. Did you mean latency=?"),  # type: ignore[call-arg]
        (
            lambda: mmsnb.Client.from_env(max_wiat=1),  # type: ignore[call-arg]
            "Client.from_env() has no option max_wiat=. Did you mean max_wait",
        ),
    ],
)
def test_settings_say_which_one_was_meant(call, said):
    with pytest.raises(mmsnb.ConfigError) as caught:
        call()
    assert str(caught.value).startswith(said)


def test_a_sandbox_client_says_which_option_was_meant():
    with mmsnb.Sandbox(seed=0) as sb:
        with pytest.raises(mmsnb.ConfigError, match=r"Sandbox.client\(\) has no option verfy=. Did you mean verify=\?"):
            sb.client(verfy=False)  # type: ignore[call-arg]
        assert sb.client(max_wait=1).limit().available == 1000


@pytest.mark.parametrize("cls", [Plan, Run, Outcome])
def test_campaign_records_are_built_by_keyword(cls):
    assert all(field.kw_only for field in dataclasses.fields(cls))
    with pytest.raises(TypeError, match="positional argument"):
        cls(*[None] * len(dataclasses.fields(cls)))
