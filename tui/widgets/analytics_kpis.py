"""KpiRow: the headline figures of a period, one small box each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from storage.analytics_models import Kpis

LABELS = ("Prompts", "Uses", "Tokens", "Cost", "Rating")


def compact(number: float) -> str:
    """12345 -> 12.3k: figures that fit a box 14 columns wide."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}{suffix}"
    return f"{number:,.0f}"


class KpiRow(Horizontal):
    DEFAULT_CSS = """
    KpiRow { height: 3; }
    KpiRow > Static {
        width: 1fr; height: 3; border: round $panel-lighten-2; padding: 0 1;
        content-align: center middle; text-style: bold; border-title-color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        for label in LABELS:
            box = Static("…", id=f"kpi-{label.lower()}")
            box.border_title = label
            yield box

    def show(self, kpis: Kpis) -> None:
        rating = "–" if kpis.avg_rating is None else f"{kpis.avg_rating:.2f}★"
        cost = f"${kpis.cost_usd:,.2f}" if kpis.cost_usd < 10_000 else f"${compact(kpis.cost_usd)}"
        values = {
            "prompts": f"{compact(kpis.prompts)} +{compact(kpis.new_prompts)}",
            "uses": compact(kpis.uses),
            "tokens": compact(kpis.tokens),
            "cost": cost + ("*" if kpis.unpriced else ""),
            "rating": rating,
        }
        for key, value in values.items():
            self.query_one(f"#kpi-{key}", Static).update(value)
        self.query_one("#kpi-prompts", Static).tooltip = "live prompts, + created in the period"
        self.query_one("#kpi-cost", Static).tooltip = (
            f"{kpis.unpriced} generation(s) have no cost and no price: set one with "
            "`promptdeck price set`"
            if kpis.unpriced
            else "USD, priced from the source or the price table"
        )
