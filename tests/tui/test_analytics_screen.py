"""The analytics screen (`t` from browse): periods, breakdowns, top prompts, export, and looks."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from storage import Library
from tui.app import PromptdeckApp
from tui.screens.analytics import AnalyticsScreen
from tui.screens.browse import BrowseScreen
from tui.screens.edit import EditScreen
from tui.widgets.analytics_bars import BarList

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


async def open_analytics(pilot: Pilot[None], settle) -> AnalyticsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AnalyticsScreen)
    assert screen.report is not None
    return screen


def text(screen: AnalyticsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_kpis_follow_the_period(app: PromptdeckApp, sample_library: Library, settle) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        month = sample_library.kpis("30d")
        assert screen.report is not None and screen.report.kpis == month
        assert text(screen, "#kpi-uses") == str(month.uses)
        assert text(screen, "#kpi-cost") == f"${month.cost_usd:,.2f}"
        await pilot.press("7")
        await settle(pilot)
        week = sample_library.kpis("7d")
        assert screen.report.period.name == "7d"
        assert week.uses < month.uses
        assert text(screen, "#kpi-uses") == str(week.uses)
        assert "last 7 days" in text(screen, "#period")
        await pilot.press("a")
        await settle(pilot)
        assert screen.report.period.since is None
        assert text(screen, "#kpi-uses") == str(sample_library.kpis("all").uses)


async def test_top_prompts_open_in_the_editor(app: PromptdeckApp, settle) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        assert screen.report is not None
        table = screen.query_one("#top", DataTable)
        first = screen.report.top_by_use[0]
        assert table.row_count == len(screen.report.top_by_use) > 0
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == first.id
        assert first.name.startswith(str(table.get_row_at(0)[0]).rstrip("…"))
        await pilot.press("o")
        assert table.border_title == "Top prompts by rating"
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == (
            screen.report.top_by_rating[0].id
        )
        await pilot.press("o", "down", "enter")
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, EditScreen)
        assert editor.prompt_id == screen.report.top_by_use[1].id
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, BrowseScreen)


async def test_breakdowns_cycle_when_narrow(app: PromptdeckApp, settle) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        shown = [b.id for b in screen.query(BarList) if b.display and b.has_class("-current")]
        assert shown == ["by-provider"]
        await pilot.press("b", "b")
        tags = screen.query_one("#by-tag", BarList)
        assert tags.has_class("-current") and not screen.query_one("#by-provider").has_class(
            "-current"
        )
        assert screen.report is not None
        assert [bar.label for bar in tags.bars] == [t.key for t in screen.report.tags]


async def test_export_writes_what_is_shown(app: PromptdeckApp, settle) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        await pilot.press("9")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        notes = [n.message for n in pilot.app._notifications]
        assert len(notes) == 1 and "exported to " in notes[0]
        folder = Path(notes[0].split("exported to ", 1)[1])
        assert folder.name.startswith("analytics-90d-")
        assert screen.report is not None
        kpis = pq.read_table(folder / "kpis.parquet").to_pylist()[0]
        assert (kpis["period"], kpis["uses"]) == ("90d", screen.report.kpis.uses)
        top = pq.read_table(folder / "top_by_use.parquet").column("id").to_pylist()
        assert top == [t.id for t in screen.report.top_by_use]


@pytest.mark.parametrize("size", SIZES)
def test_analytics_looks(app: PromptdeckApp, snap_compare, settle, size) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await open_analytics(pilot, settle)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
