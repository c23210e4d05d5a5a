"""TopPrompts: the top prompts of a period, a row each under a header row, with a row cursor;
enter (or a click on the cursor row) selects a prompt. Drawn by one widget for its size: a
DataTable for ten rows cost the screen more to build and paint than everything else on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from storage import TopPrompt
from tui.widgets.analytics_box import DrawnWidget, fit

# The fixed columns of a wide and a narrow table, their widths, and which are right-aligned.
WIDE_COLUMNS = {"#": 3, "Uses": 5, "Rating": 7, "Last used": 10}
NARROW_COLUMNS = {"Uses": 5, "Rating": 7}
RIGHT = {"Uses", "Rating"}
PADDING = 1  # cells each side of every column
SPARE = 3  # cells the name leaves free at the end of a row


def _pad(line: str, width: int) -> str:
    """`line` padded to `width` cells, so that its style fills the whole row."""
    return line + " " * (width - cell_len(line))


def _move(action: str, description: str, *keys: str) -> Binding:
    return Binding(
        ",".join(keys),
        action,
        description,
        show=False,
        id=f"analytics.top.{action}",
        tooltip=f"{description} in the top prompts",
    )


class TopPrompts(DrawnWidget, can_focus=True):
    DEFAULT_CSS = """
    TopPrompts {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .top-prompts--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .top-prompts--header { background-tint: $foreground 5%; }
        }
        &:dark > .top-prompts--even-row { background: $surface-darken-1 40%; }
        & > .top-prompts--header { text-style: bold; background: $panel; color: $foreground; }
        & > .top-prompts--even-row { background: $surface-lighten-1 50%; }
        & > .top-prompts--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "top-prompts--header",
        "top-prompts--even-row",
        "top-prompts--odd-row",
        "top-prompts--cursor",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open",
            show=False,
            id="analytics.top.select",
            tooltip="Open the prompt under the cursor",
        ),
        _move("cursor_up", "Up", "up"),
        _move("cursor_down", "Down", "down"),
        _move("first", "First", "home", "ctrl+home"),
        _move("last", "Last", "end", "ctrl+end"),
        _move("page_up", "Page up", "pageup"),
        _move("page_down", "Page down", "pagedown"),
    ]

    cursor = reactive(0)

    @dataclass
    class Selected(Message):
        """A prompt of the table was chosen."""

        prompt_id: str

    def __init__(self, *, wide: bool, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.wide = wide
        self.rows: list[TopPrompt] | None = None  # None: no report yet
        self._first = 0  # the row shown first when they do not all fit

    def show(self, rows: list[TopPrompt], *, by_rating: bool) -> None:
        self.rows = rows
        self.border_title = "Top prompts by " + ("rating" if by_rating else "uses")
        self.border_subtitle = "enter: open" if rows else "nothing in this period"
        self._first = 0
        self.set_reactive(TopPrompts.cursor, 0)
        self.redraw()

    def set_wide(self, wide: bool) -> None:
        self.wide = wide
        self.redraw()

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.rows or ()) - 1))

    def watch_cursor(self) -> None:
        self.redraw()

    # -- drawing -----------------------------------------------------------------------------

    def columns(self, width: int) -> dict[str, int]:
        """Every column and its width: the name takes what the fixed columns leave."""
        fixed = WIDE_COLUMNS if self.wide else NARROW_COLUMNS
        name = max(12, width - sum(fixed.values()) - 2 * PADDING * len(fixed) - SPARE)
        return {"#": 3, "Prompt": name, **fixed} if self.wide else {"Prompt": name, **fixed}

    @staticmethod
    def cells(rank: int, top: TopPrompt) -> dict[str, str]:
        rating = "" if top.avg_rating is None else f"{top.avg_rating:.1f} ({top.ratings})"
        return {
            "#": str(rank),
            "Prompt": top.name,
            "Uses": f"{top.uses:,}",
            "Rating": rating,
            "Last used": top.last_used_at.strftime("%Y-%m-%d") if top.last_used_at else "",
        }

    @staticmethod
    def line(cells: dict[str, str], columns: dict[str, int], *, header: bool = False) -> str:
        """One row: each cell cropped with an ellipsis and padded to its column."""
        line = ""
        for column, width in columns.items():
            value = fit(Text(cells[column]), width).plain
            if column in RIGHT and not header:
                value = value.rstrip().rjust(width)
            line += " " * PADDING + value + " " * PADDING
        return line

    def draw(self, width: int, height: int) -> list[Text]:
        if self.rows is None:
            return []
        columns = self.columns(width)
        header = self.get_component_styles("top-prompts--header").rich_style
        titles = self.line({c: c for c in columns}, columns, header=True)
        lines = [Text().append(_pad(titles, width), header)]
        shown = max(height - 1, 1)  # rows under the header
        self._first = min(max(self._first, self.cursor - shown + 1), self.cursor)
        for index in range(self._first, min(self._first + shown, len(self.rows))):
            stripe = "top-prompts--odd-row" if index % 2 else "top-prompts--even-row"
            style = self.get_component_styles(stripe).rich_style
            if index == self.cursor:
                style += self.get_component_rich_style("top-prompts--cursor")
            row = self.line(self.cells(index + 1, self.rows[index]), columns)
            lines.append(Text().append(_pad(row, width), style))
        return lines

    # -- keys and mouse ------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows or ()) - 1

    def action_page_up(self) -> None:
        self.cursor -= max(self.content_size.height - 1, 1)

    def action_page_down(self) -> None:
        self.cursor += max(self.content_size.height - 1, 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self.rows[self.cursor].id))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to a row; a click on the cursor row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = self._first + offset.y - 1
        if index < len(self.rows or ()):
            if index == self.cursor:
                self.action_select()
            self.cursor = index
