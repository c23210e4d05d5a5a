"""Chat prompts in the TUI: the editor names each message's role as the text is written and says
why markers cannot be read before a save; the preview shows each message under its role."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Markdown, TextArea

from tests.tui.conftest import Settle, SnapCompare
from tui.app import PromptdeckApp
from tui.screens.edit import EditScreen
from tui.widgets.content_error import ContentError
from tui.widgets.prompt_preview import PromptPreview, metadata_table
from tui.widgets.prompt_table import PromptTable
from tui.widgets.roles_strip import RolesStrip
from tui.widgets.status_line import StatusLine

CHAT = '{{role "system"}}\nYou review {{language}} code.\n{{role "user"}}\nReview {{code}}'


def _strip(screen: EditScreen) -> str:
    return str(screen.query_one(RolesStrip).render())


async def test_the_editor_names_the_roles_and_refuses_a_bad_marker(
    app: PromptdeckApp, settle: Settle
) -> None:
    prompt = app.library.prompts.create("Code review chat", CHAT)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(prompt.id)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditScreen)
        assert screen.query_one(RolesStrip).display
        assert _strip(screen) == "chat  system L1 · user L3"

        editor = screen.query_one("#content", TextArea)
        editor.load_text("No roles here.")
        await pilot.pause(0.3)
        await settle(pilot)
        assert not screen.query_one(RolesStrip).display

        bad = '{{role "system"}}\nBe brief.\n{{role "robot"}}\nhi'
        editor.load_text(bad)
        await pilot.pause(0.3)
        await settle(pilot)
        assert "line 3: unknown role 'robot'" in _strip(screen)
        assert screen.query_one(RolesStrip).has_class("-error")

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "unknown role 'robot'" in str(screen.query_one(StatusLine).render())
        assert not screen.query_one(ContentError).has_class("-shown")  # the strip says it
        assert app.library.prompts.get(prompt.id).content == CHAT


async def test_the_preview_shows_each_message_under_its_role(
    app: PromptdeckApp, settle: Settle
) -> None:
    prompt = app.library.prompts.create("Code review chat", CHAT, folder="aaa")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(prompt.id)
        await settle(pilot)
        preview = app.screen.query_one(PromptPreview)
        source = preview.query_one(Markdown).source
        assert source.startswith("**▍system**\n\nYou review {{language}} code.")
        assert "**▍user**\n\nReview {{code}}" in source
        meta = metadata_table(app.library.prompts.get(prompt.id), None, 0)
        assert "roles" in meta.columns[0]._cells
        assert "system, user" in meta.columns[1]._cells


def test_editor_on_a_chat_prompt(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle
) -> None:
    prompt = app.library.prompts.create("Code review chat", CHAT)

    async def open_it(pilot: Pilot[None]) -> None:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(prompt.id)
        await pilot.press("enter")
        await settle(pilot, rounds=6)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_it)
