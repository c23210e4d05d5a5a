"""Boxes drawn as text, the way Textual draws `border: round` with a border title, so that one
widget can show several framed panels (one widget is far cheaper to mount and lay out than a
container of framed widgets)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


def split(total: int, parts: int) -> list[int]:
    """`total` cells shared by `parts` equal (1fr) panels; the last ones take the remainder."""
    edges = [total * index // parts for index in range(parts + 1)]
    return [end - start for start, end in zip(edges, edges[1:], strict=False)]


def fit(text: Text, width: int) -> Text:
    """`text` cropped with an ellipsis, or padded with spaces, to exactly `width` cells."""
    fitted = text.copy()
    fitted.truncate(width, overflow="ellipsis", pad=True)
    return fitted


def box(
    title: str,
    body: list[Text],
    width: int,
    height: int,
    *,
    border: Style,
    title_style: Style,
) -> list[Text]:
    """`height` lines of `width` cells: a round frame with `title` in its top edge around
    `body` (one line per row, cropped), with one cell of padding left and right."""
    if width < 4 or height < 2:
        return [Text(" " * max(width, 0)) for _ in range(max(height, 0))]
    room = width - 5  # corner, rule and a space either side of the title, corner
    label = fit(Text(title), room) if cell_len(title) > room else Text(title)
    top = Text()
    top.append("╭─", style=border)
    top.append(f" {label.plain} ", style=title_style)
    top.append("─" * max(width - 5 - label.cell_len, 0) + "╮", style=border)
    top.truncate(width, overflow="crop")
    lines = [top]
    for row in range(height - 2):
        line = Text()
        line.append("│ ", style=border)
        line.append_text(fit(body[row] if row < len(body) else Text(), width - 4))
        line.append(" │", style=border)
        lines.append(line)
    lines.append(Text().append("╰" + "─" * (width - 2) + "╯", style=border))
    return lines


def side_by_side(columns: list[list[Text]]) -> list[Text]:
    """Columns of lines (each column as tall as the first) joined into one set of lines."""
    rows = []
    for index in range(len(columns[0]) if columns else 0):
        line = Text()
        for column in columns:
            line.append_text(column[index])
        rows.append(line)
    return rows


class DrawnWidget(Widget):
    """A widget that draws all its lines at once, when its size or content changes, and hands
    them to Textual line by line (the line API): a refresh then costs no redrawing, and the
    lines skip the conversion that `render` puts rich text through. Styles go on spans (a
    Text's own style is not part of the segments it renders to)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._strips: list[Strip] = []
        self._drawn_at: Size | None = None  # the size the strips were drawn at

    def draw(self, width: int, height: int) -> list[Text]:
        """The widget's lines at a size."""
        raise NotImplementedError

    def redraw(self) -> None:
        """Draw again: the content changed."""
        self._drawn_at = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn_at = None  # colours come from the styles

    def render_line(self, y: int) -> Strip:
        if self._drawn_at != self.size:
            console, base = self.app.console, self.rich_style
            self._strips = [
                Strip(line.render(console)).apply_style(base) for line in self.draw(*self.size)
            ]
            self._drawn_at = self.size
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)
