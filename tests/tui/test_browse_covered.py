"""Browse's loading ahead of need (the text index, the sidebar, the preview's similar prompts)
gives way while another screen covers it: held when a screen is pushed over browse, taken up
again when browse is back in front, and given up when the app closes meanwhile."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from storage.search.service import SearchResult
from tests.tui.conftest import Settle, wait_until
from tui import browse_worker
from tui.app import PromptdeckApp
from tui.screens.analytics import AnalyticsScreen
from tui.screens.browse import BrowseScreen
from tui.widgets.prompt_preview import PromptPreview
from tui.widgets.prompt_table import PromptTable


class SteppedSimilar:
    """The library's similar(), in steps the test lets go: `begun` as a call starts, waiting
    for `go_on`, then a chance to give way (storage/db/background.py), then the search;
    `ended` lists the refs of the calls that ran to their end."""

    def __init__(self, app: PromptdeckApp) -> None:
        self._app, self._similar = app, app.library.search.similar
        self.begun, self.go_on = threading.Event(), threading.Event()
        self.ended: list[str] = []

    def __call__(self, ref: str, limit: int = 5, **options: Any) -> SearchResult:
        self.begun.set()
        self.go_on.wait(timeout=10)
        self._app.library.db.background.give_way()  # the search's next step
        found = self._similar(ref, limit, **options)
        self.ended.append(ref)
        return found


async def test_preparing_waits_while_another_screen_is_in_front(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        browse = app.screen
        assert isinstance(browse, BrowseScreen) and not browse.covered.held
        assert browse.query_state.prepared == {"text"}
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, AnalyticsScreen) and browse.covered.held
        browse.prepare_search("hybrid")  # as if asked just before the key
        await pilot.pause(0.5)  # (not settle: it would wait for the worker)
        assert "hybrid" not in browse.query_state.prepared
        await pilot.press("escape")
        await wait_until(pilot, lambda: "hybrid" in browse.query_state.prepared)
        assert browse.query_state.prepared == {"text", "hybrid"} and not browse.covered.held


async def test_closing_the_app_ends_a_covered_worker(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = threading.Event()
    prepare = browse_worker.prepare_search

    def noted(*args: Any) -> Any:
        try:
            return prepare(*args)
        finally:
            ended.set()

    monkeypatch.setattr(browse_worker, "prepare_search", noted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        await pilot.press("t")
        await settle(pilot)
        ended.clear()
        browse.prepare_search("text")
        await pilot.pause(0.3)
        assert not ended.is_set()  # waiting for browse to be in front
    assert ended.wait(timeout=10), "the worker's thread still waits after the app closed"


async def test_the_previews_similar_prompts_give_way_and_begin_again(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search by meaning begun before another screen covers browse stops at its next step
    (storage/db/background.py: give_way) and is done again once browse is back in front."""
    stepped = SteppedSimilar(app)
    monkeypatch.setattr(app.library.search, "similar", stepped)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, stepped.begun.is_set)
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        await pilot.press("t")
        await wait_until(pilot, lambda: browse.covered.held)
        stepped.begun.clear()
        stepped.go_on.set()
        await pilot.pause(0.5)
        assert not stepped.ended and not stepped.begun.is_set()  # stopped, waiting for browse
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(stepped.ended) == 1)
        assert stepped.begun.is_set()
        await settle(pilot)


async def test_the_previews_similar_prompts_wait_for_the_text_index(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first prompt's preview shows at once; its similar prompts (the vectors' files read
    from disk) are looked for once the text index has loaded, not beside its loading."""
    search = app.library.search
    prepare, similar, go_on = search.prepare, search.similar, threading.Event()
    asked: list[str] = []

    def slow_prepare(mode: str) -> str | None:
        go_on.wait(timeout=10)
        return prepare(mode)

    def noted(ref: str, limit: int = 5, **options: Any) -> SearchResult:
        asked.append(ref)
        return similar(ref, limit, **options)

    monkeypatch.setattr(search, "prepare", slow_prepare)
    monkeypatch.setattr(search, "similar", noted)
    async with app.run_test(size=(120, 40)) as pilot:
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        preview = browse.query_one(PromptPreview)
        await wait_until(pilot, lambda: preview._shown is not None)
        await pilot.pause(0.3)
        assert asked == [] and "text" not in browse.query_state.prepared
        go_on.set()
        highlighted = browse.query_one(PromptTable).highlighted_id
        await wait_until(pilot, lambda: asked == [highlighted])
        await settle(pilot)
        assert asked == [highlighted]


async def test_the_previews_similar_prompts_give_way_to_a_search_typed(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a keystroke's query runs, the preview's search by meaning stops at its next step
    and begins again once the list has come back."""
    stepped = SteppedSimilar(app)
    read_list, listing = browse_worker.read_list, threading.Event()

    def slow_list(*args: Any) -> Any:
        listing.wait(timeout=10)
        return read_list(*args)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        monkeypatch.setattr(app.library.search, "similar", stepped)
        monkeypatch.setattr(browse_worker, "read_list", slow_list)
        await pilot.press("j")  # the next prompt's preview, with its similar prompts
        await wait_until(pilot, stepped.begun.is_set)
        await pilot.press("slash", "r", "e")  # (a first letter alone starts no query)
        await wait_until(pilot, lambda: browse.preview_waits.held)
        stepped.begun.clear()
        stepped.go_on.set()
        await pilot.pause(0.5)
        assert not stepped.ended and not stepped.begun.is_set()  # stopped while listing
        listing.set()
        await wait_until(pilot, lambda: bool(stepped.ended))
        assert stepped.begun.is_set() and not browse.preview_waits.held
        await settle(pilot)


async def test_a_push_textual_refuses_leaves_browse_uncovered(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        with pytest.raises(TypeError):
            app.push_screen(object())
        assert not browse.covered.held
