"""Analytics: KPIs, uses and cost per day, breakdowns and top prompts of a period.

Everything comes from Library.analytics (the mart views) in a worker; the period is relative to
the library's clock, so a fixed clock draws a fixed screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from storage.analytics_models import PERIODS, AnalyticsReport, GroupActivity, ModelUsage
from tui.screens.base import DeckScreen
from tui.widgets.analytics_bars import Bar, BarList
from tui.widgets.analytics_kpis import KpiRow, compact
from tui.widgets.status_line import StatusLine

WIDE = 120  # from this width the four breakdowns show at once
BREAKDOWNS = ("provider", "model", "tag", "phase")


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
        return f"{compact(g.uses)} uses{rating}"

    return [Bar(g.key or blank, g.uses, text(g)) for g in rows]


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
            tooltip="Show the next breakdown: provider, model, tag, phase (narrow terminals)",
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
        super().__init__()
        self.period = period
        self.report: AnalyticsReport | None = None
        self.breakdown = 0
        self.by_rating = False
        library = self.deck.library
        self.read_early(lambda: ReportLoaded(library.analytics(period)))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="period")
        yield KpiRow(id="kpis")
        with Horizontal(id="series"):
            with Vertical(classes="series"):
                yield Static("Uses per day", id="uses-label", classes="series-label")
                yield Sparkline([], summary_function=max, id="uses-chart")
            with Vertical(classes="series"):
                yield Static("Cost per day", id="cost-label", classes="series-label")
                yield Sparkline([], summary_function=max, id="cost-chart")
        with Horizontal(id="bottom"):
            with Container(id="bars"):
                for name in BREAKDOWNS:
                    yield BarList(f"By {name}", id=f"by-{name}")
            yield DataTable(id="top", cursor_type="row", zebra_stripes=True)
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_breakdown()
        self.deliver_early()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")
        self.call_after_refresh(self._show_top)  # the name column follows the table's width

    # -- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="analytics", exit_on_error=False)
    def load(self, period: str) -> None:
        self.post_message(ReportLoaded(self.deck.library.analytics(period)))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        report = message.report
        if report.period.name != self.period:
            return  # a period the user has moved on from
        self.report = report
        self._show_period()
        self.query_one(KpiRow).show(report.kpis)
        uses = [float(p.used) for p in report.days]
        costs = [p.cost_usd for p in report.days]
        self.query_one("#uses-chart", Sparkline).data = uses
        self.query_one("#cost-chart", Sparkline).data = costs
        self.query_one("#uses-label", Static).update(
            f"Uses per day  [dim]max {max(uses, default=0):,.0f} · {sum(uses):,.0f} in all[/]"
        )
        self.query_one("#cost-label", Static).update(
            f"Cost per day  [dim]max ${max(costs, default=0):,.2f} · ${sum(costs):,.2f}[/]"
        )
        self.query_one("#by-provider", BarList).show(
            _usage_bars(report.providers, with_model=False), "no generations in this period"
        )
        self.query_one("#by-model", BarList).show(
            _usage_bars(report.models, with_model=True), "no generations in this period"
        )
        self.query_one("#by-tag", BarList).show(_group_bars(report.tags, "(untagged)"))
        self.query_one("#by-phase", BarList).show(_group_bars(report.phases, "(no phase)"))
        self._show_top()

    def _show_period(self) -> None:
        line = Text("Period ", style="dim")
        for name in PERIODS:
            style = "reverse bold" if name == self.period else ""
            line.append(f" {name} ", style=style)
            line.append(" ")
        if self.report is not None:
            window = self.report.period
            first = window.since or (self.report.days[0].day if self.report.days else None)
            line.append(f"  {window.label}: {first} – {window.until}", style="dim")
        self.query_one("#period", Static).update(line)

    def _show_top(self) -> None:
        if self.report is None:
            return
        table = self.query_one("#top", DataTable)
        rows = self.report.top_by_rating if self.by_rating else self.report.top_by_use
        table.border_title = "Top prompts by " + ("rating" if self.by_rating else "uses")
        table.border_subtitle = "enter: open" if rows else "nothing in this period"
        wide = self.has_class("-wide")
        # the name takes what the other columns (and a cell padding of 1 each side) leave
        widths = (
            {"#": 3, "Uses": 5, "Rating": 7, "Last used": 10} if wide else {"Uses": 5, "Rating": 7}
        )
        name_width = max(12, table.content_size.width - sum(widths.values()) - 2 * len(widths) - 3)
        table.clear(columns=True)
        if wide:
            table.add_column("#", width=3)
        table.add_column("Prompt", width=name_width)
        table.add_column("Uses", width=5)
        table.add_column("Rating", width=7)
        if wide:
            table.add_column("Last used", width=10)
        for rank, top in enumerate(rows, start=1):
            name = top.name if len(top.name) <= name_width else top.name[: name_width - 1] + "…"
            rating = "" if top.avg_rating is None else f"{top.avg_rating:.1f} ({top.ratings})"
            cells: list[str | Text] = [str(rank)] if wide else []
            cells += [
                name,
                Text(f"{top.uses:,}", justify="right"),
                Text(rating, justify="right"),
            ]
            if wide:
                cells.append(top.last_used_at.strftime("%Y-%m-%d") if top.last_used_at else "")
            table.add_row(*cells, key=top.id)

    def _show_breakdown(self) -> None:
        current = BREAKDOWNS[self.breakdown]
        for name in BREAKDOWNS:
            self.query_one(f"#by-{name}").set_class(name == current, "-current")

    # -- actions -------------------------------------------------------------------------

    def action_period(self, period: str) -> None:
        if period != self.period:
            self.period = period
            self._show_period()
            self.load(period)

    def action_refresh(self) -> None:
        self.load(self.period)

    def action_next_breakdown(self) -> None:
        self.breakdown = (self.breakdown + 1) % len(BREAKDOWNS)
        self._show_breakdown()

    def action_toggle_order(self) -> None:
        self.by_rating = not self.by_rating
        self._show_top()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#top")
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.screens.edit import EditScreen

        if event.row_key.value is None:
            return

        def closed(saved: str | None) -> None:
            if saved is not None:
                self.load(self.period)

        self.app.push_screen(EditScreen(prompt_id=event.row_key.value), closed)

    def action_export(self) -> None:
        if self.report is None:
            self.notify("Nothing to export yet", severity="warning")
            return
        self.export(self.report)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, report: AnalyticsReport) -> None:
        folder = self.deck.library.export_analytics(report)
        self.app.call_from_thread(
            self.notify, f"{report.period.label} exported to {folder}", title="Export"
        )
