"""The import screen's generations kind (ctrl+t): mapping suggested, imported, summary shown,
a rejected row inline with nothing written."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.screens.browse import BrowseScreen
from tui.screens.import_file import ImportScreen

CALLS = (
    "prompt_name,provider,model,input_tokens,output_tokens,latency_ms\n"
    "Commit message,anthropic,claude-sonnet-4,1200,300,800\n"
    "Blog post outline,openai,gpt-4o,900,700,1500\n"
)


def _text(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def _read(pilot: Pilot[None], path: Path, settle: Settle) -> None:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportScreen)
    await pilot.press("ctrl+t")
    field = pilot.app.screen.query_one("#import-path", Input)
    field.focus()
    field.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_generations_import_from_the_import_screen(
    app: PromptdeckApp, sample_library: Library, settle: Settle, tmp_path: Path
) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(CALLS, "utf-8")
    commit = sample_library.prompts.get("Commit message")
    before = sample_library.db.table_counts()
    async with app.run_test(size=(80, 24)) as pilot:
        await _read(pilot, source, settle)
        assert _text(pilot, "#import-title") == "Import generations from a file"
        mapping = app.screen.query_one("#import-mapping", Input)
        assert mapping.value == (
            "prompt=prompt_name tokens_in=input_tokens tokens_out=output_tokens"
        )
        assert mapping.has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert _text(pilot, "#import-result") == (
            "Imported 2 generations · skipped 0 already imported · rejected 0"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
    after = sample_library.db.table_counts()
    assert after["generations"] == before["generations"] + 2
    assert after["usage_events"] == before["usage_events"] + 2
    assert after["import_sessions"] == before["import_sessions"] + 1
    assert sample_library.prompts.get(commit.id).usage_count == commit.usage_count + 1


async def test_switching_back_to_prompts_suggests_the_prompt_mapping(
    app: PromptdeckApp, settle: Settle, tmp_path: Path
) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(CALLS, "utf-8")
    async with app.run_test(size=(80, 24)) as pilot:
        await _read(pilot, source, settle)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _text(pilot, "#import-title") == "Import prompts from a file"
        assert "(map name and content)" in _text(pilot, "#import-preview")


async def test_a_rejected_generation_row_is_shown_inline_and_nothing_is_written(
    app: PromptdeckApp, sample_library: Library, settle: Settle, tmp_path: Path
) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(CALLS.replace(",800\n", ",-800\n"), "utf-8")
    before = sample_library.db.table_counts()
    async with app.run_test(size=(80, 24)) as pilot:
        await _read(pilot, source, settle)
        await pilot.press("ctrl+r")
        await settle(pilot)
        result = app.screen.query_one("#import-result", Static)
        assert "line 2: latency_ms: must be a whole number from 0 to 86400000" in str(
            result.render()
        )
        assert result.has_class("-error")
    assert sample_library.db.table_counts() == before
