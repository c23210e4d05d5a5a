"""BackupScreen and ImportScreen: Pilot for behaviour, snapshots for looks."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from storage import Library
from storage.transfer import verify_backup
from tests.tui.conftest import Settle, SnapCompare, wait_until
from tui.app import PromptdeckApp
from tui.screens.backup import BackupScreen
from tui.screens.browse import BrowseScreen
from tui.screens.import_file import ImportScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
CSV = 'act,prompt\n"Poet","Write a poem about {{topic}}."\n"Critic","Review {{work}}."\n'


def _text(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def _submit(pilot: Pilot[None], selector: str, value: str, settle: Settle) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = value
    await pilot.press("enter")
    await settle(pilot)


async def test_backup_screen_writes_a_backup_and_shows_the_manifest(
    app: PromptdeckApp, settle: Settle, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BackupScreen)
        default = app.screen.query_one("#backup-folder", Input).value
        assert "backups" in default and "sample-" in default
        await _submit(pilot, "#backup-folder", str(folder), settle)
        manifest = verify_backup(folder)
        summary = _text(pilot, "#backup-summary")
        assert f"{len(manifest.tables)} tables, {manifest.rows:,} rows" in summary
        assert str(folder) in summary
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)


async def test_backup_into_a_used_folder_says_so(
    app: PromptdeckApp, settle: Settle, tmp_path: Path
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine", "utf-8")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await _submit(pilot, "#backup-folder", str(tmp_path / "taken"), settle)
        status = _text(pilot, "StatusLine")
        assert "already exists and is not empty" in status


async def test_import_screen_suggests_the_mapping_imports_and_reloads(
    app: PromptdeckApp, sample_library: Library, settle: Settle, tmp_path: Path
) -> None:
    source = tmp_path / "poems.csv"
    source.write_text(CSV, "utf-8")
    before = sample_library.prompts.count_prompts()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        await _submit(pilot, "#import-path", str(source), settle)
        mapping = app.screen.query_one("#import-mapping", Input)
        assert mapping.value == "name=act content=prompt"
        assert mapping.has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert "Imported 2 · skipped 0 as duplicates · rejected 0" in _text(pilot, "#import-result")
        await pilot.press("ctrl+r")  # again: both are duplicates now
        await settle(pilot)
        assert "Imported 0 · skipped 2" in _text(pilot, "#import-result")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert _text(pilot, "#result-count") == f"{before + 2:,}"


async def test_import_screen_shows_a_rejected_row_inline(
    app: PromptdeckApp, sample_library: Library, settle: Settle, tmp_path: Path
) -> None:
    source = tmp_path / "broken.csv"
    source.write_text('act,prompt\n"Poet","A poem."\n"Critic",""\n', "utf-8")
    before = sample_library.db.table_counts()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await _submit(pilot, "#import-path", str(source), settle)
        await pilot.press("enter")
        await settle(pilot)
        result = app.screen.query_one("#import-result", Static)
        assert "line 3: content: must not be empty" in str(result.render())
        assert result.has_class("-error")
    assert sample_library.db.table_counts() == before


# -- looks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_backup_snapshot(
    app: PromptdeckApp,
    snap_compare: SnapCompare,
    settle: Settle,
    size: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("b")
        await _submit(pilot, "#backup-folder", "backup", settle)
        # Wait for the backup itself, not for rounds of idle: on a busy machine the worker can
        # still be writing after any fixed number of them (CI once drew it mid-way).
        screen = pilot.app.screen
        assert isinstance(screen, BackupScreen)
        summary = screen.query_one("#backup-summary", Static)
        await wait_until(pilot, lambda: not screen.running and "Done." in str(summary.render()))
        # Then the table scrolls to its last row after a refresh.
        await settle(pilot)
        table = screen.query_one("#backup-tables", DataTable)
        await wait_until(pilot, lambda: table.scroll_y == table.max_scroll_y)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_import_snapshot(
    app: PromptdeckApp,
    snap_compare: SnapCompare,
    settle: Settle,
    size: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("poems.csv").write_text(CSV, "utf-8")

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("i")
        await _submit(pilot, "#import-path", "poems.csv", settle)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
