"""Breakdowns: titled lists of horizontal bars (label, bar, figure), all six in a grid (three
rows of two) or the current one alone, framed and drawn by one widget to its size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive

from tui.widgets.analytics_box import DrawnWidget, box, fit, side_by_side, split

_EIGHTHS = " ▏▎▍▌▋▊▉"
BREAKDOWNS = ("provider", "model", "tag", "phase", "latency", "actor")
# The grid's rows, top to bottom.
GRID: tuple[tuple[str, ...], ...] = (
    ("provider", "model"),
    ("tag", "phase"),
    ("latency", "actor"),
)
TITLES = {"latency": "Latency by model (p50, p95)", "actor": "By actor (uses)"}
EMPTY = "nothing in this period"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the figure shown after the bar


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` (0..1) of `width` cells long, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def bar_lines(
    bars: list[Bar], width: int, height: int, *, bar_style: Style, muted: Style, empty: str
) -> list[Text]:
    """Up to `height` lines of `width` cells: each label, its bar scaled to the largest value
    shown, and its figure."""
    if not bars:
        return [Text(empty, style=muted)]
    rows = bars[: max(height, 1)]
    label_width = min(max(cell_len(b.label) for b in rows), max(8, width // 2 - 2))
    text_width = max(cell_len(b.text) for b in rows)
    room = max(width - label_width - text_width - 2, 1)
    top = max((b.value for b in rows), default=0) or 1
    lines = []
    for item, label in zip(rows, _labels([b.label for b in rows], label_width), strict=True):
        line = label
        line.append(" ")
        drawn = bar(item.value / top, room)
        line.append(drawn, style=bar_style)
        line.append(" " * (room - len(drawn) + 1) + item.text.rjust(text_width), style=muted)
        lines.append(line)
    return lines


def _labels(labels: list[str], width: int) -> list[Text]:
    """Each label in `width` cells, cut at its end; but where that would make two read the same
    ("anthropic/claud…" twice), cut in the middle, keeping the ends that tell them apart."""
    cut = [fit(Text(label), width) for label in labels]
    seen = Counter(text.plain for text in cut)
    head = (width - 1) // 2
    tail = width - 1 - head
    return [
        fit(Text(f"{label[:head]}…{label[-tail:]}"), width)
        if seen[text.plain] > 1 and cell_len(label) > width and tail > 0
        else text
        for label, text in zip(labels, cut, strict=True)
    ]


class Breakdowns(DrawnWidget):
    DEFAULT_CSS = """
    Breakdowns { height: 1fr; }
    Breakdowns > .breakdowns--border { color: $panel-lighten-2; }
    Breakdowns > .breakdowns--bar { color: $accent; }
    Breakdowns > .breakdowns--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "breakdowns--border",
        "breakdowns--bar",
        "breakdowns--muted",
    }

    grid = reactive(False)
    """All the breakdowns at once (GRID); else only the current one."""
    current = reactive("provider")

    def __init__(self, *, grid: bool = False, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.set_reactive(Breakdowns.grid, grid)
        self.bars: dict[str, list[Bar]] = {name: [] for name in BREAKDOWNS}
        self.empty: dict[str, str] = dict.fromkeys(BREAKDOWNS, EMPTY)

    def show(self, name: str, bars: list[Bar], empty: str = EMPTY) -> None:
        self.bars[name] = bars
        self.empty[name] = empty
        self.redraw()

    def cycle(self) -> None:
        """Show the next breakdown (when they do not all show at once)."""
        self.current = BREAKDOWNS[(BREAKDOWNS.index(self.current) + 1) % len(BREAKDOWNS)]

    def _panel(self, name: str, width: int, height: int) -> list[Text]:
        border = self.get_component_rich_style("breakdowns--border")
        body = bar_lines(
            self.bars[name],
            width - 4,
            height - 2,
            bar_style=self.get_component_rich_style("breakdowns--bar"),
            muted=self.get_component_rich_style("breakdowns--muted"),
            empty=self.empty[name],
        )
        title = TITLES.get(name, f"By {name}")
        return box(title, body, width, height, border=border, title_style=border)

    def watch_grid(self) -> None:
        self.redraw()

    def watch_current(self) -> None:
        self.redraw()

    def draw(self, width: int, height: int) -> list[Text]:
        if not self.grid:
            return self._panel(self.current, width, height)
        lines: list[Text] = []
        for names, row_height in zip(GRID, split(height, len(GRID)), strict=True):
            columns = zip(names, split(width, len(names)), strict=True)
            lines += side_by_side([self._panel(name, w, row_height) for name, w in columns])
        return lines
