"""Enhancing from the editor against a real chat API on 127.0.0.1: f8 opens the enhance
screen on the saved prompt, f5 streams a rewrite that then shows as a diff, f9 keeps it as a
derived prompt, f10 as the next version (the editor shows it), esc drops it; an answer that
cannot be kept, or unsaved changes, are one line and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from storage import Library
from tests.storage.chat_api import ChatApi, Reply
from tests.tui.conftest import Settle, SnapCompare
from tests.tui.run_library import fixed_clock, llm_table
from tui import run_worker
from tui.app import PromptdeckApp
from tui.screens.edit import EditScreen
from tui.screens.enhance import EnhanceScreen
from tui.shared.settings import Settings
from tui.widgets.prompt_table import PromptTable
from tui.widgets.status_line import StatusLine

ORIGINAL = "Summarise {{topic}} for {{audience}} in a few points."
BETTER = ("You are an analyst.\n", "Summarise {{topic}} for {{audience}}:\n", "1. Three bullets.")


def _app(library: Library, tmp_path: Path, api: ChatApi) -> PromptdeckApp:
    settings = Settings(tmp_path / "config.toml")
    settings.llm = llm_table("openai", api.url)
    return PromptdeckApp(library, settings=settings)


async def _enhance(app: PromptdeckApp, pilot: Pilot[None], settle: Settle, prompt: str) -> None:
    """Open `prompt` in the editor, then its enhance screen, and ask for a rewrite."""
    await settle(pilot)
    table = app.screen.query_one(PromptTable)
    table.cursor = table._ids.index(prompt)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(app.screen, EnhanceScreen)
    await pilot.press("f5")
    await settle(pilot, rounds=6)


def _status(app: PromptdeckApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


async def test_a_rewrite_shows_as_a_diff_and_is_kept_as_a_derived_prompt(
    library: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    parent = library.prompts.create("Summarise", ORIGINAL, phase="idea")
    api.script(Reply(pieces=BETTER))
    app = _app(library, tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        await _enhance(app, pilot, settle, parent.id)
        shown = str(app.screen.query_one("#proposal-text", Static).render())
        assert "-Summarise {{topic}} for {{audience}} in a few points." in shown
        assert "+You are an analyst." in shown
        assert "rewrite ready · run " in _status(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.query_one("#content", TextArea).text == ORIGINAL  # this one is kept
    child = library.prompts.get("Summarise (human)")  # the phase after the prompt's own
    assert (child.parent_id, child.source_type, child.content) == (
        parent.id,
        "enhanced",
        "".join(BETTER),
    )


async def test_kept_as_a_version_the_editor_shows_it(
    library: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=BETTER))
    app = _app(library, tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        await _enhance(app, pilot, settle, prompt.id)
        await pilot.press("f10")
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.query_one("#content", TextArea).text == "".join(BETTER)
        assert not app.screen.is_dirty
    assert library.prompts.get(prompt.id).current_version == 2


async def test_an_answer_that_drops_a_variable_is_said_and_dropped(
    library: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=("Summarise {{topic}}.",)))
    app = _app(library, tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        await _enhance(app, pilot, settle, prompt.id)
        assert "dropped the variable(s) audience" in _status(app)
        counts = library.db.table_counts()
        await pilot.press("f9")
        await settle(pilot)
        assert "nothing to keep yet" in _status(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert library.db.table_counts() == counts
    assert [run.status for run in library.runs.list_runs(prompt.id)] == ["ok"]


async def test_unsaved_changes_are_said_before_an_enhancement(
    library: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL)
    app = _app(library, tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(prompt.id)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#content", TextArea).insert(" Be brief.")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert "unsaved changes: save them (ctrl+s), then enhance" in _status(app)
    assert api.requests == []


def test_enhance_screen_with_a_rewrite(
    library: Library,
    api: ChatApi,
    tmp_path: Path,
    settle: Settle,
    snap_compare: SnapCompare,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_worker, "make_clock", fixed_clock)
    prompt = library.prompts.create("Summarise", ORIGINAL, phase="idea")
    api.script(Reply(pieces=BETTER))
    app = _app(library, tmp_path, api)

    async def run_before(pilot: Pilot[None]) -> None:
        await _enhance(app, pilot, settle, prompt.id)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
