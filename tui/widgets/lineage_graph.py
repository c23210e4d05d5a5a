"""LineageGraphView: the rows of tui.shared.graph_layout, drawn line by line (only the rows on
screen are rendered), with a cursor that moves along the tree: parent, child, sibling, next row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.messages import StatusMessage
from tui.shared.graph_layout import FOLD, GLYPH, GUIDE, LINK, META, NAME, GraphRow

_CLASS_OF = {
    GUIDE: "lineage-graph--guide",
    GLYPH: "lineage-graph--glyph",
    NAME: "lineage-graph--name",
    META: "lineage-graph--meta",
    LINK: "lineage-graph--link",
    FOLD: "lineage-graph--fold",
}
_MARGIN = 4  # columns kept visible left of the cursor's node when the view scrolls sideways
_LABEL = 48  # columns of the cursor's label kept visible (the view scrolls sideways for it)


class LineageGraphView(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "row(1)", "Down", show=False, id="lineage.down"),
        Binding("up,k", "row(-1)", "Up", show=False, id="lineage.up"),
        Binding(
            "left,h",
            "parent",
            "Parent",
            show=False,
            id="lineage.parent",
            tooltip="Move to the parent (from a relationship line: to its prompt)",
        ),
        Binding(
            "right",
            "child",
            "Child",
            show=False,
            id="lineage.child",
            tooltip="Move to the first child (unfolds a folded prompt)",
        ),
        Binding(
            "right_square_bracket",
            "sibling(1)",
            "Next sibling",
            show=False,
            id="lineage.next_sibling",
            tooltip="Move to the next prompt with the same parent",
        ),
        Binding(
            "left_square_bracket",
            "sibling(-1)",
            "Previous sibling",
            show=False,
            id="lineage.previous_sibling",
            tooltip="Move to the previous prompt with the same parent",
        ),
        Binding("pagedown", "page(1)", "Page down", show=False, id="lineage.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="lineage.page_up"),
        Binding("home,g", "jump(0)", "Top", show=False, id="lineage.top"),
        Binding("end,G", "jump(-1)", "Bottom", show=False, id="lineage.bottom"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(_CLASS_OF.values()) | {
        "lineage-graph--cursor",
        "lineage-graph--focus",
    }
    DEFAULT_CSS = """
    LineageGraphView { background: $surface; }
    LineageGraphView > .lineage-graph--guide { color: $text-muted; }
    LineageGraphView > .lineage-graph--glyph { color: $text-accent; }
    LineageGraphView > .lineage-graph--name { text-style: bold; }
    LineageGraphView > .lineage-graph--meta { color: $text-muted; }
    LineageGraphView > .lineage-graph--link { color: $text-warning; }
    LineageGraphView > .lineage-graph--fold { color: $text-accent; text-style: italic; }
    LineageGraphView > .lineage-graph--focus { color: $text-accent; }
    LineageGraphView > .lineage-graph--cursor { background: $panel-lighten-1; }
    LineageGraphView:focus > .lineage-graph--cursor { background: $accent 40%; }
    """

    cursor = reactive(0, always_update=True)

    @dataclass
    class Highlighted(Message):
        row: GraphRow | None

    @dataclass
    class Unfold(Message):
        """`right` on a folded prompt: its subtree should be shown."""

        node_id: str

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.rows: list[GraphRow] = []
        self._row_of: dict[str, int] = {}  # tree node id -> its row

    # -- data ------------------------------------------------------------------------------

    @property
    def current(self) -> GraphRow | None:
        return self.rows[self.cursor] if self.rows else None

    def set_rows(self, rows: list[GraphRow], *, select: str | None = None) -> None:
        """Show new rows; the cursor goes to `select`'s row (or stays on the same prompt)."""
        wanted = select or (self.current.owner_id if self.current else None)
        self.rows = rows
        self._row_of = {row.node.id: i for i, row in enumerate(rows) if not row.is_link}
        width = max((len(row.text) for row in rows), default=0) + 2
        self.virtual_size = Size(width, len(rows))
        self.cursor = self._row_of.get(wanted or "", 0)
        self.refresh()

    def row_of(self, node_id: str) -> int | None:
        return self._row_of.get(node_id)

    def move_to(self, node_id: str) -> bool:
        index = self._row_of.get(node_id)
        if index is not None:
            self.cursor = index
        return index is not None

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("lineage-graph--cursor")
        segments = [Segment(" ", base)]
        for text, kind in row.parts():
            style = base + self.get_component_rich_style(_CLASS_OF[kind])
            if row.focus and kind in (GLYPH, NAME):
                style += self.get_component_rich_style("lineage-graph--focus")
            segments.append(Segment(text, style))
        strip = Strip(segments).extend_cell_length(scroll_x + width, base)
        return strip.crop(scroll_x, scroll_x + width)

    # -- cursor ----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor in view: a step scrolls by a line, a jump centres it."""
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if self.cursor == top - 1:
            self.scroll_to(y=self.cursor, animate=False, immediate=True, force=True)
        elif self.cursor == top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True, force=True)
        elif not top <= self.cursor < top + height:
            y = max(0, self.cursor - height // 2)
            self.scroll_to(y=y, animate=False, immediate=True, force=True)
        row = self.current
        if row is None:
            return
        start = len(row.guides)
        width = self.scrollable_content_region.width
        label = min(_LABEL, width - _MARGIN)
        if start < self.scroll_offset.x or start + label > self.scroll_offset.x + width:
            self.scroll_to(x=max(0, start - _MARGIN), animate=False, immediate=True, force=True)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def action_row(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_jump(self, where: int) -> None:
        self.cursor = len(self.rows) - 1 if where < 0 else 0

    def action_parent(self) -> None:
        row = self.current
        if row is None:
            return
        target = row.owner_id if row.is_link else row.node.parent_id
        if target is None or not self.move_to(target):
            self.post_message(StatusMessage("the top of the tree has no parent shown here"))

    def action_child(self) -> None:
        row = self.current
        if row is None or row.is_link:
            return
        if row.hidden:
            self.post_message(self.Unfold(row.node.id))
            return
        for index in range(self.cursor + 1, len(self.rows)):
            candidate = self.rows[index]
            if not candidate.is_link:
                if candidate.node.parent_id == row.node.id:
                    self.cursor = index
                    return
                break
        self.post_message(StatusMessage(f"{row.node.name!r} has no children here"))

    def action_sibling(self, direction: int) -> None:
        row = self.current
        if row is None or row.is_link:
            return
        parent = row.node.parent_id
        index = self.cursor + direction
        while 0 <= index < len(self.rows):
            candidate = self.rows[index]
            if not candidate.is_link:
                if candidate.node.id == parent:
                    break  # reached the parent: no sibling before this one
                if candidate.node.parent_id == parent:
                    self.cursor = index
                    return
            index += direction
        self.post_message(StatusMessage("no sibling that way"))
