"""KpiBoxes: the headline figures of a period, one framed box each, drawn by one widget."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text

from storage import Kpis
from tui.widgets.analytics_box import DrawnWidget, box, side_by_side, split

LABELS = ("Prompts", "Uses", "Tokens", "Cost", "Rating")


def compact(number: float) -> str:
    """12345 -> 12.3k: figures that fit a box 14 columns wide (below 10,000 in full)."""
    for limit, unit, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(number) >= limit:
            return f"{number / unit:.1f}{suffix}"
    return f"{number:,.0f}"


def kpi_values(kpis: Kpis, *, narrow: bool = False) -> tuple[str, ...]:
    """The figure of each box, in the order of LABELS; `narrow`: as short as it can be said
    (the new prompts as +N), for a box too narrow for the whole."""
    cost = f"${kpis.cost_usd:,.2f}" if kpis.cost_usd < 10_000 else f"${compact(kpis.cost_usd)}"
    new = f"+{compact(kpis.new_prompts)}" if narrow else f"· {compact(kpis.new_prompts)} new"
    return (
        f"{compact(kpis.prompts)} {new}",
        compact(kpis.uses),
        compact(kpis.tokens),
        cost + ("*" if kpis.unpriced else ""),
        "–" if kpis.avg_rating is None else f"{kpis.avg_rating:.2f}★",
    )


class KpiBoxes(DrawnWidget):
    DEFAULT_CSS = """
    KpiBoxes { height: 3; }
    KpiBoxes > .kpi-boxes--border { color: $panel-lighten-2; }
    KpiBoxes > .kpi-boxes--title { color: $text-muted; }
    KpiBoxes > .kpi-boxes--value { text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "kpi-boxes--border",
        "kpi-boxes--title",
        "kpi-boxes--value",
    }

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.values: tuple[str, ...] = ("…",) * len(LABELS)
        self.narrow_values = self.values

    def show(self, kpis: Kpis) -> None:
        self.values = kpi_values(kpis)
        self.narrow_values = kpi_values(kpis, narrow=True)
        self.tooltip = (
            "Prompts: live now · created in the period (archived since included). Cost: "
            + (
                f"{kpis.unpriced} generation(s) have no cost and no price: set one with "
                "`promptdeck price set`"
                if kpis.unpriced
                else "USD, priced from the source or the price table"
            )
        )
        self.redraw()

    def draw(self, width: int, height: int) -> list[Text]:
        border = self.get_component_rich_style("kpi-boxes--border")
        title = self.get_component_rich_style("kpi-boxes--title")
        bold = self.get_component_rich_style("kpi-boxes--value")
        columns = []
        for label, value, narrow, box_width in zip(
            LABELS, self.values, self.narrow_values, split(width, len(LABELS)), strict=True
        ):
            room = max(box_width - 4, 0)
            value = value if cell_len(value) <= room else narrow
            centred = " " * max((room - cell_len(value)) // 2, 0) + value
            middle = [Text()] * ((height - 3) // 2) + [Text(centred, style=bold)]
            columns.append(box(label, middle, box_width, height, border=border, title_style=title))
        return side_by_side(columns)
