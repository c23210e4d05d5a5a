"""The run history (newest first, one whole on enter) and compare (two models, two versions,
side by side, then the diff of the answers) against a real chat API on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from storage import Library
from tests.storage.chat_api import MODEL, ChatApi, Reply
from tests.tui.conftest import Settle
from tests.tui.run_library import VALUES, llm_table
from tests.tui.test_run_screen import fill_variables, make_app
from tui.screens.compare import CompareScreen, diff_lines
from tui.screens.diff import DiffScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.runs import RunsScreen
from tui.widgets.answer_view import AnswerView
from tui.widgets.runs_table import RunsTable


async def test_history_lists_runs_newest_first_and_enter_shows_one_whole(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(500), Reply(pieces=("Hi", " there")))
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        for _ in range(2):
            await pilot.press("f5")
            await settle(pilot, rounds=5)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one(RunsTable)
        assert table.row_count == 2
        statuses = [table.get_row_at(row)[2] for row in range(2)]
        assert statuses == ["ok", "failed"]  # newest first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        shown = str(app.screen.query_one("VerticalScroll Static").render())
        assert "Hi there" in shown and "Greet the world." in shown and "── system ──" in shown
        assert "17 in / 4 out" in shown
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, RunsScreen)


async def test_compare_two_models_side_by_side_then_the_diff(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        app.screen.query_one("#choice-b #version", Input).value = "2"
        app.screen.query_one("#choice-b #model", Input).value = "chat-large"
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        for side in "ab":
            view = app.screen.query_one(f"#answer-{side}", AnswerView)
            assert view.text == "Hello, world!"
        assert "chat-large" in str(app.screen.query_one("#answer-b", AnswerView).border_title)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
    models = sorted(request.body["model"] for request in api.requests)
    assert models == ["chat-large", MODEL]
    runs = runs_lib.runs.list_runs("Greet")
    assert sorted(r.model for r in runs) == ["chat-large", MODEL]
    assert {r.version for r in runs} == {2} and all(r.variables == VALUES for r in runs)


async def test_compare_two_versions_sends_each_versions_messages(
    runs_lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(pieces=("Hello. ", "Nice day.")), Reply(pieces=("Hello. ", "Bye.")))
    app = make_app(runs_lib, tmp_path, llm_table("ollama", api.url))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await fill_variables(app)
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen.query_one("#choice-b #version", Input).value == "1"  # the one before
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        texts = {app.screen.query_one(f"#answer-{s}", AnswerView).text for s in "ab"}
        assert texts == {"Hello. Nice day.", "Hello. Bye."}
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        assert " Hello." in app.screen.diff  # the sentence both share is context
    systems = sorted(request.body["messages"][0]["content"] for request in api.requests)
    assert systems == ["Answer in English, briefly.", "Answer in English."]
    assert sorted(r.version for r in runs_lib.runs.list_runs("Greet")) == [1, 2]


def test_answers_are_diffed_sentence_by_sentence() -> None:
    assert diff_lines("One. Two!\nThree") == ["One.", "Two!", "Three"]
