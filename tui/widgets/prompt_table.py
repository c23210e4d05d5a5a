"""PromptTable: a virtual table over an Arrow result; only the rows on screen are formatted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from storage.models import PromptPage
from tui.shared import formatting

_WINDOW = 128  # rows converted from Arrow to Python at a time


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the space left over
    priority: int  # columns with higher numbers are dropped first when narrow
    sort: str | None = None
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 0, 0, "name"),
    Column("folder", "Folder", 16, 3, "folder"),
    Column("tags", "Tags", 18, 5),
    Column("model", "Model", 15, 4, "model"),
    Column("uses", "Uses", 6, 1, "uses", right=True),
    Column("rating", "Rating", 6, 2, "rating", right=True),
    Column("updated_at", "Updated", 10, 2, "updated"),
)
# Shown after the name when the result is ranked by a search (BM25, cosine or fused score).
SCORE = Column("score", "Score", 6, 1, "score", right=True)
MIN_NAME_WIDTH = 18


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "tags":
        return formatting.tags(value)
    if key == "rating":
        return formatting.rating(value)
    if key == "updated_at":
        return formatting.date(value)
    if key == "score":
        return formatting.score(value)
    return str(value)


class PromptTable(ScrollView, can_focus=True):
    """Keyboard-driven list of prompts: j/k, g/G, page keys; enter selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("home,g", "jump(0)", "Top", show=False, id="table.top"),
        Binding("end,G", "jump(-1)", "Bottom", show=False, id="table.bottom"),
        Binding(
            "enter", "select", "Open", id="table.open", tooltip="Open the prompt in the editor"
        ),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "prompt-table--header",
        "prompt-table--cursor",
        "prompt-table--muted",
    }
    DEFAULT_CSS = """
    PromptTable { background: $surface; overflow-x: hidden; }
    PromptTable > .prompt-table--header { text-style: bold; color: $text-accent; }
    PromptTable > .prompt-table--cursor { background: $panel-lighten-1; }
    PromptTable:focus > .prompt-table--cursor { background: $accent 40%; text-style: bold; }
    PromptTable > .prompt-table--muted { color: $text-muted; }
    """

    cursor = reactive(0, always_update=True)

    @dataclass
    class Highlighted(Message):
        prompt_id: str | None

    @dataclass
    class Selected(Message):
        prompt_id: str

    @dataclass
    class NeedMore(Message):
        """The cursor nears the last loaded row and the result has more: load from `offset`."""

        offset: int

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._data: pa.Table | None = None
        self._ids: list[str] = []
        self.total = 0
        self._asked_for: int | None = None
        self._window: dict[int, list[dict[str, Any]]] = {}
        self._columns: list[tuple[Column, int]] = []
        self._layout_width = -1
        self.sort_key = "updated"
        self.descending = True
        self.empty_text = "No prompts."

    # -- data ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def highlighted_id(self) -> str | None:
        return self._ids[self.cursor] if self._ids else None

    def set_data(
        self, page: PromptPage, *, keep: str | None = None, keep_current: bool = True
    ) -> None:
        """Show the first page of a new result; keep the cursor on `keep` (or, with
        `keep_current`, the current prompt) when it is in the page, else on the first row."""
        wanted = keep or (self.highlighted_id if keep_current else None)
        ranked_before = self._data is not None and "score" in self._data.column_names
        self._data = page.table
        self._ids = page.table.column("id").to_pylist()
        if ranked_before != ("score" in page.table.column_names):
            self._layout_width = -1  # the score column comes or goes
        self.total = page.total
        self._asked_for = None
        self._window.clear()
        self._resize_virtual()
        index = self._ids.index(wanted) if wanted in self._ids else 0
        self.cursor = index
        self.scroll_to(y=max(0, index - self.size.height // 2), animate=False, immediate=True)
        self.refresh()

    def append(self, page: PromptPage) -> None:
        """Add the next page of the same result."""
        if self._data is None or page.offset != len(self._ids):
            return
        self._data = pa.concat_tables([self._data, page.table])
        self._ids += page.table.column("id").to_pylist()
        self._window.clear()  # the last window was cut short by the end of the rows before
        self.total = page.total
        self._asked_for = None
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        more = 1 if len(self._ids) < self.total else 0
        self.virtual_size = Size(self._width, len(self._ids) + 1 + more)

    def _maybe_ask_for_more(self) -> None:
        # Half a screenful below the last row shown: the next page is on its way before a page
        # down needs it, and a search's first page (100 rows) does not rank again for its
        # next one at every key (up to a table 66 rows tall).
        loaded = len(self._ids)
        bottom = max(self.cursor, self.scroll_offset.y + self.size.height)
        ahead = max(self.size.height // 2, 1)
        if loaded < self.total and bottom + ahead >= loaded and self._asked_for != loaded:
            self._asked_for = loaded
            self.post_message(self.NeedMore(loaded))

    def set_sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self.refresh()

    def _row(self, index: int) -> dict[str, Any]:
        start = index - index % _WINDOW
        window = self._window.get(start)
        if window is None:
            assert self._data is not None
            if len(self._window) > 8:
                self._window.clear()
            window = self._data.slice(start, _WINDOW).to_pylist()
            self._window[start] = window
        return window[index - start]

    # -- layout ----------------------------------------------------------------------------

    @property
    def _width(self) -> int:
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        self._resize_virtual()

    def _layout(self, width: int) -> None:
        chosen = list(COLUMNS)
        if self._data is not None and "score" in self._data.column_names:
            chosen.insert(1, SCORE)
        for column in sorted(chosen, key=lambda c: -c.priority):
            fixed = sum(c.width + 1 for c in chosen if c.width)
            if width - fixed - 2 >= MIN_NAME_WIDTH or column.priority == 0:
                break
            chosen.remove(column)
        fixed = sum(c.width + 1 for c in chosen if c.width)
        name_width = max(MIN_NAME_WIDTH, width - fixed - 2)  # a cell of margin each side
        self._columns = [(c, c.width or name_width) for c in chosen]
        self._layout_width = width

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._width
        if width != self._layout_width:
            self._layout(width)
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._ids):
            if index == len(self._ids) and index < self.total:
                style = self.get_component_rich_style("prompt-table--muted")
                return Strip([Segment(f" loading more of {self.total:,}…".ljust(width), style)])
            if index == 0 and y == 1:
                style = self.get_component_rich_style("prompt-table--muted")
                return Strip([Segment(f" {self.empty_text}".ljust(width), style)])
            return Strip.blank(width, self.rich_style)
        row = self._row(index)
        style = self.rich_style
        if index == self.cursor:
            style = style + self.get_component_rich_style("prompt-table--cursor")
        muted = self.get_component_rich_style("prompt-table--muted")
        segments = [Segment(" ", style)]
        for column, column_width in self._columns:
            text = formatting.fit(
                _cell(column.key, row.get(column.key)), column_width, right=column.right
            )
            cell_style = style + muted if column.key in ("folder", "tags") else style
            segments += [Segment(text, cell_style), Segment(" ", style)]
        return Strip(segments).adjust_cell_length(width, style)

    def _header(self, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("prompt-table--header")
        segments = [Segment(" ", style)]
        for column, column_width in self._columns:
            label = column.label
            if column.sort == self.sort_key:  # the arrow always shows, the label gives way
                arrow = "▼" if self.descending else "▲"
                fits = len(label) + 2 <= column_width
                label = f"{label} {arrow}" if fits else f"{label[: column_width - 1]}{arrow}"
            text = formatting.fit(label, column_width, right=column.right)
            segments += [Segment(text, style), Segment(" ", style)]
        return Strip(segments).adjust_cell_length(width, style + Style())

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self._maybe_ask_for_more()
        self.refresh()
        self.post_message(self.Highlighted(self.highlighted_id))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._ids) - 1)) if self._ids else 0

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 2)

    def action_jump(self, where: int) -> None:
        """Top, or the last row loaded (which asks for the next page, if there is one)."""
        self.cursor = len(self._ids) - 1 if where < 0 else 0

    def action_select(self) -> None:
        if self.highlighted_id is not None:
            self.post_message(self.Selected(self.highlighted_id))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._maybe_ask_for_more()
        self.refresh()
