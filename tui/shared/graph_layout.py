"""Lay a LineageGraph out as rows of text: a tree drawn with box-drawing characters, the
relationships that are not tree edges marked under the prompts they touch.

Pure Python, no Textual: the lineage widget draws these rows and `promptdeck lineage` prints
them. Iterative throughout (an explicit stack), so a 50-level chain or a 1,000-child fan is
no deeper than a flat list."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from operator import attrgetter

from storage import LineageGraph, LineageLink, LineageNode
from tui.shared import formatting

FOLD_ABOVE = 2_000  # a graph with more tree nodes than this starts folded

# What each part of a row is, so that the widget can style it and the CLI can join it.
GUIDE, GLYPH, NAME, META, LINK, FOLD = "guide", "glyph", "name", "meta", "link", "fold"


@dataclass(frozen=True, slots=True)
class GraphRow:
    """One line: a tree node, or (with `link`) a relationship of the tree node `owner_id`
    whose other end is `node`."""

    guides: str
    node: LineageNode
    owner_id: str
    link: LineageLink | None = None
    hidden: int = 0  # descendants folded away under this node
    not_loaded: int = 0  # children that max_nodes left out of the graph
    focus: bool = False

    @property
    def is_link(self) -> bool:
        return self.link is not None

    def parts(self) -> list[tuple[str, str]]:
        """(text, kind) pieces, guides first."""
        node = self.node
        name = node.name + (" (archived)" if node.archived else "")
        meta = f"  v{node.version} · {node.uses} use{'' if node.uses == 1 else 's'}"
        if node.rating is not None:
            meta += f" · {formatting.rating(node.rating)}"
        if self.link is not None:
            arrow = "→" if self.link.source_id == self.owner_id else "←"
            strength = f" {self.link.strength:.2g}" if self.link.strength != 1.0 else ""
            return [
                (self.guides, GUIDE),
                ("┄ ", GLYPH),
                (f"{self.link.type}{strength} {arrow} ", LINK),
                (name, NAME),
                (meta, META),
            ]
        parts = [(self.guides, GUIDE), ("● " if self.focus else "○ ", GLYPH), (name, NAME)]
        parts.append((meta, META))
        if self.hidden:
            parts.append((f"  ⊕ {self.hidden} folded", FOLD))
        if self.not_loaded:
            parts.append((f"  … {self.not_loaded} more not shown", FOLD))
        return parts

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts())


def focus_path(graph: LineageGraph) -> list[str]:
    """Ids from the top of the tree down to the focus."""
    parent = {n.id: n.parent_id for n in graph.nodes if n.generation is not None}
    path = [graph.focus_id]
    while path[-1] != graph.top_id and parent.get(path[-1]) in parent:
        path.append(parent[path[-1]] or "")
    return path[::-1]


def default_folds(graph: LineageGraph, above: int = FOLD_ABOVE) -> frozenset[str]:
    """Past `above` tree nodes, every subtree off the path to the focus starts folded."""
    tree = [n for n in graph.nodes if n.generation is not None]
    if len(tree) <= above:
        return frozenset()
    parents = {n.parent_id for n in tree if n.parent_id is not None}
    return frozenset(parents.intersection([n.id for n in tree]).difference(focus_path(graph)))


def layout(graph: LineageGraph, folded: Collection[str] = ()) -> list[GraphRow]:
    """The rows of the graph, top first, children in the order they were created. A folded
    subtree is only counted: its prompts are neither sorted nor laid out."""
    folded = frozenset(folded)
    tree = [n for n in graph.nodes if n.generation is not None]
    loaded = dict.fromkeys([n.id for n in tree], 0)  # children in the graph
    shown: dict[str, list[LineageNode]] = {}  # children of the prompts not folded
    for node in tree:
        if node.id != graph.top_id and node.parent_id in loaded:
            loaded[node.parent_id] += 1
            if node.parent_id not in folded:
                shown.setdefault(node.parent_id, []).append(node)
    hidden = _descendants(graph, tree, loaded) if folded else {}
    ends = {end for link in graph.links for end in (link.source_id, link.target_id)}
    by_id = {n.id: n for n in graph.nodes if n.id in ends or n.id == graph.top_id}
    links: dict[str, list[LineageLink]] = {}
    for link in graph.links:
        for end in dict.fromkeys((link.source_id, link.target_id)):
            if end in loaded:
                links.setdefault(end, []).append(link)

    rows: list[GraphRow] = []
    stack: list[tuple[LineageNode, str, str]] = [(by_id[graph.top_id], "", "")]
    while stack:
        node, guides, below = stack.pop()
        count = loaded[node.id]
        fold = count > 0 and node.id in folded
        rows.append(
            GraphRow(
                guides,
                node,
                node.id,
                hidden=hidden[node.id] if fold else 0,
                not_loaded=max(0, node.children - count),
                focus=node.id == graph.focus_id,
            )
        )
        stem = below + ("│ " if count and not fold else "  ")
        for link in links.get(node.id, []):
            other = link.target_id if link.source_id == node.id else link.source_id
            rows.append(GraphRow(stem, by_id[other], node.id, link=link))
        kids = shown.get(node.id, [])
        kids.sort(key=_AGE)
        for index in range(len(kids) - 1, -1, -1):
            last = index == len(kids) - 1
            stack.append(
                (kids[index], below + ("└─" if last else "├─"), below + ("  " if last else "│ "))
            )
    return rows


_AGE = attrgetter("created_at", "id")


def _descendants(
    graph: LineageGraph, tree: list[LineageNode], loaded: dict[str, int]
) -> dict[str, int]:
    """Prompts below each tree node; parents come before children in graph.nodes."""
    below = dict.fromkeys(loaded, 0)
    for node in reversed(tree):
        if node.id != graph.top_id and node.parent_id in below:
            below[node.parent_id] += below[node.id] + 1
    return below


def as_text(graph: LineageGraph, rows: list[GraphRow]) -> Iterator[str]:
    """The lines `promptdeck lineage` prints."""
    if graph.hidden_ancestors:
        plural = "s" if graph.hidden_ancestors != 1 else ""
        yield f"↑ {graph.hidden_ancestors} more ancestor{plural} above"
    for row in rows:
        yield row.text.rstrip()
    if graph.truncated:
        shown = sum(1 for n in graph.nodes if n.in_tree)
        yield f"… showing {shown:,} of {graph.tree_size:,} prompts in this tree"
