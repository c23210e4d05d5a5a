"""Copying the rendered text from the edit screen's Variables panel (ctrl+r): a `rendered`
event as `promptdeck render` records it, or an inline reason and nothing recorded."""

from __future__ import annotations

import json

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.screens.browse import BrowseScreen
from tui.screens.edit import EditScreen
from tui.widgets.prompt_table import PromptTable
from tui.widgets.variables_panel import VariablesPanel


async def _open(app: PromptdeckApp, pilot: Pilot[None], name: str, settle: Settle) -> EditScreen:
    await settle(pilot)
    table = app.screen.query_one(PromptTable)
    table.cursor = table._ids.index(app.library.prompts.get(name).id)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, EditScreen)
    return app.screen


def _error(screen: EditScreen) -> Static:
    return screen.query_one("#render-error", Static)


async def test_ctrl_r_copies_the_rendered_text_and_records_a_render(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.library.prompts.get("Blog post outline")
        await _open(app, pilot, "Blog post outline", settle)
        await pilot.press("f3", *"DuckDB", "tab", *"analysts", "tab", *"900")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "about DuckDB for analysts" in app.clipboard and "{{" not in app.clipboard
        assert app.clipboard == app.library.usage.render(
            before.id, {"topic": "DuckDB", "audience": "analysts", "word_count": "900"}
        )
        after = app.library.prompts.get(before.id)
        assert after.usage_count == before.usage_count + 1
        assert after.last_used_at is not None and before.last_used_at is not None
        assert after.last_used_at > before.last_used_at
        _, events = app.library.db.query(
            "SELECT event_type, version, variables FROM usage_events "
            f"WHERE prompt_id = '{before.id}' ORDER BY created_at DESC LIMIT 1"
        )
        kind, version, values = events[0]
        assert (kind, version) == ("rendered", before.current_version)
        assert json.loads(values) == {
            "topic": "DuckDB",
            "audience": "analysts",
            "word_count": "900",
        }
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)  # the list reloads with the new count


async def test_a_missing_variable_is_said_inline_and_nothing_is_recorded(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.library.db.table_counts()
        screen = await _open(app, pilot, "Blog post outline", settle)
        await pilot.press("f3", *"DuckDB", "tab", *"analysts")
        await pilot.press("ctrl+r")
        await settle(pilot)
        error = _error(screen)
        assert error.has_class("-shown")
        assert str(error.render()) == "missing template variable: word_count"
        missing = screen.focused
        assert isinstance(missing, Input) and missing.name == "word_count"
        assert missing.has_class("-invalid")
        assert app.library.db.table_counts() == counts
        await pilot.press(*"900", "ctrl+r")
        await settle(pilot)
        assert not error.has_class("-shown")
        assert app.library.db.table_counts()["usage_events"] == counts["usage_events"] + 1


async def test_unsaved_text_and_new_prompts_are_not_rendered(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.library.db.table_counts()
        screen = await _open(app, pilot, "Commit message", settle)
        await pilot.press("ctrl+e", "ctrl+end", *" Be brief.", "ctrl+r")
        await settle(pilot)
        assert "unsaved changes to the text" in str(_error(screen).render())
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")  # discard them
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await pilot.press(*"Hello {{user.name}}", "ctrl+r")
        await settle(pilot)
        assert "save the prompt first" in str(_error(app.screen).render())
        # A variable with a dot gets its box like any other.
        panel = app.screen.query_one(VariablesPanel)
        assert [box.name for box in panel.query(".variable").results(Input)] == ["user.name"]
        assert app.library.db.table_counts() == counts
