"""One change signal: a write on any screen reaches every screen that shows library data,
when it is shown again (the library generation the app counts)."""

from __future__ import annotations

from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.screens.browse import BrowseScreen
from tui.screens.edit import EditScreen
from tui.screens.lineage import LineageScreen
from tui.widgets.prompt_table import PromptTable


def _first_name(app: PromptdeckApp) -> str:
    table = app.screen.query_one(PromptTable)
    return str(table._row(0)["name"])


async def test_an_edit_made_from_the_lineage_screen_reaches_browse(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        target = app.library.prompts.get("SQL from a question")
        assert _first_name(app) != target.name  # sorted by update: it is not first yet
        table.cursor = table._ids.index(target.id)
        generation = app.generation
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, LineageScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.prompt_id == target.id
        await pilot.press("ctrl+e", "ctrl+end", *" Explain the query.", "ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # the change message's default
        await settle(pilot)
        assert app.library.prompts.get(target.id).current_version == target.current_version + 1
        assert app.generation > generation
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineageScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert _first_name(app) == target.name
        assert app.screen.query_one(PromptTable).highlighted_id == target.id


async def test_a_rating_from_lineage_reaches_browse_and_a_refresh_reaches_every_screen(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        target = app.library.prompts.get("SQL from a question")
        table.cursor = table._ids.index(target.id)
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("r", "5", "enter")
        await settle(pilot)
        assert app.library.usage.rating(target.id) != (None, 0)
        seen = app.generation
        app.library.prompts.create("Written by the CLI", "Made behind the app's back.")
        await pilot.press("ctrl+r")  # lineage's reload: every screen reads again
        await settle(pilot)
        assert app.generation == seen + 1
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert "Written by the CLI" in [str(table._row(i)["name"]) for i in range(table.row_count)]
