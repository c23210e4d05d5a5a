"""The run screen against a real chat API on 127.0.0.1 (each protocol): an answer streams in
and is recorded with its figures; esc stops it (recorded cancelled); a 500, an unreachable
server and unusable settings each read as one line, the run recorded failed (or, with nothing
sent, not at all); the editor saves unsaved changes before it runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from storage import Library
from tests.storage.chat_api import KINDS, MODEL, ChatApi, Reply
from tests.tui.conftest import Settle, wait_until
from tests.tui.run_library import VALUES, llm_table
from tui.app import PromptdeckApp
from tui.screens.run import RunScreen
from tui.shared.settings import Settings
from tui.widgets.answer_view import AnswerView
from tui.widgets.status_line import StatusLine


def make_app(library: Library, tmp_path: Path, llm: dict[str, object]) -> PromptdeckApp:
    settings = Settings(tmp_path / "config.toml")
    settings.llm = dict(llm)
    return PromptdeckApp(library, settings=settings)


async def fill_variables(app: PromptdeckApp) -> None:
    for box in app.screen.query("Input.variable").results(Input):
        box.value = VALUES[box.name or ""]


def figures(app: PromptdeckApp) -> str:
    return str(app.screen.query_one(AnswerView).query_one(".figures").render())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_run_streams_the_answer_and_records_it(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, kind: str
) -> None:
    app = make_app(runs_lib, tmp_path, llm_table(kind, api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        view = app.screen.query_one(AnswerView)
        assert view.query_one(TextArea).text == "Hello, world!"
        said = figures(app)
        assert "17 in / 4 out tokens" in said and "$0.000015" in said, said
        assert view.border_title == f"v2 · {kind}/{MODEL}"
    (run,) = runs_lib.runs.list_runs("Greet")
    assert (run.status, run.version, run.output) == ("ok", 2, "Hello, world!")
    assert run.variables == VALUES and run.messages[0].content == "Answer in English, briefly."


async def test_escape_stops_the_answer_and_it_is_recorded_cancelled(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(pieces=("word ",) * 200, gap=0.02))
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f5")
        view = app.screen.query_one(AnswerView)
        while not view.text:
            await pilot.pause(0.02)
        await pilot.press("escape")
        await wait_until(pilot, lambda: figures(app).startswith("cancelled"))
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, RunScreen)  # the first esc stops, it does not leave
        assert figures(app).startswith("cancelled")
        shown = view.text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RunScreen)
    (run,) = runs_lib.runs.list_runs("Greet")
    assert run.status == "cancelled" and run.tokens_estimated
    assert 0 < len(run.output) < len("word ") * 200 and shown.startswith(run.output[:5])


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param(Reply(500), "500", id="server-error"),
        pytest.param(Reply(cut_after=2), "stopped after", id="cut-stream"),
    ],
)
async def test_a_failed_answer_reads_as_one_line_and_is_recorded_failed(
    runs_lib: Library,
    api: ChatApi,
    tmp_path: Path,
    settle: Settle,
    script: Reply,
    expected: str,
) -> None:
    api.script(script)
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        said = figures(app)
        assert said.startswith("failed: ") and expected in said and "\n" not in said, said
        assert "Traceback" not in said
    (run,) = runs_lib.runs.list_runs("Greet")
    assert run.status == "failed" and run.error and expected in run.error


async def test_an_unreachable_server_fails_the_run(
    runs_lib: Library, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(runs_lib, tmp_path, llm_table("ollama", "http://127.0.0.1:9"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        assert figures(app).startswith("failed: ")
    (run,) = runs_lib.runs.list_runs("Greet")
    assert run.status == "failed"


async def test_unusable_settings_and_a_missing_variable_send_nothing(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = make_app(runs_lib, tmp_path, {"provider": "openai", "model": MODEL})  # no key
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=4)
        assert "OPENAI_API_KEY" in figures(app)
        assert app.screen.query_one(StatusLine).has_class("-error")
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("f5")  # no variables filled in
        await settle(pilot, rounds=4)
        assert "language" in figures(app) and "who" in figures(app)
    assert runs_lib.runs.list_runs("Greet") == [] and api.requests == []


async def test_the_editor_saves_unsaved_changes_then_runs_that_version(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(runs_lib, tmp_path, llm_table("ollama", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen.query_one("#content", TextArea)
        editor.load_text(editor.text + " Be warm.")
        await pilot.press("f5")  # asks for the version's message
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, RunScreen)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=6)
    (run,) = runs_lib.runs.list_runs("Greet")
    assert run.version == 3 and run.messages[-1].content == "Greet the world. Be warm."
