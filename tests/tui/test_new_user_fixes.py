"""Defects a new user found at 80x24 and 160x48, each driven through Pilot."""

from __future__ import annotations

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.messages import LibraryChanged
from tui.shared.settings import Settings
from tui.widgets.prompt_table import PromptTable


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
