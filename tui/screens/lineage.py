"""Lineage: the derivation tree around a prompt, its other relationships marked, navigable by
keys; open, diff against the parent, link, unlink, fold. Graph and layout load in workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.events import Resize
from textual.message import Message
from textual.widgets import Footer, Header, Static

from storage import Library, LineageGraph
from storage.models import short_id
from tui.messages import LibraryChanged, StatusMessage
from tui.screens.base import DeckScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.diff import DiffScreen
from tui.screens.link_type import LinkTypeScreen
from tui.screens.prompt_picker import PromptPickerScreen
from tui.shared import formatting
from tui.shared.graph_layout import GraphRow, default_folds, layout
from tui.widgets.lineage_graph import LineageGraphView
from tui.widgets.status_line import StatusLine

WIDE = 120  # from this width the details sit beside the graph, not under it


@dataclass
class GraphLoaded(Message):
    """A worker read the graph and laid it out."""

    graph: LineageGraph
    rows: list[GraphRow]
    folded: frozenset[str]
    select: str | None


@dataclass
class DiffRead(Message):
    title: str
    diff: str


class LineageScreen(DeckScreen[None]):
    CSS_PATH = "lineage.tcss"
    AUTO_FOCUS = "#graph"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "open", "Open", id="lineage.open", tooltip="Open the prompt in the editor"
        ),
        Binding(
            "D",
            "diff",
            "Diff",
            id="lineage.diff",
            tooltip="The differences between the prompt and its parent",
        ),
        Binding(
            "l",
            "link",
            "Link",
            id="lineage.link",
            tooltip="Relate the prompt to another one (pick it by name, then the type)",
        ),
        Binding(
            "x",
            "unlink",
            "Unlink",
            id="lineage.unlink",
            tooltip="Remove the relationship on this line (on a prompt: its derivation)",
        ),
        Binding("f", "fold", "Fold", id="lineage.fold", tooltip="Fold or unfold the subtree"),
        Binding(
            "y",
            "copy",
            "Copy",
            show=False,
            id="lineage.copy",
            tooltip="Copy the prompt's content to the clipboard (OSC 52, works over SSH)",
        ),
        Binding(
            "u",
            "use",
            "Use",
            show=False,
            id="lineage.use",
            tooltip="Fill in the variables, copy the rendered text and record a use",
        ),
        Binding("r", "rate", "Rate", show=False, id="lineage.rate", tooltip="Rate the prompt"),
        Binding(
            "tab",
            "follow",
            "Follow link",
            show=False,
            id="lineage.follow",
            tooltip="On a prompt: go to its relationships; on one: go to the prompt it links",
        ),
        Binding(
            "ctrl+g",
            "centre",
            "Centre",
            id="lineage.centre",
            tooltip="Draw the graph around the highlighted prompt",
        ),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            show=False,
            id="lineage.reload",
            tooltip="Read the graph again (after changes from the CLI)",
        ),
        Binding("escape", "back", "Back", id="lineage.back", tooltip="Back to where you were"),
    ]

    def __init__(self, prompt_id: str) -> None:
        super().__init__()
        self.prompt_id = prompt_id
        self.graph: LineageGraph | None = None
        self.folded: frozenset[str] | None = None  # None: the default for the graph's size
        library = self.deck.library
        self.read_early(lambda: _read_graph(library, prompt_id, None, prompt_id))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the graph…", id="lineage-title")
        # Wide or not from the start: a class set at the first resize would restyle and lay
        # the screen out once more while the graph is being read.
        with Container(id="lineage-body", classes="-wide" if self.app.size.width >= WIDE else ""):
            graph = LineageGraphView(id="graph")
            graph.border_title = "Lineage"
            yield graph
            details = Static(id="details")
            details.border_title = "Details"
            yield details
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.deliver_early()

    def on_resize(self, event: Resize) -> None:
        self.query_one("#lineage-body").set_class(event.size.width >= WIDE, "-wide")

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="lineage", exit_on_error=False)
    def load(self, prompt_id: str, folded: frozenset[str] | None, select: str | None) -> None:
        self.post_message(_read_graph(self.deck.library, prompt_id, folded, select))

    @work(thread=True, exclusive=True, group="lineage", exit_on_error=False)
    def relayout(self, graph: LineageGraph, folded: frozenset[str], select: str) -> None:
        self.post_message(GraphLoaded(graph, layout(graph, folded), folded, select))

    def on_graph_loaded(self, message: GraphLoaded) -> None:
        graph = message.graph
        self.graph, self.folded = graph, message.folded
        self.prompt_id = graph.focus_id
        focus = graph.node(graph.focus_id)
        tree = sum(1 for n in graph.nodes if n.in_tree)
        title = f"{_plural(tree, 'prompt', 'prompts')} in the tree"
        if graph.truncated:
            title += f" (of {graph.tree_size:,})"
        title += f" · {_plural(len(graph.links), 'link', 'links')}"
        if message.folded:
            title += " · big: folded, f unfolds"
        title += f" · lineage of [b]{focus.name if focus else graph.focus_id}[/b]"
        self.query_one("#lineage-title", Static).update(title)
        self.sub_title = f"{self.deck.library.db.name} · lineage"
        self.query_one(LineageGraphView).set_rows(message.rows, select=message.select)

    def reload(self, select: str | None = None) -> None:
        current = self.query_one(LineageGraphView).current
        keep = select or (current.owner_id if current else None)
        self.load(self.prompt_id, self.folded, select=keep)

    # -- the highlighted line ----------------------------------------------------------------

    @on(LineageGraphView.Highlighted)
    def _highlighted(self, event: LineageGraphView.Highlighted) -> None:
        if self.graph is not None:  # before the graph is read there is nothing to show
            self.query_one("#details", Static).update(self._details(event.row))

    def _details(self, row: GraphRow | None) -> str:
        if row is None or self.graph is None:
            return ""
        names = {n.id: n.name for n in self.graph.nodes}
        node = row.node
        if row.link is not None:
            link = row.link
            text = (
                f"[b]{names[link.source_id]}[/b] {link.type} [b]{names[link.target_id]}[/b]\n"
                f"strength {link.strength:g}"
            )
            return text + (f" · {link.context}" if link.context else "")
        lines = [
            f"[b]{node.name}[/b]  {short_id(node.id)}" + ("  (archived)" if node.archived else "")
        ]
        facts = [f"v{node.version}", _plural(node.uses, "use", "uses")]
        if node.rating is not None:
            facts.append(formatting.rating(node.rating))
        facts += [f"generation {node.generation}", _plural(node.children, "child", "children")]
        lines.append(" · ".join(facts))
        for step in (s for s in self.graph.history if s.prompt_id == node.id):
            score = (
                f", improvement {step.improvement_score:.2f}"
                if step.improvement_score is not None
                else ""
            )
            parent = names.get(step.parent_id, short_id(step.parent_id))
            lines.append(
                f"from {parent}: {step.method}{score} ({formatting.date(step.created_at)})"
            )
        for link in self.graph.links:
            if node.id in (link.source_id, link.target_id):
                outgoing = link.source_id == node.id
                other = names[link.target_id if outgoing else link.source_id]
                lines.append(f"{link.type} {'→' if outgoing else '←'} {other} ({link.strength:g})")
        return "\n".join(lines)

    def _row(self) -> GraphRow | None:
        row = self.query_one(LineageGraphView).current
        if row is None:
            self.post_message(StatusMessage("nothing is highlighted", error=True))
        return row

    # -- actions ---------------------------------------------------------------------------

    def action_open(self) -> None:
        if row := self._row():
            self.deck.open_prompt(row.node.id)

    def action_copy(self) -> None:
        if row := self._row():
            self.deck.copy_prompt(row.node.id)

    def action_use(self) -> None:
        if row := self._row():
            self.deck.use_prompt(row.node.id)

    def action_rate(self) -> None:
        if row := self._row():
            self.deck.rate_prompt(row.node.id)

    def refresh_library(self, select: str | None) -> None:
        known = select is not None and self.graph is not None and self.graph.node(select)
        self.reload(select if known else None)

    def action_diff(self) -> None:
        if row := self._row():
            self.show_diff(row.node.id)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def show_diff(self, prompt_id: str) -> None:
        diff = self.deck.library.lineage.parent_diff(prompt_id)
        self.post_message(DiffRead(f"{diff.old.name} (parent) → {diff.new.name}", diff.as_text()))

    def on_diff_read(self, message: DiffRead) -> None:
        self.app.push_screen(DiffScreen(message.title, message.diff))

    def action_link(self) -> None:
        row = self._row()
        if row is None:
            return
        source = row.node

        def picked(target_id: str | None) -> None:
            if target_id is None or self.graph is None:
                return
            target = next((c.name for c in picker.candidates if c.id == target_id), target_id)

            def typed(choice: tuple[str, float] | None) -> None:
                if choice is not None:
                    self.add_link(source.id, target_id, *choice)

            self.app.push_screen(LinkTypeScreen(source.name, target), typed)

        picker = PromptPickerScreen(f"Relate {source.name!r} to…", exclude=source.id)
        self.app.push_screen(picker, picked)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def add_link(self, source_id: str, target_id: str, kind: str, strength: float) -> None:
        library = self.deck.library
        library.lineage.link(source_id, target_id, kind, strength=strength)
        source, target = library.prompts.get(source_id).name, library.prompts.get(target_id).name
        self.post_message(StatusMessage(f"linked {source!r} {kind} {target!r}"))
        self.app.post_message(LibraryChanged(select=source_id))

    def action_unlink(self) -> None:
        row = self._row()
        if row is None or self.graph is None:
            return
        names = {n.id: n.name for n in self.graph.nodes}
        if row.link is not None:
            source, target, kind = row.link.source_id, row.link.target_id, row.link.type
        elif row.node.parent_id is not None and row.node.id != self.graph.top_id:
            source, target, kind = row.node.id, row.node.parent_id, "derived_from"
        else:
            self.post_message(StatusMessage(f"{row.node.name!r} has no parent to unlink from"))
            return
        question = f"Remove {names[source]!r} {kind} {names[target]!r}?"
        if kind == "derived_from":
            question += f"\n{names[source]!r} becomes the root of its own tree."

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_link(source, target, kind, row.owner_id)

        self.app.push_screen(ConfirmScreen(question, yes="Remove"), answered)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def remove_link(self, source_id: str, target_id: str, kind: str, select: str) -> None:
        self.deck.library.lineage.unlink(source_id, target_id, kind)
        self.post_message(StatusMessage(f"removed {kind}"))
        self.app.post_message(LibraryChanged(select=select))

    def action_fold(self) -> None:
        row = self._row()
        if row is None or self.graph is None or self.folded is None:
            return
        node_id = row.owner_id
        if not row.hidden and row.node.id == node_id and not self._has_children(node_id):
            self.post_message(StatusMessage(f"{row.node.name!r} has no children to fold"))
            return
        folded = self.folded ^ {node_id}
        self.relayout(self.graph, folded, node_id)

    def _has_children(self, node_id: str) -> bool:
        assert self.graph is not None
        return any(n.parent_id == node_id and n.in_tree for n in self.graph.nodes)

    @on(LineageGraphView.Unfold)
    def _unfold(self, event: LineageGraphView.Unfold) -> None:
        if self.graph is not None and self.folded is not None:
            self.relayout(self.graph, self.folded - {event.node_id}, event.node_id)

    def action_follow(self) -> None:
        view = self.query_one(LineageGraphView)
        row = self._row()
        if row is None:
            return
        if row.link is None:
            index = view.cursor + 1
            if index < len(view.rows) and view.rows[index].is_link:
                view.cursor = index
            else:
                self.post_message(StatusMessage(f"{row.node.name!r} has no other relationships"))
            return
        if not view.move_to(row.node.id):
            self.load(row.node.id, None, select=row.node.id)

    def action_centre(self) -> None:
        if row := self._row():
            self.load(row.node.id, None, select=row.node.id)

    def action_reload(self) -> None:
        """After changes from the CLI: every screen reads the library again."""
        self.app.post_message(LibraryChanged())

    def action_back(self) -> None:
        self.dismiss(None)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _read_graph(
    library: Library, prompt_id: str, folded: frozenset[str] | None, select: str | None
) -> GraphLoaded:
    """The graph around a prompt, laid out (with the default folds when `folded` is None)."""
    graph = library.lineage.graph(prompt_id)
    folds = default_folds(graph) if folded is None else folded
    return GraphLoaded(graph, layout(graph, folds), folds, select)
