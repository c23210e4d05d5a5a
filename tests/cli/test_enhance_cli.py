"""`promptdeck enhance` against a real chat API on 127.0.0.1 speaking each protocol: the
rewrite streams to stdout and is kept as a derived prompt (or a version, or nothing), tied to
its run; an answer that cannot be kept is one line and leaves the library as it was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import PHASES
from tests.cli.conftest import Cli
from tests.cli.test_run_cli import configure
from tests.storage.chat_api import KINDS, ChatApi, Reply

ORIGINAL = "Summarise {{text}} for {{audience}}."
BETTER = ("Summarise {{text}} for {{audience}}", " in three bullets", ".")


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(path))
    for variable in ("PROMPTDECK_LLM_PROVIDER", "PROMPTDECK_LLM_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest, api: ChatApi, config: Path) -> str:
    configure(config, request.param, api.url)
    return str(request.param)


def test_the_rewrite_streams_and_is_kept_as_a_derived_prompt(
    cli: Cli, kind: str, api: ChatApi
) -> None:
    parent = cli.add("Summarise", ORIGINAL, "--phase", "idea")
    api.script(Reply(pieces=BETTER))
    result = cli("enhance", "Summarise", "--method", "concise")
    assert (result.exit_code, result.stdout) == (0, "".join(BETTER))
    # Embedded as every save is: the near-twin check names the prompt it was made from.
    assert re.search(r"'Summarise \(human\)' is \d+% similar to 'Summarise'", result.stderr)
    assert PHASES["human"] in str(api.requests[-1].body)  # the phase after the prompt's own
    child = cli.json("show", "Summarise (human)")["prompt"]
    assert (child["parent_id"], child["source_type"], child["enhancement_method"]) == (
        parent,
        "enhanced",
        "human:concise",
    )
    [run] = cli.json("runs")
    assert run["parameters"]["enhance"] == {"phase": "human", "method": "concise"}
    assert "Summarise (human)" in cli.ok("lineage", "Summarise")


def test_json_gives_the_run_and_the_prompt_and_a_version_can_be_kept(
    cli: Cli, kind: str, api: ChatApi
) -> None:
    prompt = cli.add("Summarise", ORIGINAL)
    api.script(Reply(pieces=BETTER))
    out = cli.json("enhance", "Summarise", "--phase", "precision", "--as", "version")
    assert out["run"]["status"] == "ok"
    assert (out["prompt"]["id"], out["prompt"]["current_version"]) == (prompt, 2)
    assert cli.json("show", "Summarise")["prompt"]["content"] == "".join(BETTER)


def test_dry_run_keeps_only_the_run(cli: Cli, kind: str, api: ChatApi) -> None:
    cli.add("Summarise", ORIGINAL)
    before = cli.counts()
    api.script(Reply(pieces=BETTER))
    out = cli.json("enhance", "Summarise", "--dry-run")
    assert out["prompt"] is None
    after = cli.counts()
    assert {t for t in after if after[t] != before[t] and "rollup_" not in t} <= {
        "runs",
        "generations",
        "usage_events",
        "audit_log",
        "prompts",
    }
    assert after["prompts"] == before["prompts"] and after["runs"] == before["runs"] + 1


@pytest.mark.parametrize("args", [("--phase", "ideas"), ("--method", "poem")])
def test_an_unknown_phase_or_method_is_a_usage_error(
    cli: Cli, config: Path, args: tuple[str, ...]
) -> None:
    cli.add("Summarise", ORIGINAL)
    assert "Invalid value" in cli.fails("enhance", "Summarise", *args, code=2)


def test_an_answer_that_drops_a_variable_is_one_line_and_keeps_nothing(
    cli: Cli, kind: str, api: ChatApi
) -> None:
    cli.add("Summarise", ORIGINAL)
    api.script(Reply(pieces=("Summarise {{text}}.",)))
    result = cli("enhance", "Summarise")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "promptdeck: answer: the model dropped the variable(s) audience; not kept "
        "(got 'Summarise {{text}}.')"
    )
    assert [p["name"] for p in cli.json("list")] == ["Summarise"]
    assert cli.json("runs")[0]["status"] == "ok"


def test_a_server_error_is_one_line_and_the_run_recorded_failed(
    cli: Cli, kind: str, api: ChatApi
) -> None:
    cli.add("Summarise", ORIGINAL)
    api.script(Reply(status=400, body={"error": "bad request"}))
    said = cli.fails("enhance", "Summarise")
    assert kind in said and "400" in said and api.url in said
    assert cli.json("runs")[0]["status"] == "failed"
    assert [p["name"] for p in cli.json("list")] == ["Summarise"]
