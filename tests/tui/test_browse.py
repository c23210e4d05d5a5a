"""Browse screen behaviour, driven by keys through Pilot against a real library file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from textual.events import Key
from textual.widgets import Input

from storage import Library, PromptFilter
from tests.tui.conftest import Settle, wait_until
from tui import browse_worker
from tui.app import PromptdeckApp
from tui.browse_query import ListRequest
from tui.clipboard import osc52
from tui.demo import write_sample_library
from tui.screens.browse import LOADING_SAID_AFTER, TEXT_LOADING, BrowseScreen
from tui.screens.help import HelpScreen
from tui.shared.settings import Settings
from tui.widgets import prompt_browser
from tui.widgets.prompt_preview import PromptPreview
from tui.widgets.prompt_table import PromptTable


def _table(app: PromptdeckApp) -> PromptTable:
    return app.screen.query_one(PromptTable)


def _names(app: PromptdeckApp) -> list[str]:
    table = _table(app)
    return [table._row(i)["name"] for i in range(table.row_count)]


async def test_lists_every_live_prompt_with_the_first_highlighted(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert _table(app).row_count == app.library.prompts.count_prompts()
        first = app.library.prompts.list_prompts(limit=1)[0]
        assert _table(app).highlighted_id == first.id
        sub_title = app.screen.sub_title
        assert sub_title is not None
        assert f"{app.library.prompts.count_prompts():,} prompts" in sub_title


async def test_search_as_you_type_narrows_the_table(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        everything = _table(app).row_count
        await pilot.press("slash", *"review")
        await settle(pilot)
        narrowed = _names(app)
        assert 0 < len(narrowed) < everything
        assert all("review" in n.lower() or "review" in _content(app, n) for n in narrowed)
        await pilot.press(*" security")
        await settle(pilot)
        assert 0 < len(_names(app)) < len(narrowed)
        await pilot.press("enter")  # back to the list
        assert isinstance(app.focused, PromptTable)


async def test_keys_read_in_one_burst_with_the_slash_are_typed_into_the_search(
    app: PromptdeckApp, settle: Settle
) -> None:
    """A paste or a slow link delivers `/review` at once: every key is sent to the list (the
    focus then); the slash still moves to the search and the rest is typed there (its `r`
    had opened the rating dialog)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for character in "/review":
            app.post_message(Key("slash" if character == "/" else character, character))
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert app.screen.query_one("#search", Input).value == "review"
        await pilot.press(*" security")  # typed on, not over a selection
        assert app.screen.query_one("#search", Input).value == "review security"
        assert _names(app) and all(
            "review" in n.lower() or "review" in _content(app, n) for n in _names(app)
        )


async def test_a_key_that_leaves_the_search_as_it_was_queries_nothing(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first letter, a space after a word: the list (and its scroll and preview) stays
    as it is, with no query behind the next key's."""
    searched: list[str | None] = []
    read_list = browse_worker.read_list

    def counted(library: Library, request: ListRequest, cancelled: Callable[[], bool]) -> Any:
        searched.append(request.where.text)
        return read_list(library, request, cancelled)

    monkeypatch.setattr(browse_worker, "read_list", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "r")
        await settle(pilot)
        await pilot.press(*"eview")
        await settle(pilot)
        shown, searched[:] = _names(app), []
        await pilot.press("space")
        await settle(pilot)
        assert searched == [] and _names(app) == shown
        await pilot.press("s")
        await settle(pilot)
        assert searched == ["review s"]


async def test_the_preview_waits_for_a_pause_in_the_typing(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key moves the highlight to a new best match: the preview (and its similar
    prompts) is read once the typing pauses, not for every key; in the list at once."""
    monkeypatch.setattr(prompt_browser, "TYPING_PREVIEW_DEBOUNCE", 2.0)  # a slow machine's
    previewed: list[str] = []
    read_preview = browse_worker.read_preview

    def counted(library: Library, prompt_id: str, *args: Any) -> None:
        previewed.append(prompt_id)
        read_preview(library, prompt_id, *args)

    monkeypatch.setattr(browse_worker, "read_preview", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        previewed.clear()
        await pilot.press("slash", *"rev")
        await settle(pilot)
        await pilot.press(*"iew")
        await settle(pilot)
        assert previewed == []  # the list changed with each key, the preview waits
        await wait_until(pilot, lambda: bool(previewed), seconds=10)
        await settle(pilot)
        assert previewed == [_table(app).highlighted_id]
        await pilot.press("ctrl+l", "j")
        await settle(pilot)
        assert previewed[1:] == [_table(app).highlighted_id]


def _content(app: PromptdeckApp, name: str) -> str:
    return app.library.prompts.get(name).content.lower()


async def test_vim_keys_move_and_the_preview_follows(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        await settle(pilot)
        table = _table(app)
        assert table.cursor == 2
        preview = app.screen.query_one(PromptPreview)
        assert app.library.prompts.get(table.highlighted_id or "").name in str(
            preview.query_one("#preview-title").render()
        )
        await pilot.press("G")
        assert table.cursor == table.row_count - 1
        await pilot.press("g")
        assert table.cursor == 0


async def test_sort_cycles_and_reverses(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")  # name, ascending
        await settle(pilot)
        names = _names(app)
        assert names == sorted(names, key=str.lower)
        await pilot.press("S")
        await settle(pilot)
        assert _names(app) == list(reversed(names))


async def test_rate_from_the_list(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt_id = _table(app).highlighted_id or ""
        before = len(app.library.usage.feedback(prompt_id))
        await pilot.press("r", "4", *"solid", "enter")
        await settle(pilot)
        feedback = app.library.usage.feedback(prompt_id)
        assert len(feedback) == before + 1
        assert (feedback[0].rating, feedback[0].comment) == (4, "solid")


async def test_use_asks_for_variables_copies_and_records(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        target = app.library.prompts.get("Blog post outline")
        table = _table(app)
        table.cursor = table._ids.index(target.id)
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press(*"DuckDB", "enter", *"analysts", "enter", *"900", "enter")
        await settle(pilot)
        after = app.library.prompts.get(target.id)
        assert after.usage_count == target.usage_count + 1
        assert "about DuckDB for analysts" in app.clipboard
        assert "{{" not in app.clipboard


async def test_use_takes_variables_named_with_dots_and_dashes(
    app: PromptdeckApp, settle: Settle
) -> None:
    target = app.library.prompts.create("Greeting", "Hello {{user.name}}, from {{team-name}}.")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = _table(app)
        table.cursor = table._ids.index(target.id)
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press(*"Ada", "enter", *"core", "enter")
        await settle(pilot)
        assert app.clipboard == "Hello Ada, from core."
        assert app.library.prompts.get(target.id).usage_count == target.usage_count + 1


async def test_copy_puts_the_content_on_the_clipboard(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt = app.library.prompts.get(_table(app).highlighted_id or "")
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == prompt.content


def test_osc52_is_wrapped_for_tmux() -> None:
    plain = osc52("hi", in_tmux=False)
    assert plain == f"\x1b]52;c;{base64.b64encode(b'hi').decode()}\x07"
    wrapped = osc52("hi", in_tmux=True)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]52;c;") and wrapped.endswith("\x1b\\")


async def test_archive_then_unarchive_from_the_archived_filter(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt_id = _table(app).highlighted_id or ""
        live = app.library.prompts.count_prompts()
        await pilot.press("a", "y")
        await settle(pilot)
        assert app.library.prompts.get(prompt_id).archived
        assert _table(app).row_count == live - 1
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "space", "ctrl+s")  # archived only
        await settle(pilot)
        assert prompt_id in _table(app)._ids
        table = _table(app)
        table.cursor = table._ids.index(prompt_id)
        await pilot.press("a", "y")
        await settle(pilot)
        assert not app.library.prompts.get(prompt_id).archived


async def test_help_lists_the_keys(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)


async def test_empty_library_offers_the_sample(
    library: Library, settings: Settings, settle: Settle
) -> None:
    app = PromptdeckApp(library, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#empty-hint").display
        await pilot.press("L")
        await settle(pilot, rounds=6)
        assert library.prompts.count_prompts(PromptFilter()) > 10
        assert _table(app).row_count == library.prompts.count_prompts()


async def test_worker_errors_reach_the_status_line(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        prompt_id = _table(app).highlighted_id or ""
        app.library.prompts.archive(prompt_id)  # behind the app's back, as the CLI would
        await pilot.press("a", "y")
        await settle(pilot)
        status = str(app.screen.query_one("#status").render())
        assert "already archived" in status


async def test_search_ranks_while_the_text_index_loads_and_says_so(
    library_from: Callable[..., Library], settings: Settings
) -> None:
    library = library_from(write_sample_library, linger=60.0)
    app = PromptdeckApp(library, settings=settings)
    loading = library.search._cache.text_lock  # noqa: SLF001 - held: the index loads slowly
    loading.acquire()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(LOADING_SAID_AFTER + 0.3)
            assert str(app.screen.query_one("#status").render()) == TEXT_LOADING
            await pilot.press("slash", *"code review")
            await pilot.pause(0.5)
            ranked = library.search.table("code review", match_all=True).table
            assert _names(app) == ranked.column("name").to_pylist()  # BM25 order, not sorted
            assert len(_names(app)) > 1
            loading.release()
            await pilot.pause(0.5)
            assert str(app.screen.query_one("#status").render()) == "text search ready"
    finally:
        if loading.locked():
            loading.release()
