"""The analytics screen (`t` from browse): periods, breakdowns, top prompts, export, and looks."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from storage import Library
from storage.analytics.models import AnalyticsReport
from storage.errors import SchemaError
from tests.tui.conftest import Settle, SnapCompare
from tui.app import PromptdeckApp
from tui.screens.analytics import AnalyticsScreen
from tui.screens.browse import BrowseScreen
from tui.screens.edit import EditScreen
from tui.widgets.analytics_bars import Breakdowns
from tui.widgets.analytics_kpis import LABELS, KpiBoxes
from tui.widgets.analytics_top import TopPrompts
from tui.widgets.status_line import StatusLine

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


async def open_analytics(pilot: Pilot[None], settle: Settle) -> AnalyticsScreen:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AnalyticsScreen)
    assert screen.report is not None
    return screen


def text(screen: AnalyticsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def drawn(bars: Breakdowns) -> str:
    return "\n".join(line.plain for line in bars.draw(*bars.size))


def kpi(screen: AnalyticsScreen, label: str) -> str:
    """The figure shown in the KPI box `label`."""
    return screen.query_one(KpiBoxes).values[LABELS.index(label)]


async def test_kpis_follow_the_period(
    app: PromptdeckApp, sample_library: Library, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        month = sample_library.analytics.kpis("30d")
        assert screen.report is not None and screen.report.kpis == month
        assert kpi(screen, "Uses") == str(month.uses)
        assert kpi(screen, "Cost") == f"${month.cost_usd:,.2f}"
        await pilot.press("7")
        await settle(pilot)
        week = sample_library.analytics.kpis("7d")
        assert screen.report.period.name == "7d"
        assert week.uses < month.uses
        assert kpi(screen, "Uses") == str(week.uses)
        assert "last 7 days" in text(screen, "#period")
        await pilot.press("a")
        await settle(pilot)
        assert screen.report.period.since is None
        assert kpi(screen, "Uses") == str(sample_library.analytics.kpis("all").uses)


async def test_a_failed_first_read_is_one_line_on_the_status_line(
    app: PromptdeckApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read starts with the screen (storage/.. read_early); what it raises is shown
    as storage worded it, and browse is covered from the key on."""

    def damaged(period: str = "30d") -> AnalyticsReport:
        raise SchemaError("library.duckdb: rollup_daily is damaged", file="library.duckdb")

    monkeypatch.setattr(app.library.analytics, "report", damaged)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        app.open_analytics()
        assert browse.covered.held  # before the new screen is built
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen) and screen.report is None
        status = str(screen.query_one(StatusLine).render())
        assert "library.duckdb: rollup_daily is damaged" in status
        assert "Traceback" not in status


async def test_top_prompts_open_in_the_editor(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        assert screen.report is not None
        table = screen.query_one("#top", TopPrompts)
        first = screen.report.top_by_use[0]
        assert table.has_focus and table.rows == screen.report.top_by_use != []
        lines = [line.plain for line in table.draw(*table.content_size)]
        assert lines[0].split() == ["Prompt", "Uses", "Rating"]
        assert lines[1].strip().startswith(first.name[:10])
        await pilot.press("o")
        assert table.border_title == "Top prompts by rating"
        assert table.rows == screen.report.top_by_rating
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


async def test_top_prompts_move_and_click(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        assert screen.report is not None
        table = screen.query_one("#top", TopPrompts)
        rows = screen.report.top_by_use
        await pilot.press("end")
        assert table.cursor == len(rows) - 1
        await pilot.press("down", "home", "up")
        assert table.cursor == 0
        await pilot.press("pagedown")
        assert table.cursor == min(table.content_size.height - 1, len(rows) - 1)
        await pilot.click(table, offset=(3, 3))  # the border, the header, then row 2
        assert table.cursor == 1 and pilot.app.screen is screen
        await pilot.click(table, offset=(3, 3))
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, EditScreen) and editor.prompt_id == rows[1].id


async def test_the_cursor_row_shows_whether_the_table_has_focus(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        table = screen.query_one("#top", TopPrompts)

        def cursor_background() -> object:
            style = list(table.render_line(1))[0].style
            assert style is not None
            return style.bgcolor

        focused = cursor_background()
        screen.set_focus(None)
        await pilot.pause()
        assert not table.has_focus and cursor_background() != focused
        screen.set_focus(table)
        await pilot.pause()
        assert cursor_background() == focused


async def test_breakdowns_cycle_when_narrow(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analytics(pilot, settle)
        bars = screen.query_one(Breakdowns)
        assert not bars.grid and bars.current == "provider"
        assert "By provider" in drawn(bars) and "By tag" not in drawn(bars)
        await pilot.press("b", "b")
        assert bars.current == "tag"
        assert screen.report is not None
        assert [bar.label for bar in bars.bars["tag"]] == [t.key for t in screen.report.tags]
        assert "By tag" in drawn(bars)
        await pilot.press("b", "b")
        assert bars.current == "latency"
        shown = drawn(bars)
        assert "Latency by model (p50, p95)" in shown
        slowest = screen.report.latency[0]
        assert f"{slowest.provider}/{slowest.model}" in shown
        await pilot.press("b")
        assert bars.current == "actor"
        assert "By actor (uses)" in drawn(bars)
        assert [bar.label for bar in bars.bars["actor"]] == [
            a.actor or "(before actors)" for a in screen.report.actors
        ]
        await pilot.press("b")
        assert bars.current == "provider"


async def test_all_breakdowns_show_when_wide(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_analytics(pilot, settle)
        bars = screen.query_one(Breakdowns)
        assert bars.grid and screen.has_class("-wide")
        lines = drawn(bars)
        assert all(f"By {name}" in lines for name in ("provider", "model", "tag", "phase"))
        assert "Latency by model (p50, p95)" in lines and "By actor (uses)" in lines
        await pilot.resize_terminal(100, 30)
        assert not bars.grid and not screen.has_class("-wide")
        top = screen.query_one("#top", TopPrompts)
        assert list(top.columns(top.content_size.width))[0] == "Prompt"


async def test_export_writes_what_is_shown(app: PromptdeckApp, settle: Settle) -> None:
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
        latency = pq.read_table(folder / "latency.parquet").column("p95_ms").to_pylist()
        assert latency == [m.p95_ms for m in screen.report.latency] != []


@pytest.mark.parametrize("size", SIZES)
def test_analytics_looks(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_analytics(pilot, settle)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
