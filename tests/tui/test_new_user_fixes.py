"""Defects a new user found at 80x24 and 160x48, each driven through Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, Input, Select, Static, TextArea
from textual.widgets._footer import FooterKey

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.messages import LibraryChanged, StatusMessage
from tui.screens.change_message import ChangeMessageScreen
from tui.screens.edit import EditScreen
from tui.screens.filters import FilterScreen
from tui.screens.variables import VariablesScreen
from tui.shared.formatting import embed_summary
from tui.shared.settings import Settings
from tui.widgets.prompt_table import PromptTable
from tui.widgets.status_line import StatusLine
from tui.widgets.versions_panel import VersionsPanel


def _table(app: PromptdeckApp) -> PromptTable:
    return app.screen.query_one(PromptTable)


# -- 12: rows arriving in an empty library take the focus ----------------------------------


async def test_sample_into_an_empty_library_focuses_the_list(
    library: Library, settings: Settings, settle: Settle
) -> None:
    app = PromptdeckApp(library, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot, rounds=6)
        assert isinstance(app.focused, PromptTable)
        await pilot.press("j", "j")
        assert _table(app).cursor == 2


async def test_import_into_an_empty_library_focuses_the_list(
    library: Library, settings: Settings, settle: Settle
) -> None:
    app = PromptdeckApp(library, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for name in ("alpha", "beta", "gamma"):  # as an import writes them
            library.prompts.create(name=name, content=f"the {name} prompt")
        app.post_message(LibraryChanged())
        await settle(pilot)
        assert isinstance(app.focused, PromptTable)
        await pilot.press("G")
        assert _table(app).cursor == 2


# -- 16: esc clears a search; the count names the active filter ----------------------------


def _search(app: PromptdeckApp) -> Input:
    return app.screen.query_one("#search", Input)


def _count(app: PromptdeckApp) -> str:
    return str(app.screen.query_one("#result-count", Static).render())


async def test_escape_in_the_search_box_clears_it_then_goes_to_the_list(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        everything = _table(app).row_count
        await pilot.press("slash", *"review")
        await settle(pilot)
        assert _table(app).row_count < everything
        await pilot.press("escape")
        await settle(pilot)
        assert _search(app).value == "" and app.focused is _search(app)
        assert _table(app).row_count == everything
        await pilot.press("escape")
        assert isinstance(app.focused, PromptTable)


async def test_escape_on_the_list_clears_an_active_search(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        everything = _table(app).row_count
        await pilot.press("slash", *"review", "enter")
        await settle(pilot)
        assert isinstance(app.focused, PromptTable) and _table(app).row_count < everything
        await pilot.press("escape")
        await settle(pilot)
        assert _search(app).value == "" and _table(app).row_count == everything
        binding = next(
            b for _, b, *_ in app.screen.active_bindings.values() if b.id == "browse.clear_search"
        )
        assert "Clear the search" in (binding.tooltip or "")


async def test_the_count_names_the_active_filter(app: PromptdeckApp, settle: Settle) -> None:
    phase = app.library.prompts.facets()["phase"][0]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        app.screen.query_one("#facet-phase", Select).value = phase
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _count(app).endswith(f" · phase {phase}")
        assert " of " in _count(app)


# -- 14: the editor validates before it asks for a message; errors clear when mended -------


async def _edit(app: PromptdeckApp, pilot: Pilot[None], settle: Settle, name: str) -> EditScreen:
    await settle(pilot)
    table = _table(app)
    table.cursor = table._ids.index(app.library.prompts.get(name).id)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, EditScreen)
    return app.screen


async def test_a_field_error_is_shown_before_the_message_and_cleared_when_mended(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _edit(app, pilot, settle, "Commit message")
        await pilot.press("f2")
        temperature = screen.query_one("#field-temperature", Input)
        temperature.value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # no change message asked for an invalid value
        error = screen.query_one("#error-temperature")
        assert error.has_class("-shown") and "temperature" in str(error.render())
        assert app.focused is temperature
        assert temperature.styles.border_top[0] in ("", "none")  # no "▊▔▔▔" frame
        assert temperature.content_size.height == 1  # its value is drawn
        temperature.value = "0.7"
        await settle(pilot)
        assert not error.has_class("-shown")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChangeMessageScreen)


async def test_a_content_error_clears_when_the_text_changes(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _edit(app, pilot, settle, "Commit message")
        editor = screen.query_one("#content", TextArea)
        editor.load_text("   ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        error = screen.query_one("#error-content")
        assert error.has_class("-shown") and "content" in str(error.render())
        await pilot.press("ctrl+e", *"words")
        await settle(pilot)
        assert not error.has_class("-shown")


# -- 15: derive starts at the end of the text; ctrl+end reaches the end of a long one ------


async def test_derive_puts_the_cursor_at_the_end(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen) and app.screen.mode == "derive"
        editor = app.screen.query_one("#content", TextArea)
        assert app.focused is editor
        assert editor.cursor_location == editor.document.end


async def test_ctrl_end_reaches_the_end_of_a_100_kb_prompt(
    app: PromptdeckApp, settle: Settle
) -> None:
    lines = [f"line {n}: " + "words of a long prompt " * 4 for n in range(1100)]
    long = app.library.prompts.create(name="Long", content="\n".join(lines) + "\nTHE END")
    assert len(long.content) > 100_000
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _edit(app, pilot, settle, "Long")
        editor = screen.query_one("#content", TextArea)
        assert editor.cursor_location == (0, 0)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert editor.cursor_location == editor.document.end
        assert editor.scroll_offset.y > 0
        await pilot.press("ctrl+home")
        assert editor.cursor_location == (0, 0)


# -- 20: j/k in Versions; unknown keymap ids are named; remapped keys keep their place -----


async def test_j_and_k_move_through_the_versions(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _edit(app, pilot, settle, "Code review")
        await pilot.press("f4")
        await settle(pilot)
        versions = screen.query_one(VersionsPanel)
        assert app.focused is versions and versions.option_count > 1
        versions.highlighted = 0
        await pilot.press("j")
        assert versions.highlighted == 1
        await pilot.press("k")
        assert versions.highlighted == 0


async def test_an_unknown_keymap_id_is_named_on_start(
    sample_library: Library, tmp_path: Path, settle: Settle
) -> None:
    settings = Settings(tmp_path / "config.toml")
    settings.keymap = {"browse.nwe": "N", "browse.new": "ctrl+n"}
    app = PromptdeckApp(sample_library, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert any("browse.nwe" in text for text in said), said
        assert not any("browse.new," in text or "'browse.new'" in text for text in said)


async def test_a_remapped_key_keeps_its_place_in_the_footer(
    sample_library: Library, tmp_path: Path, settle: Settle
) -> None:
    settings = Settings(tmp_path / "config.toml")
    settings.keymap = {"browse.new": "N"}
    app = PromptdeckApp(sample_library, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = [key.description for key in app.screen.query_one(Footer).query(FooterKey)]
        assert keys.index("New") < keys.index("Derive") < keys.index("Quit")


# -- 19: the footer's last column; whole status messages; ctrl+r says so --------------------


async def test_the_footer_palette_key_reaches_the_last_column(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        palette = app.screen.query_one(Footer).query_one(".-command-palette")
        assert palette.region.right == 80  # no column left for a key scrolled beneath


async def test_a_long_status_message_is_shown_whole(app: PromptdeckApp, settle: Settle) -> None:
    text = "embedded 1,234 prompts with nomic-embed-text (56 were current); search uses it " * 2
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.post_message(StatusMessage(text.strip()))
        await settle(pilot)
        status = app.screen.query_one(StatusLine)
        assert status.region.height > 1
        assert status.region.height >= len(text) // 78


def test_the_embed_summary_names_no_missing_model() -> None:
    assert embed_summary(3, "local", 9, None) == (
        "embedded 3 prompts with local (9 were current); no model is active for search yet"
    )
    assert embed_summary(3, "local", 9, "local").endswith("; search uses local")


async def test_ctrl_r_says_reloaded(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "reloaded" in str(app.screen.query_one(StatusLine).render())


# -- 13: dialogs fit 80x24 and scroll to the focused widget ---------------------------------


def _on_screen(widget: Widget, height: int = 24) -> bool:
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= height


async def test_thirty_variables_scroll_to_the_focused_field(
    app: PromptdeckApp, settle: Settle
) -> None:
    content = "Fill " + " ".join(f"{{{{v{n}}}}}" for n in range(30))
    prompt = app.library.prompts.create(name="Thirty", content=content)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = _table(app)
        table.cursor = table._ids.index(prompt.id)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, VariablesScreen)
        for _ in range(25):
            await pilot.press("x", "enter")
        await settle(pilot)
        focused = app.focused
        assert isinstance(focused, Input) and focused.name == "v25"
        assert _on_screen(focused)
        scroller = app.screen.query_one("#fields")
        assert focused.region.y >= scroller.region.y
        assert focused.region.bottom <= scroller.region.bottom
        assert _on_screen(app.screen.query_one("#rendered"))
        assert _on_screen(app.screen.query_one(".hint"))


async def test_the_filter_dialog_fits_80x24(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FilterScreen)
        for selector in ("#archived", "#apply", "#clear"):
            widget = app.screen.query_one(selector)
            widget.focus()
            await settle(pilot)
            assert _on_screen(widget), selector
