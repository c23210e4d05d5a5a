"""The TUI on a team library (DuckLake on a real PostgreSQL): browse lists the lake's prompts, a
save from the editor lands in the lake (another client reads it back), and search finds a
prompt through the local mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Library
from storage.search.embedding import LocalProvider
from tests.lake.conftest import Lake
from tests.tui.conftest import Settle, _settle
from tui.app import LINGER_SECONDS, PromptdeckApp
from tui.screens.browse import BrowseScreen
from tui.screens.edit import EditScreen
from tui.shared.settings import Settings
from tui.widgets.prompt_table import PromptTable

PROMPTS = {
    "Commit message": "Write a commit message for {{diff}}",
    "Sea haiku": "Write a haiku about the sea",
    "SQL from a question": "Turn {{question}} into SQL for DuckDB",
}


@pytest.fixture
def settle() -> Settle:
    return _settle


def _names(app: PromptdeckApp) -> set[str]:
    table = app.screen.query_one(PromptTable)
    return {str(table._row(i)["name"]) for i in range(table.row_count)}


async def test_the_tui_browses_edits_and_searches_a_lake(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settle: Settle
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with Library(lake.db, lake_data=str(lake.data), actor="bo") as other:
        for name, content in PROMPTS.items():
            other.prompts.create(name, content)
    library = Library(lake.db, actor="ana", linger=LINGER_SECONDS, embedder=LocalProvider()).open()
    app = PromptdeckApp(library, settings=Settings(tmp_path / "config.toml"))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert _names(app) == set(PROMPTS)

            table = app.screen.query_one(PromptTable)
            target = library.prompts.get("Commit message")
            table.cursor = table._ids.index(target.id)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, EditScreen)
            await pilot.press("ctrl+e", "ctrl+end", *" Keep it short.", "ctrl+s")
            await settle(pilot)
            await pilot.press(*"shorter", "enter")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, BrowseScreen)

            with Library(lake.db, read_only=True) as reader:  # another client
                saved = reader.prompts.get(target.id)
                assert saved.current_version == target.current_version + 1
                assert saved.content.endswith("Keep it short.")
                history = reader.versions.history(target.id)
                assert history[-1].change_message == "shorter"
                assert {e.actor for e in reader.audit.entries(limit=100)} == {"ana", "bo"}

            await pilot.press("slash", *"haiku sea")
            await settle(pilot, rounds=6)
            assert _names(app) == {"Sea haiku"}
            row = app.screen.query_one(PromptTable)._row(0)
            assert float(row["score"]) > 0  # ranked by BM25 on the mirror, not filtered
    finally:
        library.close()
