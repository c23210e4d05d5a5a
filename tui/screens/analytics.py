"""Analytics: KPIs, uses and cost per day, breakdowns (latency p50/p95 per model among them) and
top prompts of a period.

Everything comes from Library.analytics (the mart views) in a worker; the period is relative to
the library's clock, so a fixed clock draws a fixed screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.widgets import Header, Static

from storage import PERIODS, AnalyticsReport, GroupActivity, ModelLatency, ModelUsage
from tui.messages import LibraryChanged
from tui.screens.base import DeckScreen
from tui.widgets.analytics_bars import Bar, Breakdowns
from tui.widgets.analytics_footer import QuietFooter
from tui.widgets.analytics_kpis import KpiBoxes, compact
from tui.widgets.analytics_series import SeriesCharts
from tui.widgets.analytics_top import TopPrompts
from tui.widgets.status_line import StatusLine

WIDE = 120  # from this width the five breakdowns show at once, and the charts are taller


@dataclass
class ReportLoaded(Message):
    """A worker read the report of a period."""

    report: AnalyticsReport


def _period_binding(key: str, period: str) -> Binding:
    label = "all time" if period == "all" else f"the last {PERIODS[period]} days"
    return Binding(
        key,
        f"period('{period}')",
        period,
        id=f"analytics.period_{period}",
        tooltip=f"Show {label}",
    )


def _usage_bars(rows: list[ModelUsage], *, with_model: bool) -> list[Bar]:
    def label(u: ModelUsage) -> str:
        return f"{u.provider}/{u.model}" if with_model else u.provider

    if any(u.cost_usd for u in rows):
        return [Bar(label(u), u.cost_usd, f"${u.cost_usd:,.2f}") for u in rows]
    return [Bar(label(u), u.generations, f"{u.generations:,} gen") for u in rows]


def _group_bars(rows: list[GroupActivity], blank: str) -> list[Bar]:
    def text(g: GroupActivity) -> str:
        rating = f" {g.avg_rating:.1f}★" if g.avg_rating is not None else "     "
        return f"{compact(g.uses)} {'use' if g.uses == 1 else 'uses'}{rating}"

    return [Bar(g.key or blank, g.uses, text(g)) for g in rows]


def _latency_bars(rows: list[ModelLatency]) -> list[Bar]:
    def seconds(ms: float) -> str:
        return f"{ms:.0f}ms" if ms < 1000 else f"{ms / 1000:.1f}s"

    return [
        Bar(f"{r.provider}/{r.model}", r.p95_ms, f"{seconds(r.p50_ms)} {seconds(r.p95_ms)}")
        for r in rows
    ]


@dataclass
class ReportExported(Message):
    text: str


class AnalyticsScreen(DeckScreen[None]):
    CSS_PATH = "analytics.tcss"
    AUTO_FOCUS = "#top"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="analytics.back", tooltip="Back to the prompt list"),
        _period_binding("7", "7d"),
        _period_binding("3", "30d"),
        _period_binding("9", "90d"),
        _period_binding("a", "all"),
        Binding(
            "b",
            "next_breakdown",
            "Breakdown",
            id="analytics.breakdown",
            tooltip="Show the next breakdown: provider, model, tag, phase, latency (narrow "
            "terminals)",
        ),
        Binding(
            "o",
            "toggle_order",
            "By rating",
            id="analytics.order",
            tooltip="Rank the top prompts by uses or by average rating",
        ),
        Binding(
            "e",
            "export",
            "Export",
            id="analytics.export",
            tooltip="Write what is shown to Parquet files (the folder is shown)",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="analytics.refresh",
            show=False,
            tooltip="Read the figures again",
        ),
    ]

    def __init__(self, period: str = "30d") -> None:
        # The layout that depends on the width is chosen before the first layout, not after.
        super().__init__(classes="-wide" if self.app.size.width >= WIDE else None)
        self.period = period
        self.report: AnalyticsReport | None = None
        self.by_rating = False
        library = self.deck.library
        self.read_early(lambda: ReportLoaded(library.analytics.report(period)))

    def compose(self) -> ComposeResult:
        wide = self.has_class("-wide")
        yield Header()
        yield Static(self._period_line(), id="period")
        yield KpiBoxes(id="kpis")
        yield SeriesCharts(id="series")
        with Horizontal(id="bottom"):
            yield Breakdowns(grid=wide, id="bars")
            yield TopPrompts(wide=wide, id="top")
        yield StatusLine(id="status")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.deliver_early()

    def on_resize(self, event: Resize) -> None:
        """Only a resize across WIDE changes the layout (the first one never does)."""
        wide = event.size.width >= WIDE
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self.query_one(Breakdowns).grid = wide
            self.query_one(TopPrompts).set_wide(wide)

    # -- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="analytics", exit_on_error=False)
    def load(self, period: str) -> None:
        self.post_message(ReportLoaded(self.deck.library.analytics.report(period)))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        report = message.report
        if report.period.name != self.period:
            return  # a period the user has moved on from
        self.report = report
        with self.app.batch_update():
            self.query_one("#period", Static).update(self._period_line(), layout=False)
            self.query_one(KpiBoxes).show(report.kpis)
            self.query_one(SeriesCharts).show(
                [float(p.used) for p in report.days], [p.cost_usd for p in report.days]
            )
            bars = self.query_one(Breakdowns)
            no_generations = "no generations in this period"
            bars.show("provider", _usage_bars(report.providers, with_model=False), no_generations)
            bars.show("model", _usage_bars(report.models, with_model=True), no_generations)
            bars.show("tag", _group_bars(report.tags, "(untagged)"))
            bars.show("phase", _group_bars(report.phases, "(no phase)"))
            bars.show("latency", _latency_bars(report.latency), "no timed generations")
            self._show_top()

    def _period_line(self) -> Text:
        line = Text("Period ", style="dim")
        for name in PERIODS:
            style = "reverse bold" if name == self.period else ""
            line.append(f" {name} ", style=style)
            line.append(" ")
        if self.report is not None:
            window = self.report.period
            first = window.since or (self.report.days[0].day if self.report.days else None)
            line.append(f"  {window.label}: {first} – {window.until}", style="dim")
        return line

    def _show_top(self) -> None:
        if self.report is not None:
            rows = self.report.top_by_rating if self.by_rating else self.report.top_by_use
            self.query_one(TopPrompts).show(rows, by_rating=self.by_rating)

    # -- actions -------------------------------------------------------------------------

    def action_period(self, period: str) -> None:
        if period != self.period:
            self.period = period
            self.query_one("#period", Static).update(self._period_line(), layout=False)
            self.load(period)

    def action_refresh(self) -> None:
        """After changes from the CLI: every screen reads the library again."""
        self.app.post_message(LibraryChanged())

    def action_next_breakdown(self) -> None:
        self.query_one(Breakdowns).cycle()

    def action_toggle_order(self) -> None:
        self.by_rating = not self.by_rating
        self._show_top()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(TopPrompts.Selected)
    def _open(self, event: TopPrompts.Selected) -> None:
        self.deck.open_prompt(event.prompt_id)

    def refresh_library(self, select: str | None) -> None:
        self.load(self.period)

    def action_export(self) -> None:
        if self.report is None:
            self.notify("Nothing to export yet", severity="warning")
            return
        self.export(self.report)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, report: AnalyticsReport) -> None:
        folder = self.deck.library.analytics.export(report)
        self.post_message(ReportExported(f"{report.period.label} exported to {folder}"))

    def on_report_exported(self, message: ReportExported) -> None:
        self.notify(message.text, title="Export")
