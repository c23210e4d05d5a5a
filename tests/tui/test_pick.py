"""The picker (`promptdeck pick`) with Pilot, on the deterministic sample library: narrowing,
modes, variables, the value the app returns and the use it records."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from storage import Library
from storage.search.embedding import LocalProvider
from tests.tui.conftest import Settle
from tui.demo import write_sample_library
from tui.pick.app import PickApp
from tui.pick.pages import FIRST_PAGE
from tui.pick.run import LINGER_SECONDS
from tui.pick.variables import PickVariablesScreen
from tui.shared.settings import Settings
from tui.widgets.pick_list import PickList

SIZE = (80, 24)


@pytest.fixture
def sample_library(library_from: Callable[..., Library], tmp_path: Path) -> Library:
    """The sample library, lingering as the picker's is (tui/pick/run.py), so that its
    searches use the index held in memory."""
    return library_from(write_sample_library, tmp_path / "sample.duckdb", linger=LINGER_SECONDS)


def _names(app: PickApp) -> list[str]:
    return [row.name for row in app.screen.query_one(PickList).rows]


def _text(app: PickApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _uses(library: Library, event: str = "used") -> list[tuple[str, str]]:
    _, rows = library.db.query(
        f"SELECT p.name, e.event_type FROM usage_events e JOIN prompts p ON p.id = e.prompt_id "
        f"WHERE e.event_type = '{event}' ORDER BY e.created_at"
    )
    return [(str(name), str(kind)) for name, kind in rows]


def _run(app: PickApp) -> AbstractAsyncContextManager[Pilot[None]]:
    """app.run_test at 80x24, its pilot typed as `settle` takes it."""
    return cast("AbstractAsyncContextManager[Pilot[None]]", app.run_test(size=SIZE))


async def _type(pilot: Pilot[None], settle: Settle, text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


async def test_it_lists_the_most_used_first_and_typing_narrows(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    app = PickApp(sample_library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        names = _names(app)
        assert len(names) == 15 and names[:3] == ["SQL from a question", "Blog post outline",
                                                  "Code review"]  # fmt: skip
        assert _text(app, "#pick-count") == "15"
        assert _text(app, "#pick-mode") == "Text ›"
        await _type(pilot, settle, "code review")
        names = _names(app)
        assert names and all("code review" in name.lower() for name in names)
        assert _text(app, "#pick-count") == f"{len(names)} of 15"
        await _type(pilot, settle, " terse")
        assert _names(app) == ["Code review (security, terse)"]
        await _type(pilot, settle, " zebra")
        assert _names(app) == []
        assert _text(app, "#pick-count") == "0 of 15"


async def test_the_keys_move_through_the_list(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    app = PickApp(sample_library, settings=settings, ids=True)
    async with _run(app) as pilot:
        await settle(pilot)
        picks = app.screen.query_one(PickList)
        for key, row in (("down", 1), ("ctrl+n", 2), ("up", 1), ("ctrl+p", 0), ("up", 0)):
            await pilot.press(key)
            assert picks.cursor == row, key
        await pilot.press("pagedown")
        assert picks.cursor == 7  # a page: the 8 rows shown, less one
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_value == picks.rows[7].prompt_id


@pytest.fixture
def embedded(sample_library: Library) -> Library:
    sample_library.embeddings.embedder = LocalProvider()
    sample_library.embeddings.embed_missing(sample_library.embeddings.embedder)
    return sample_library


async def test_ctrl_t_cycles_the_mode_and_ranks_by_it(
    embedded: Library, settings: Settings, settle: Settle
) -> None:
    app = PickApp(embedded, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        await _type(pilot, settle, "sql query")
        texts = _names(app)
        assert texts and all("sql" in name.lower() or "query" in name.lower() for name in texts)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _text(app, "#pick-mode") == "Semantic ›"
        semantic = _names(app)
        assert len(semantic) == 15  # every embedded prompt is ranked
        assert semantic[0] in ("SQL from a question", "Explain a query plan")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _text(app, "#pick-mode") == "Hybrid ›"
        assert _names(app)[0] in ("SQL from a question", "Explain a query plan")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _text(app, "#pick-mode") == "Text ›"
        assert _names(app) == texts


async def test_enter_asks_for_the_variables_and_returns_the_rendered_text(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    before = sample_library.prompts.get("Commit message").usage_count
    app = PickApp(sample_library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        await _type(pilot, settle, "commit message")
        assert _names(app)[0] == "Commit message"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PickVariablesScreen)
        assert _text(app, "#pick-title") == "Commit message · 1 variable"
        await _type(pilot, settle, "+ fix the pick")
        assert "+ fix the pick" in _text(app, "#pick-rendered")
        await pilot.press("enter")
        await settle(pilot)
    expected = sample_library.usage.render("Commit message", {"diff": "+ fix the pick"})
    assert app.return_value == expected
    assert _uses(sample_library)[-1] == ("Commit message", "used")
    assert sample_library.prompts.get("Commit message").usage_count == before + 1


async def test_enter_moves_through_the_variables_and_escape_goes_back(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    app = PickApp(sample_library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # Blog post outline: topic, audience, word_count
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PickVariablesScreen)
        await _type(pilot, settle, "DuckDB")
        await pilot.press("enter")
        await _type(pilot, settle, "engineers")
        assert screen.values() == {"topic": "DuckDB", "audience": "engineers", "word_count": ""}
        await pilot.press("escape")  # back to the list, nothing recorded
        await settle(pilot)
        assert not isinstance(app.screen, PickVariablesScreen)
        assert _names(app)[1] == "Blog post outline"
        await pilot.press("escape")
        await settle(pilot)
    assert app.return_value is None and app.error is None
    assert _uses(sample_library)[-1:] != [("Blog post outline", "used")]


async def test_a_prompt_without_variables_is_returned_at_once(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    sample_library.prompts.create("Plain", "Say hello in five languages.", folder="misc")
    app = PickApp(sample_library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        await _type(pilot, settle, "plain")
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_value == "Say hello in five languages."
    assert _uses(sample_library)[-1] == ("Plain", "used")


@pytest.mark.parametrize("key", ["escape", "ctrl+c"])
async def test_escape_or_ctrl_c_picks_nothing(
    sample_library: Library, settings: Settings, settle: Settle, key: str
) -> None:
    uses = _uses(sample_library)
    app = PickApp(sample_library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the variables of the first prompt
        await settle(pilot)
        if key == "escape":
            await pilot.press("escape")  # back to the list
        await pilot.press(key)
        await settle(pilot)
    assert app.return_value is None and app.error is None
    assert _uses(sample_library) == uses


async def test_ids_returns_the_id_and_asks_nothing(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    uses = _uses(sample_library)
    app = PickApp(sample_library, settings=settings, ids=True, query="paper")
    async with _run(app) as pilot:
        await settle(pilot)
        assert app.screen.query_one(Input).value == "paper"
        assert _names(app) == ["Paper summary"]
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_value == sample_library.prompts.get("Paper summary").id
    assert _uses(sample_library) == uses


async def test_a_read_only_library_renders_and_records_nothing(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    uses = _uses(sample_library)
    sample_library.close()
    with Library(sample_library.db.path, read_only=True, linger=LINGER_SECONDS) as reader:
        app = PickApp(reader, settings=settings, query="commit")
        async with _run(app) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await _type(pilot, settle, "x")
            await pilot.press("enter")
            await settle(pilot)
        assert app.return_value == reader.usage.render("Commit message", {"diff": "x"})
    with Library(sample_library.db.path, read_only=True) as reader:
        assert _uses(reader) == uses


async def test_an_empty_library_ends_with_a_reason(
    library: Library, settings: Settings, settle: Settle
) -> None:
    app = PickApp(library, settings=settings)
    async with _run(app) as pilot:
        await settle(pilot)
    assert app.return_value is None
    assert app.error == f"{library.db.path}: no prompts to pick from"


def _many(library: Library) -> None:
    for n in range(FIRST_PAGE + 30):
        library.prompts.create(f"Prompt {n:03d}", f"Prompt number {n} of many.")


async def test_more_rows_follow_as_the_cursor_moves_down(
    library_from: Callable[..., Library], settings: Settings, settle: Settle
) -> None:
    library = library_from(_many, linger=LINGER_SECONDS)
    app = PickApp(library, settings=settings, ids=True)
    async with _run(app) as pilot:
        await settle(pilot)
        picks = app.screen.query_one(PickList)
        assert len(picks.rows) == FIRST_PAGE and picks.total == FIRST_PAGE + 30
        for _ in range(5):
            await pilot.press("pagedown")
        await settle(pilot)
        assert len(picks.rows) == FIRST_PAGE + 30
        assert len({row.prompt_id for row in picks.rows}) == FIRST_PAGE + 30


async def test_enter_typed_ahead_picks_from_what_was_typed(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    """enter pressed before the list shows the result of what was typed waits for it: it
    never picks from the rows shown before (the first page, a result already left)."""
    wanted = sample_library.prompts.get("Commit message").id
    app = PickApp(sample_library, settings=settings, ids=True)
    async with _run(app) as pilot:
        await pilot.press(*"commit", "enter")  # no pause: the first page may not be in yet
        await settle(pilot)
    assert app.return_value == wanted
    app = PickApp(sample_library, settings=settings, ids=True, query="paper")
    async with _run(app) as pilot:
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_value == sample_library.prompts.get("Paper summary").id
