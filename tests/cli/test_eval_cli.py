"""`promptdeck eval`, `evals`, `cases`, `rubrics` and `analyse` through the real CLI entry,
against a real chat API on 127.0.0.1: exit 0 when every assertion holds, 3 when one fails, 1
on a user error (one line), 2 on usage; results read back with --json; the verdicts that
changed between two versions; --only-failed and --repeat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_run_cli import configure
from tests.storage.chat_api import MODEL, ChatApi, Reply

PASSES = {"vars": {"who": "world"}, "assert": [{"type": "contains", "value": "world"}]}
FAILS = {"vars": {"who": "Ada"}, "assert": [{"type": "icontains", "value": "ADA"}]}


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: ChatApi) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(path))
    for variable in ("PROMPTDECK_LLM_PROVIDER", "PROMPTDECK_LLM_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    configure(path, "openai", api.url)
    return path


@pytest.fixture
def greet(cli: Cli) -> str:
    prompt = cli.add("Greet", "Say hello to {{who}}.")
    cli.ok("edit", "Greet", "--message", "louder", stdin="Say hello to {{who}}, loudly.")
    return prompt


def cases_file(tmp_path: Path, *cases: object, name: str = "cases.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return str(path)


def test_every_assertion_holds_exit_0_and_the_results_read_back(
    cli: Cli, greet: str, tmp_path: Path
) -> None:
    out = cli.ok("eval", "Greet", "--cases", cases_file(tmp_path, PASSES))
    assert f"v2 {MODEL}" in out and "pass" in out
    assert ": 1 case x 1 target: 1 passed, 0 failed, 0 errors (100%)" in out
    [listed] = cli.json("evals", "Greet")
    assert (listed["status"], listed["passed"], listed["results"]) == ("done", 1, 1)
    shown = cli.json("evals", "show", listed["id"][-8:])
    [result] = shown["results"]
    assert (result["verdict"], result["output"], result["version"]) == ("pass", "Hello, world!", 2)
    assert cli.json("cases", "Greet")[0]["vars"] == {"who": "world"}
    [run] = cli.json("runs", "Greet")
    assert run["id"] == result["run_id"]


def test_a_failing_assertion_exits_3_and_says_why(cli: Cli, greet: str, tmp_path: Path) -> None:
    result = cli("eval", "Greet", "--cases", cases_file(tmp_path, PASSES, FAILS))
    assert result.exit_code == 3, result.output
    assert "FAIL" in result.stdout
    assert "icontains: does not contain 'ADA'" in result.stdout
    assert "1 passed, 1 failed, 0 errors (50%)" in result.stdout
    as_json = cli("eval", "Greet", "--json")
    assert as_json.exit_code == 3
    data = json.loads(as_json.stdout)
    assert [r["verdict"] for r in data["results"]] == ["pass", "fail"]
    assert data["results"][1]["assertions"][0]["reason"] == "does not contain 'ADA'"


def test_user_and_usage_errors(cli: Cli, greet: str, tmp_path: Path) -> None:
    said = cli.fails("eval", "Greet")
    assert "has no cases" in said
    bad = cases_file(tmp_path, PASSES, {"vars": {}, "assert": [{"type": "nope"}]})
    said = cli.fails("eval", "Greet", "--cases", bad)
    assert f"{bad}: line 2: assert[1].type: unknown assertion type" in said
    assert cli.json("cases", "Greet") == []
    judge = cases_file(tmp_path, {"assert": [{"type": "judge", "rubric": "Missing"}]})
    assert "no such rubric" in cli.fails("cases", "import", "Greet", judge)
    assert "no prompt matches" in cli.fails("eval", "Nope")
    cli.fails("eval", "Greet", "--repeat", "0", code=2)
    cli.fails("eval", code=2)
    assert "not JSON" in cli.fails("cases", "add", "Greet", "--assert", "{", code=2)


def test_two_versions_show_which_cases_changed_verdict(
    cli: Cli, greet: str, tmp_path: Path, api: ChatApi
) -> None:
    loud = {"vars": {"who": "world"}, "assert": [{"type": "contains", "value": "LOUD"}]}
    cli.ok("cases", "import", "Greet", cases_file(tmp_path, loud, PASSES))
    api.script(Reply(), Reply(pieces=("LOUD hello, world",)))
    result = cli("eval", "Greet", "--version", "1", "--version", "latest")
    assert result.exit_code == 3
    assert f"ABOUT      v1 {MODEL}  v2 {MODEL}" in result.stdout
    [changed] = [line for line in result.stdout.splitlines() if line.startswith("changed:")]
    assert changed.endswith(f"fail (v1 {MODEL}) -> pass (v2 {MODEL})")
    first = cli.json("evals", "Greet")[0]["id"]
    second = json.loads(cli("eval", "Greet", "--json").stdout)["eval_run"]["id"]
    [across] = cli.json("evals", "compare", first, second)
    assert (across["before"], across["after"]) == ("1/2", "fail")


def test_only_failed_and_repeat(cli: Cli, greet: str, tmp_path: Path, api: ChatApi) -> None:
    cli.ok("cases", "import", "Greet", cases_file(tmp_path, PASSES, FAILS))
    assert cli("eval", "Greet").exit_code == 3
    api.script(Reply(pieces=("Hello, ADA",)))
    out = cli.ok("eval", "Greet", "--only-failed")
    assert "1 case x 1 target: 1 passed" in out
    assert "every case of Greet passed" in cli.ok("eval", "Greet", "--only-failed")
    api.script(Reply(pieces=("world",)), Reply(pieces=("nobody",)), Reply(pieces=("world!",)))
    flaky = cli("eval", "Greet", "--repeat", "3")
    assert flaky.exit_code == 3 and "2/3 flaky" in flaky.stdout
    assert "2 cases x 1 target x 3 runs: 2 passed, 4 failed" in flaky.stdout


def test_a_judge_rubric_from_the_cli(cli: Cli, greet: str, api: ChatApi) -> None:
    cli.ok("rubrics", "add", "Warm", "--criterion", "warmth:2:kind words", "--criterion", "brevity")
    assert cli.json("rubrics", "show", "Warm")["criteria"][0] == {
        "name": "warmth",
        "weight": 2.0,
        "description": "kind words",
    }
    cli.ok("cases", "add", "Greet", "who=world", "--assert", '{"type": "judge", "rubric": "Warm"}')
    scores = {"warmth": {"score": 5, "reason": "kind"}, "brevity": {"score": 4, "reason": "short"}}
    api.script(Reply(), Reply(pieces=(json.dumps(scores),)))
    data = json.loads(cli("eval", "Greet", "--json").stdout)
    [judged] = data["results"][0]["assertions"]
    assert (judged["passed"], judged["score"]) == (True, 4.6667)
    assert [c["reason"] for c in judged["criteria"]] == ["kind", "short"]
    assert "used by 1 case" in cli.fails("rubrics", "remove", "Warm")
    stats = cli.json("stats")["eval_scorecard"]
    assert (stats[0]["prompt_name"], stats[0]["judge_score"]) == ("Greet", 4.6667)
    assert "eval scorecard" in cli.ok("stats")


def test_analyse_and_show(cli: Cli, greet: str) -> None:
    cli.ok("edit", "Greet", stdin='{"greet": "{{who}}",}')
    data = cli.json("analyse", "Greet")
    assert (data["format"], data["valid"], data["variables"]) == ("json", False, ["who"])
    assert "not well formed: line 1" in cli.ok("show", "Greet")
    assert cli.json("show", "Greet@1")["analysis"]["format"] == "text"


def test_a_model_that_answers_nothing_exits_1_and_case_errors_exit_3(
    cli: Cli, greet: str, tmp_path: Path, config: Path, api: ChatApi
) -> None:
    """Exit codes for CI: 1 (one line) when the provider answered no case at all (a server
    not running, a refused key), 3 when cases ran and some failed or could not run."""
    cases = cases_file(tmp_path, PASSES, FAILS)
    configure(config, "openai", "http://127.0.0.1:9")  # nothing listens there
    said = cli.fails("eval", "Greet", "--cases", cases)
    assert "cannot connect" in said and "no case was answered" in said, said
    configure(config, "openai", api.url)
    refused = Reply(401, body={"error": {"message": "bad key"}})
    api.script(refused, refused)  # both cases
    assert "no case was answered" in cli.fails("eval", "Greet")
    api.script(Reply(500))  # the first case fails, the second answers: a case error
    result = cli("eval", "Greet")
    assert result.exit_code == 3, result.output
    assert "ERROR" in result.stdout and "1 errors" in result.stdout
    missing = cases_file(tmp_path, {"vars": {}, "assert": [{"type": "is-json"}]}, name="m.jsonl")
    assert cli("eval", "Greet", "--cases", missing).exit_code == 3  # nothing sent: a case error
