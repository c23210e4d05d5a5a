"""The TUI says when it made a new library file (a mistyped --db shows up at once)."""

from __future__ import annotations

from pathlib import Path

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.shared.settings import Settings


async def test_a_new_library_is_announced(tmp_path: Path, settle: Settle) -> None:
    path = tmp_path / "typo.duckdb"
    with Library(path) as library:
        app = PromptdeckApp(library, settings=Settings(tmp_path / "config.toml"))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            messages = [n.message for n in app._notifications]
    assert f"created a new library at {path}" in messages


async def test_an_existing_library_is_not_announced(
    library: Library, tmp_path: Path, settle: Settle
) -> None:
    app = PromptdeckApp(library, settings=Settings(tmp_path / "config.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert not any("created a new library" in m for m in messages)
