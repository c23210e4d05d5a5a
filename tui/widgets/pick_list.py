"""PickList: the picker's compact list (name, folder, short id) over a page of prompts, with a
cursor that the keys of the search box move. Only the rows on screen are formatted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from storage.models import short_id
from tui.pick.pages import PickPage, PickRow
from tui.shared import formatting

ID_WIDTH = 8
FOLDER_SHARE = 3  # the folder column takes at most a third of the width, and FOLDER_MAX
FOLDER_MAX = 28
NAME_MIN = 12
_PREFETCH = 20  # ask for the next page when the cursor comes this close to the last row


class PickList(ScrollView, can_focus=False):
    """Not a tab stop: the search box keeps the focus and its keys move the cursor here."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"pick-list--cursor", "pick-list--muted"}
    DEFAULT_CSS = """
    PickList { overflow-x: hidden; scrollbar-size-vertical: 1; }
    PickList > .pick-list--cursor { background: $accent 40%; text-style: bold; }
    PickList > .pick-list--muted { color: $text-muted; }
    """

    cursor = reactive(0, always_update=True)

    @dataclass
    class NeedMore(Message):
        """The cursor nears the last loaded row and the result has more: load from `offset`."""

        offset: int

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.rows: list[PickRow] = []
        self.total = 0
        self.empty_text = ""
        self._asked_for: int | None = None
        self._longest = (0, 0)  # the longest name and folder loaded, in cells

    @property
    def highlighted(self) -> PickRow | None:
        return self.rows[self.cursor] if self.rows else None

    def set_page(self, page: PickPage) -> None:
        """Show the first page of a new result, the cursor on its first row."""
        self.rows = list(page.rows)
        self._longest = (0, 0)
        self._measure(page)
        self.total = page.total
        self._asked_for = None
        self._resize_virtual()
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def append(self, page: PickPage) -> None:
        """Add the next page of the same result."""
        if page.offset != len(self.rows):
            return
        self.rows += page.rows
        self._measure(page)
        self.total = page.total
        self._asked_for = None
        self._resize_virtual()
        self.refresh()

    def _measure(self, page: PickPage) -> None:
        """Columns as wide as what they hold (on a wide terminal the folder follows the name,
        not the far edge)."""
        names = max((cell_len(row.name) for row in page.rows), default=0)
        folders = max((cell_len(row.folder) for row in page.rows), default=0)
        self._longest = (max(self._longest[0], names), max(self._longest[1], folders))

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, max(1, len(self.rows)))

    def on_resize(self) -> None:
        self._resize_virtual()

    # -- the cursor ------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self) -> None:
        top, height = self.scroll_offset.y, max(1, self.scrollable_content_region.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        loaded = len(self.rows)
        if loaded < self.total and self.cursor + _PREFETCH >= loaded and self._asked_for != loaded:
            self._asked_for = loaded
            self.post_message(self.NeedMore(loaded))
        self.refresh()

    def move(self, delta: int) -> None:
        self.cursor += delta

    def page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        muted = self.get_component_rich_style("pick-list--muted")
        if index >= len(self.rows):
            text = f" {self.empty_text}" if index == 0 and not self.rows else ""
            return Strip([Segment(text, muted)]).adjust_cell_length(width, self.rich_style)
        row = self.rows[index]
        style = self.rich_style
        if index == self.cursor:
            style += self.get_component_rich_style("pick-list--cursor")
        longest_name, longest_folder = self._longest
        folder_width = min(longest_folder, FOLDER_MAX, width // FOLDER_SHARE)
        room = width - folder_width - ID_WIDTH - 4  # a cell before, between and after
        name_width = max(NAME_MIN, min(longest_name, room))
        segments = [
            Segment(" " + formatting.fit(row.name, name_width) + " ", style),
            Segment(formatting.fit(row.folder, folder_width) + " ", style + muted),
            Segment(short_id(row.prompt_id), style + muted),
        ]
        return Strip(segments).adjust_cell_length(width, style)
