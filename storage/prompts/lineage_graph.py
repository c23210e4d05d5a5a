"""The derivation graph around one prompt: one scan of the library's derivations, walked in
Python (a plain loop over dicts, no recursion), then the details, relationships and history of
the prompts it keeps, read for their ids.

Not a recursive CTE: DuckDB runs one round of tasks per generation and its Python client takes
the GIL back after every task, so a 50-generation walk waited on the UI thread for hundreds of
switch intervals whenever a screen was being drawn; one flat scan takes a handful."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from storage.errors import NotFound
from storage.models import Record

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

DEFAULT_MAX_NODES = 20_000

# Every prompt whose parent exists, with its parent and creation time (µs, for the order).
_DERIVATIONS = """
SELECT id, parent_id, epoch_us(created_at) FROM prompts
WHERE parent_id IN (SELECT id FROM prompts)
"""

# The queries below read the ids they are about from a registered Arrow table (`_IDS`):
# binding a list of thousands of ids as a parameter costs more than the queries themselves.
_IDS = "lineage_ids"

# What a LineageNode shows of each prompt, in the order of the ids (the number of children
# comes from the scan).
_DETAILS = f"""
SELECT p.name, p.current_version, p.usage_count, r.rating, p.parent_id,
       p.archived_at IS NOT NULL, p.created_at
FROM {_IDS} w JOIN prompts p ON p.id = w.id
LEFT JOIN (
    SELECT prompt_id, avg(rating) AS rating FROM feedback
    WHERE prompt_id IN (SELECT id FROM {_IDS}) GROUP BY prompt_id
) r ON r.prompt_id = p.id
ORDER BY w.position
"""

# Every relationship touching the tree except the derived_from rows that mirror parent_id
# (those are the tree's own edges, drawn as such, or cut from the graph).
_LINKS = f"""
SELECT r.source_id, r.target_id, r.type, r.strength, r.context
FROM relationships r JOIN prompts s ON s.id = r.source_id SEMI JOIN prompts t ON t.id = r.target_id
WHERE (r.source_id IN (SELECT id FROM {_IDS}) OR r.target_id IN (SELECT id FROM {_IDS}))
    AND NOT (r.type = 'derived_from' AND s.parent_id IS NOT DISTINCT FROM r.target_id)
ORDER BY r.type, r.created_at, r.source_id, r.target_id
"""

_HISTORY = f"""
SELECT prompt_id, parent_id, method, improvement_score, created_at FROM enhancement_history
WHERE prompt_id IN (SELECT id FROM {_IDS}) ORDER BY created_at, id
"""


@dataclass(frozen=True, slots=True)
class LineageNode(Record):
    """A prompt in the graph. `generation` counts from the top of the drawn tree (0); it is
    None for a prompt that is only there because something in the tree links to it."""

    id: str
    name: str
    version: int
    uses: int
    rating: float | None
    generation: int | None
    parent_id: str | None
    archived: bool
    children: int  # derived prompts in the whole library (some may be cut from the graph)
    created_at: datetime

    @property
    def in_tree(self) -> bool:
        return self.generation is not None


@dataclass(frozen=True, slots=True)
class LineageLink(Record):
    """A relationship other than a tree edge: `source type target`."""

    source_id: str
    target_id: str
    type: str
    strength: float
    context: str | None


@dataclass(frozen=True, slots=True)
class EnhancementStep(Record):
    """One enhancement_history row: how `prompt_id` came from `parent_id`."""

    prompt_id: str
    parent_id: str
    method: str
    improvement_score: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LineageGraph(Record):
    """The derivation tree around `focus_id`, from `top_id` (its root, or the ancestor `depth`
    generations up) down; tree nodes come first (parents before children), then linked ones."""

    focus_id: str
    top_id: str
    nodes: tuple[LineageNode, ...]
    links: tuple[LineageLink, ...]
    history: tuple[EnhancementStep, ...]
    tree_size: int  # descendants of the top (itself included) before max_nodes cut them
    hidden_ancestors: int  # ancestors above the top that `depth` left out

    @property
    def truncated(self) -> bool:
        return self.tree_size > sum(1 for n in self.nodes if n.in_tree)

    @property
    def derivations(self) -> tuple[tuple[str, str], ...]:
        """(child, parent) for every tree edge in the graph."""
        ids = {n.id for n in self.nodes if n.in_tree}
        return tuple(
            (n.id, n.parent_id)
            for n in self.nodes
            if n.in_tree and n.parent_id in ids and n.id != self.top_id
        )

    def node(self, node_id: str) -> LineageNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


def read_graph(
    con: duckdb.DuckDBPyConnection, focus_id: str, depth: int | None, max_nodes: int
) -> LineageGraph:
    derivations = _Derivations.read(con)
    ancestry = derivations.ancestry(focus_id)
    shown = ancestry if depth is None else ancestry[: depth + 1]
    top = shown[-1]
    below = None if depth is None else len(shown) - 1 + depth
    ids, generations, tree_size = derivations.tree(
        top, focus_id, shown, below, max(max_nodes, len(shown))
    )
    # The queries back to back (DuckDB works on while the UI thread holds the GIL), then the
    # Python objects for their rows.
    with _registered(con, ids):
        details, link_rows, history_rows = (
            con.execute(query).to_arrow_table() for query in (_DETAILS, _LINKS, _HISTORY)
        )
    nodes = derivations.nodes(details, ids, generations)
    links = tuple(map(LineageLink, *_columns(link_rows)))
    history = tuple(map(EnhancementStep, *_columns(history_rows)))
    in_tree = set(ids)
    linked = list(
        dict.fromkeys(
            end for link in links for end in (link.source_id, link.target_id)
            if end not in in_tree
        )
    )  # fmt: skip
    if linked:
        with _registered(con, linked):
            details = con.execute(_DETAILS).to_arrow_table()
        nodes += derivations.nodes(details, linked, [None] * len(linked))
    return LineageGraph(
        focus_id=focus_id,
        top_id=top,
        nodes=nodes,
        links=links,
        history=history,
        tree_size=tree_size,
        hidden_ancestors=len(ancestry) - len(shown),
    )


@dataclass(frozen=True, slots=True)
class _Derivations:
    """Every derivation of the library: each prompt's parent (when it exists), each prompt's
    children in no particular order, and when each derived prompt was created (µs)."""

    parent: dict[str, str]
    children: dict[str, list[str]]
    created: dict[str, int]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> _Derivations:
        ids, parents, created = _columns(con.execute(_DERIVATIONS).to_arrow_table())
        children: dict[str, list[str]] = {}
        for child, parent in zip(ids, parents, strict=True):
            siblings = children.get(parent)
            if siblings is None:
                children[parent] = [child]
            else:
                siblings.append(child)
        return cls(
            dict(zip(ids, parents, strict=True)), children, dict(zip(ids, created, strict=True))
        )

    def ancestry(self, focus_id: str) -> list[str]:
        """The prompt, its parent, grandparent ... up to the root; a parent seen before (a
        cycle, which storage never writes but an import or a hand edit might) ends it."""
        ancestry, seen = [focus_id], {focus_id}
        parent = self.parent.get(focus_id)
        while parent is not None and parent not in seen:
            ancestry.append(parent)
            seen.add(parent)
            parent = self.parent.get(parent)
        return ancestry

    def tree(
        self, top: str, focus_id: str, path: list[str], below: int | None, max_nodes: int
    ) -> tuple[list[str], list[int | None], int]:
        """The ids and generations of the top and its descendants (down to `below`
        generations), parents first, and how many there are. Past `max_nodes`, which to keep:
        the path to the focus, then the focus's descendants, then the rest, each by
        generation, then age; every kept node's parent is kept too, so the kept part is a
        tree."""
        on_path = set(path)
        ranked: tuple[list[str], ...] = ([], [], [])  # on the path, the focus's, the rest
        levels: tuple[list[int | None], ...] = ([], [], [])
        under_focus = {top} if top == focus_id else set()
        generation, frontier = 0, [top]
        while frontier and (below is None or generation < below):
            generation += 1
            found = []
            for parent in frontier:
                under = parent in under_focus
                for child in self.children.get(parent, ()):
                    # Each prompt has one parent, so only the top can be met again (through
                    # a cycle, which storage never writes but an import or a hand edit might).
                    if child != top:
                        found.append(child)
                        if under or child == focus_id:
                            under_focus.add(child)
            found.sort()  # by id, then (a stable sort) by age: the order within a generation
            found.sort(key=self.created.__getitem__)
            for child in found:
                rank = 0 if child in on_path else 1 if child in under_focus else 2
                ranked[rank].append(child)
                levels[rank].append(generation)
            frontier = found
        ids = [top, *ranked[0], *ranked[1], *ranked[2]]
        generations = [0, *levels[0], *levels[1], *levels[2]]
        return ids[:max_nodes], generations[:max_nodes], len(ids)

    def nodes(
        self, details: pa.Table, ids: list[str], generations: list[int | None]
    ) -> tuple[LineageNode, ...]:
        """The prompts `ids`, from their _DETAILS rows, with their generations."""
        names, versions, uses, ratings, parents, archived, created = _columns(details)
        if len(names) != len(ids):  # one was deleted since the walk
            raise NotFound("a prompt of the graph was deleted while it was read; read it again")
        children = [len(self.children.get(node_id, ())) for node_id in ids]
        return tuple(
            map(
                LineageNode, ids, names, versions, uses, ratings, generations, parents, archived,
                children, created,
            )
        )  # fmt: skip


def _columns(table: pa.Table) -> list[list[Any]]:
    """One Python list per column, with no tuple per row (timestamps through numpy: faster
    than Arrow's own conversion)."""
    import pyarrow as pa  # imported on use: `show` must not pay for it

    return [
        column.to_numpy().tolist() if pa.types.is_timestamp(column.type) else column.to_pylist()
        for column in table.columns
    ]


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, ids: list[str]) -> Iterator[None]:
    import pyarrow as pa  # imported on use: `show` must not pay for it

    positions = pa.array(range(len(ids)), pa.int32())
    con.register(_IDS, pa.table({"id": pa.array(ids, pa.string()), "position": positions}))
    try:
        yield
    finally:
        con.unregister(_IDS)
