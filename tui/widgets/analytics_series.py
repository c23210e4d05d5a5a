"""SeriesCharts: uses and cost per day, side by side, each a labelled sparkline."""

from __future__ import annotations

from fractions import Fraction
from typing import ClassVar

from rich.color import Color as RichColor
from rich.style import Style
from rich.text import Text
from textual.color import Color

from tui.widgets.analytics_box import DrawnWidget, fit, side_by_side, split

BARS = "▁▂▃▄▅▆▇█"


def columns_of(data: list[float], width: int) -> list[float]:
    """The value each of `width` columns shows: the max of its bucket of `data`, buckets
    spread over the columns as Textual's Sparkline spreads them."""
    step = Fraction(len(data), width)
    buckets = [
        part
        for index in range(width)
        if (part := data[int(step * index) : int(step * (index + 1))])
    ]
    shown, position, advance = [], 0.0, len(buckets) / width
    for _ in range(width):
        shown.append(max(buckets[int(position)]))
        position += advance
    return shown


def sparkline(data: list[float], width: int, height: int, low: Color, high: Color) -> list[Text]:
    """`height` lines of `width` cells: bars in eighths of a cell as Textual's Sparkline draws
    them, the colour going from `low` to `high` with the value, one span per run of equal
    cells."""
    top = max(data, default=0.0)
    if top <= 0:  # nothing happened: a flat line, never a full bar of zeroes
        return [Text()] * (height - 1) + [Text().append("▁" * width, Style(color=low.rich_color))]
    # Scaled from zero, not from the smallest value: a quiet day reads as low, not as empty.
    ratios = [value / top for value in columns_of(data, width)]
    eighths = [int(ratio * (len(BARS) * height - 1)) for ratio in ratios]
    styles = {ratio: Style(color=_blend(low, high, ratio)) for ratio in set(ratios)}
    lines = []
    for row in reversed(range(height)):
        line = Text()
        floor, ceiling = row * len(BARS), (row + 1) * len(BARS)
        run, run_style = "", None
        for ratio, eighth in zip(ratios, eighths, strict=True):
            if eighth < floor:
                cell, style = " ", None
            else:
                cell = "█" if eighth >= ceiling else BARS[eighth % len(BARS)]
                style = styles[ratio]
            if style is not run_style and run:
                line.append(run, run_style)
                run = ""
            run, run_style = run + cell, style
        line.append(run, run_style)
        lines.append(line)
    return lines


def _blend(low: Color, high: Color, ratio: float) -> RichColor:
    """The colour `ratio` of the way from `low` to `high` (the Sparkline's blend, truncated)."""
    return RichColor.from_rgb(
        low.r + (high.r - low.r) * ratio,
        low.g + (high.g - low.g) * ratio,
        low.b + (high.b - low.b) * ratio,
    )


class SeriesCharts(DrawnWidget):
    DEFAULT_CSS = """
    SeriesCharts { height: 3; }
    SeriesCharts > .series-charts--uses-max { color: $accent; }
    SeriesCharts > .series-charts--uses-min { color: $accent 40%; }
    SeriesCharts > .series-charts--cost-max { color: $warning; }
    SeriesCharts > .series-charts--cost-min { color: $warning 40%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "series-charts--uses-max",
        "series-charts--uses-min",
        "series-charts--cost-max",
        "series-charts--cost-min",
    }

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.uses: list[float] = []
        self.costs: list[float] = []

    def show(self, uses: list[float], costs: list[float]) -> None:
        self.uses, self.costs = uses, costs
        self.redraw()

    def labels(self) -> tuple[Text, Text]:
        uses, costs = self.uses, self.costs
        return (
            Text.assemble(
                "Uses per day  ",
                (f"max {max(uses, default=0):,.0f} · {sum(uses):,.0f} in all", "dim"),
            ),
            Text.assemble(
                "Cost per day  ",
                (f"max ${max(costs, default=0):,.2f} · ${sum(costs):,.2f}", "dim"),
            ),
        )

    def _color(self, name: str, background: Color) -> Color:
        """A component's colour over the widget's background, as the Sparkline widget does."""
        return background + self.get_component_styles(f"series-charts--{name}").color

    def draw(self, width: int, height: int) -> list[Text]:
        _, background = self.background_colors
        columns = []
        for label, data, name, column in zip(
            self.labels(), (self.uses, self.costs), ("uses", "cost"), split(width, 2), strict=True
        ):
            room = max(column - 1, 1)  # one cell of padding on the right
            low, high = (
                self._color(f"{name}-min", background),
                self._color(f"{name}-max", background),
            )
            chart = sparkline(data, room, max(height - 1, 1), low, high)
            columns.append([fit(line, room) + " " for line in [label, *chart][:height]])
        return side_by_side(columns)
