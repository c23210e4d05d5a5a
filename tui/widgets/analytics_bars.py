"""BarList: a titled list of horizontal bars (label, bar, figure), drawn to the widget's width."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

_EIGHTHS = " ▏▎▍▌▋▊▉"


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


class BarList(Widget):
    DEFAULT_CSS = """
    BarList { height: 1fr; border: round $panel-lighten-2; padding: 0 1; }
    BarList > .bar-list--bar { color: $accent; }
    BarList > .bar-list--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"bar-list--bar", "bar-list--muted"}

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.border_title = title
        self.bars: list[Bar] = []
        self.empty_text = "nothing in this period"

    def show(self, bars: list[Bar], empty_text: str = "nothing in this period") -> None:
        self.bars = bars
        self.empty_text = empty_text
        self.refresh()

    def render(self) -> Text:
        muted = self.get_component_rich_style("bar-list--muted")
        if not self.bars:
            return Text(self.empty_text, style=muted)
        width = self.content_size.width
        rows = self.bars[: max(self.content_size.height, 1)]
        label_width = min(max(len(b.label) for b in rows), max(8, width // 2 - 2))
        text_width = max(len(b.text) for b in rows)
        room = max(width - label_width - text_width - 2, 1)
        top = max((b.value for b in rows), default=0) or 1
        style = self.get_component_rich_style("bar-list--bar")
        lines = Text(no_wrap=True, overflow="ellipsis")
        for number, item in enumerate(rows):
            label = (
                item.label
                if len(item.label) <= label_width
                else item.label[: label_width - 1] + "…"
            )
            if number:
                lines.append("\n")
            lines.append(label.ljust(label_width) + " ")
            drawn = bar(item.value / top, room)
            lines.append(drawn, style=style)
            lines.append(" " * (room - len(drawn) + 1) + item.text.rjust(text_width), style=muted)
        return lines
