"""`promptdeck run` and `runs` against a real chat API on 127.0.0.1 speaking each protocol: the
answer on stdout, the run recorded however it ends, one line naming provider, status and URL
for each failure, and nothing else in the library changed by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.storage.chat_api import KEY, KINDS, MODEL, TOKENS_IN, TOKENS_OUT, ChatApi, Reply

CHAT = '{{role "system"}}\nAnswer in {{language}}.\n{{role "user"}}\nGreet {{who}}.'


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


def configure(path: Path, kind: str, url: str, *, key: str | None = KEY, **more: object) -> None:
    """A config file whose [llm] table names `kind` served at `url` (no retries, no waits)."""
    base_url = url + "/v1" if kind == "openai" else url
    table = {"provider": kind, "model": MODEL, "base_url": base_url, "max_retries": 0} | more
    if key is not None:
        table["api_key"] = key
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in table.items()]
    path.write_text("[llm]\n" + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The config file `promptdeck` reads (none of the [llm] environment variables is set)."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(path))
    for variable in (
        "PROMPTDECK_LLM_PROVIDER",
        "PROMPTDECK_LLM_MODEL",
        "PROMPTDECK_LLM_BASE_URL",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OLLAMA_HOST",
    ):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest, api: ChatApi, config: Path) -> str:
    """Each protocol in turn, configured in the [llm] table of the config file."""
    configure(config, request.param, api.url)
    return str(request.param)


@pytest.fixture
def greet(cli: Cli) -> str:
    return cli.add("Greet", CHAT)


def grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    # The rollups (sums, not rows of their own) are held to the raw rows in test_rollups.py.
    return {t: after[t] - before[t] for t in after if after[t] != before[t] and "rollup_" not in t}


def test_the_answer_streams_to_stdout_and_the_run_is_recorded(
    cli: Cli, greet: str, kind: str, api: ChatApi
) -> None:
    out = cli.ok("run", "Greet", "language=English", "who=the world")
    assert out == "Hello, world!"
    [sent] = api.requests
    roles = [m["role"] for m in sent.body["messages"]]
    assert roles == (["user"] if kind == "anthropic" else ["system", "user"])
    [run] = cli.json("runs")
    assert (run["status"], run["output"], run["prompt_id"], run["provider"]) == (
        "ok",
        "Hello, world!",
        greet,
        kind,
    )
    assert (run["tokens_in"], run["tokens_out"], run["tokens_estimated"]) == (
        TOKENS_IN,
        TOKENS_OUT,
        False,
    )
    assert run["variables"] == {"language": "English", "who": "the world"}
    listed = cli.ok("runs", "Greet")
    assert "ok" in listed and f"{TOKENS_IN}+{TOKENS_OUT}" in listed and "Hello, world!" in listed


def test_no_stream_prints_the_whole_answer(cli: Cli, greet: str, kind: str, api: ChatApi) -> None:
    out = cli.ok("run", "Greet", "language=en", "who=you", "--no-stream")
    assert out == "Hello, world!"
    assert api.requests[0].body.get("stream") is (None if kind == "openai" else True)
    assert cli.json("runs")[0]["parameters"]["stream"] is (kind != "openai")


def test_json_prints_the_recorded_run(cli: Cli, greet: str, kind: str) -> None:
    run = cli.json("run", "Greet", "language=en", "who=you", "--temperature", "0.5")
    assert run["status"] == "ok" and run["output"] == "Hello, world!"
    assert run["parameters"]["temperature"] == 0.5
    assert cli.json("runs", "show", run["id"][-8:]) == run


def test_tokens_the_api_does_not_report_are_estimated_and_marked(
    cli: Cli, greet: str, kind: str, api: ChatApi
) -> None:
    api.script(Reply(usage=False))
    run = cli.json("run", "Greet", "language=en", "who=you")
    assert run["tokens_estimated"] is True and run["tokens_out"] == 4  # 13 characters
    assert "~" in cli.ok("runs").splitlines()[1]


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(500), "500"),
        (Reply(cut_after=2), "the answer stopped after 7 characters: the connection dropped"),
        (Reply(lines=("data: {not json",)), "the answer stopped before any text: malformed"),
    ],
    ids=["500", "cut", "malformed"],
)
def test_a_failure_is_one_line_and_recorded_failed_and_nothing_else_changes(
    cli: Cli, greet: str, kind: str, api: ChatApi, reply: Reply, said: str
) -> None:
    if reply.lines is not None and kind == "ollama":
        reply = Reply(lines=("{not json",))
    api.script(reply)
    before = cli.counts()
    result = cli("run", "Greet", "language=en", "who=you")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"promptdeck: {kind}: ") and said in line and api.url in line
    assert result.stdout == ("Hello, " if reply.cut_after else "")
    assert grew(before, cli.counts()) == {"runs": 1, "audit_log": 1}
    [run] = cli.json("runs")
    assert run["status"] == "failed" and run["error"] == line.removeprefix("promptdeck: ")


def test_a_429_is_retried_after_what_retry_after_says(
    cli: Cli, greet: str, config: Path, api: ChatApi
) -> None:
    configure(config, "openai", api.url, max_retries=2)
    api.script(Reply(429, headers={"Retry-After": "0"}))
    assert cli.ok("run", "Greet", "language=en", "who=you") == "Hello, world!"
    assert len(api.requests) == 2


def test_an_unreachable_server_is_one_line_and_recorded_failed(
    cli: Cli, greet: str, config: Path
) -> None:
    with ChatApi() as gone:
        url = gone.url
    configure(config, "ollama", url)
    line = cli.fails("run", "Greet", "language=en", "who=you")
    assert (
        line == f"promptdeck: ollama: cannot connect (connection refused; is the server "
        f"running?) ({url}/api/chat)"
    )
    assert cli.json("runs")[0]["status"] == "failed"


def test_a_key_the_server_echoes_never_shows(cli: Cli, greet: str, kind: str, api: ChatApi) -> None:
    split = ("key: ", *(KEY[i : i + 4] for i in range(0, len(KEY), 4)), ".")
    api.script(Reply(pieces=split), Reply(400, echo=True))
    assert cli.ok("run", "Greet", "language=en", "who=you") == "key: <hidden>."
    line = cli.fails("run", "Greet", "language=en", "who=you")
    shown = line + cli.ok("runs", "--json") + cli.ok("audit", "--json")
    assert "<hidden>" in line and KEY[:8] not in shown and KEY[-8:] not in shown


def test_a_pinned_version_and_piped_input(cli: Cli, kind: str, api: ChatApi) -> None:
    prompt = cli.add("Summarise", "Summarise: {{input}}")
    cli.ok("edit", prompt, "-m", "second", stdin="Condense: {{input}}")
    cli.ok("label", "set", prompt, "production", "--version", "1")
    run = cli.json("run", "Summarise@production", stdin="the minutes\n")
    assert run["version"] == 1 and run["variables"] == {"input": "the minutes"}
    assert api.requests[0].body["messages"][-1]["content"] == "Summarise: the minutes"
    assert cli.json("runs", "Summarise@2") == []
    assert [r["id"] for r in cli.json("runs", "Summarise@1")] == [run["id"]]


def test_a_missing_variable_is_one_line_and_nothing_is_sent_or_recorded(
    cli: Cli, greet: str, kind: str, api: ChatApi
) -> None:
    before = cli.counts()
    assert cli.fails("run", "Greet", "language=en") == (
        "promptdeck: missing template variable: who"
    )
    assert api.requests == [] and cli.counts() == before


@pytest.mark.parametrize(
    ("table", "env", "said"),
    [
        ({"provider": "bogus"}, {}, "provider: must be one of openai, anthropic, ollama"),
        (
            {"provider": "openai"},
            {"OPENAI_API_KEY": ""},
            "api_key: openai needs OPENAI_API_KEY or api_key in [llm]",
        ),
        ({"provider": "ollama", "base_url": "ftp://x"}, {}, "llm.base_url: "),
        ({"provider": "ollama", "timeout": -1}, {}, "llm.timeout: "),
    ],
)
def test_bad_provider_settings_are_one_line_and_nothing_is_recorded(
    cli: Cli,
    greet: str,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: dict[str, object],
    env: dict[str, str],
    said: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.write_text(
        "[llm]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in table.items())
    )
    before = cli.counts()
    assert said in cli.fails("run", "Greet", "language=en", "who=you")
    assert cli.counts() == before


def test_runs_show_prints_one_whole(cli: Cli, greet: str, kind: str) -> None:
    run = cli.json("run", "Greet", "language=en", "who=you", "--max-tokens", "64")
    shown = cli.ok("runs", "show", run["id"][-8:])
    for part in (
        run["id"],
        f"Greet ({greet[-8:]}) @1",
        f"{kind}/{MODEL}",
        "max_tokens 64",
        "--- user ---\nGreet you.",
        "--- output ---\nHello, world!",
        f"{TOKENS_IN}+{TOKENS_OUT} (in+out)",
    ):
        assert part in shown, part
    assert cli.fails("runs", "show", "nope") == "promptdeck: no run matches 'nope'"


def test_runs_lists_newest_first_within_a_limit(cli: Cli, greet: str, kind: str) -> None:
    assert cli.ok("runs") == "no runs yet: `promptdeck run REF` sends a prompt to a model\n"
    ids = [cli.json("run", "Greet", "language=en", f"who={n}")["id"] for n in "abc"]
    assert [r["id"] for r in cli.json("runs", "--limit", "2")] == ids[:0:-1]
    assert cli.ok("runs", "--limit", "1").count("\n") == 2  # the header and one run


def test_a_read_only_library_is_refused_before_anything_is_sent(
    cli: Cli, greet: str, kind: str, api: ChatApi
) -> None:
    line = cli.fails("--read-only", "run", "Greet", "language=en", "who=you")
    assert line == f"promptdeck: {cli.db}: library is open read-only; a run is recorded"
    assert api.requests == []
