"""Edit screen behaviour: versions, derive, validation, diff, restore, unsaved changes."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent, TextArea

from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.screens.browse import BrowseScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.diff import DiffScreen
from tui.screens.edit import EditScreen
from tui.screens.version import VersionScreen
from tui.widgets.prompt_table import PromptTable


async def _open(app: PromptdeckApp, pilot: Pilot[None], name: str, settle: Settle) -> EditScreen:
    await settle(pilot)
    table = app.screen.query_one(PromptTable)
    table.cursor = table._ids.index(app.library.prompts.get(name).id)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, EditScreen)
    return app.screen


async def test_open_edit_save_creates_a_new_version(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.library.prompts.get("Commit message")
        await _open(app, pilot, settle=settle, name="Commit message")
        await pilot.press("ctrl+e", "ctrl+end", *" Keep it short.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press(*"shorter", "enter")
        await settle(pilot)
        after = app.library.prompts.get(before.id)
        assert after.current_version == before.current_version + 1
        assert "Keep it short." in after.content
        assert app.library.versions.history(before.id)[-1].change_message == "shorter"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)


async def test_new_prompt_is_version_one(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        count = app.library.prompts.count_prompts()
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Summarise {{text}} in one line.")
        await pilot.press("f2")
        await pilot.press(*"One-line summary")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.library.prompts.count_prompts() == count + 1
        created = app.library.prompts.get("One-line summary")
        assert created.current_version == 1 and created.content == "Summarise {{text}} in one line."


async def test_derive_creates_a_child_with_lineage(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        parent = app.library.prompts.get("SQL from a question")
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(parent.id)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.mode == "derive"
        await pilot.press("ctrl+end", *" Use CTEs.", "ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        child = app.library.prompts.get("SQL from a question (derived)")
        assert child.parent_id == parent.id
        assert any(
            r.type == "derived_from" and r.target_id == parent.id
            for r in app.library.lineage.relationships(child.id)
        )
        assert app.library.prompts.get(parent.id).generation_count == parent.generation_count + 1


async def test_invalid_edit_shows_inline_error_and_writes_nothing(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.library.db.table_counts()
        screen = await _open(app, pilot, settle=settle, name="Commit message")
        await pilot.press("f2")
        temperature = screen.query_one("#field-temperature", Input)
        temperature.value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        error = screen.query_one("#error-temperature")
        assert error.has_class("-shown") and "temperature" in str(error.render())
        assert temperature.value == "7"  # what was typed stays
        assert app.library.db.table_counts() == counts
        assert isinstance(app.screen, EditScreen)


async def test_empty_and_duplicate_content_are_refused_inline(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.library.db.table_counts()
        screen = await _open(app, pilot, settle=settle, name="Commit message")
        editor = screen.query_one("#content", TextArea)
        editor.load_text("   ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "content" in str(screen.query_one("#error-content").render())
        other = app.library.prompts.get("Code review").content
        editor.load_text(other)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Code review" in str(screen.query_one("#error-content").render())
        assert editor.text == other
        assert app.library.db.table_counts() == counts


async def test_diff_shows_unsaved_changes(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle=settle, name="Commit message")
        await pilot.press("ctrl+e", *"NEW WORDS")
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        added = [line for line in app.screen.diff.splitlines() if line.startswith("+")]
        assert any("NEW WORDS" in line for line in added)
        await pilot.press("escape")


async def test_versions_panel_opens_and_restores_a_version(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = app.library.prompts.get("Code review")
        assert prompt.current_version >= 2
        await _open(app, pilot, settle=settle, name="Code review")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("end", "enter")  # the oldest version
        await settle(pilot)
        assert isinstance(app.screen, VersionScreen)
        assert app.screen.version.version == 1
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, rounds=5)
        after = app.library.prompts.get(prompt.id)
        assert after.current_version == prompt.current_version + 1
        assert after.content == app.library.versions.get(prompt.id, 1).content


async def test_leaving_with_unsaved_changes_asks_first(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle=settle, name="Commit message")
        await pilot.press("ctrl+e", *"x")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, EditScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)


async def test_variables_tab_opens_on_a_prompt_without_variables(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.screen.query_one(TabbedContent).active == "variables"
