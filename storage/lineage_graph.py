"""The derivation graph around one prompt, read with recursive SQL (no Python recursion)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.models import Record

DEFAULT_MAX_NODES = 20_000
# The walk down cannot loop even on corrupt data (it never re-enters the top, and a cycle not
# through the top cannot be reached from it: each prompt has one parent); this is a backstop.
_MAX_GENERATIONS = 1_000_000

# The prompt, its parent, grandparent ... up to the root; a parent seen before ends the walk.
_ANCESTRY = """
WITH RECURSIVE edges AS MATERIALIZED (
    SELECT id, parent_id FROM prompts WHERE parent_id IS NOT NULL
), up(id, hops, path) AS (
    SELECT $focus::VARCHAR, 0, [$focus::VARCHAR]
    UNION ALL
    SELECT e.parent_id, up.hops + 1, list_append(up.path, e.parent_id)
    FROM up JOIN edges e ON e.id = up.id
    WHERE NOT list_contains(up.path, e.parent_id)
)
SELECT up.id FROM up SEMI JOIN prompts p ON p.id = up.id ORDER BY up.hops
"""

_NODE_COLUMNS = """
p.id, p.name, p.current_version, p.usage_count, r.rating, p.parent_id,
p.archived_at IS NOT NULL, coalesce(k.children, 0), p.created_at"""


def _details(ids: str) -> str:
    """Rating and number of children of the prompts whose ids `ids` (a table) lists."""
    return f"""
LEFT JOIN (
    SELECT prompt_id, avg(rating) AS rating FROM feedback
    WHERE prompt_id IN (SELECT id FROM {ids}) GROUP BY prompt_id
) r ON r.prompt_id = p.id
LEFT JOIN (
    SELECT parent_id, count(*) AS children FROM prompts
    WHERE parent_id IN (SELECT id FROM {ids}) GROUP BY parent_id
) k ON k.parent_id = p.id"""


# Every descendant of the top node with its generation below it, and the details of each.
# Which of them to keep when there are more than max_nodes: the path to the focus, then the
# focus's descendants, then the rest, each by generation. Every kept node's parent is kept
# too, so the kept part is a tree.
_TREE = f"""
WITH RECURSIVE edges AS MATERIALIZED (
    SELECT id, parent_id FROM prompts WHERE parent_id IS NOT NULL
), down(id, generation, under_focus) AS (
    SELECT $top::VARCHAR, 0, $top = $focus
    UNION ALL
    SELECT e.id, d.generation + 1, d.under_focus OR e.id = $focus
    FROM down d JOIN edges e ON e.parent_id = d.id
    WHERE e.id <> $top AND d.generation < $generations
), tree AS MATERIALIZED (
    SELECT d.id, d.generation, count(*) OVER () AS tree_size,
           row_number() OVER (ORDER BY
               CASE WHEN list_contains($path, d.id) THEN 0 WHEN d.under_focus THEN 1 ELSE 2 END,
               d.generation, p.created_at, p.id) AS rank
    FROM down d JOIN prompts p ON p.id = d.id
    QUALIFY rank <= $max_nodes
)
SELECT {_NODE_COLUMNS}, t.generation, t.tree_size
FROM tree t JOIN prompts p ON p.id = t.id {_details("tree")}
ORDER BY t.rank
"""

# The queries below read the ids they are about from a registered Arrow table (`_IDS`):
# binding a list of thousands of ids as a parameter costs more than the queries themselves.
_IDS = "lineage_ids"

_NODES = f"SELECT {_NODE_COLUMNS} FROM {_IDS} w JOIN prompts p ON p.id = w.id {_details(_IDS)}"

# Every relationship touching the tree except the derived_from rows that mirror parent_id
# (those are the tree's own edges, drawn as such, or cut from the graph).
_LINKS = f"""
WITH touching AS (
    SELECT * FROM relationships WHERE source_id IN (SELECT id FROM {_IDS})
    UNION
    SELECT * FROM relationships WHERE target_id IN (SELECT id FROM {_IDS})
)
SELECT r.source_id, r.target_id, r.type, r.strength, r.context
FROM touching r JOIN prompts s ON s.id = r.source_id SEMI JOIN prompts t ON t.id = r.target_id
WHERE NOT (r.type = 'derived_from' AND s.parent_id IS NOT DISTINCT FROM r.target_id)
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
    ancestry = [row[0] for row in con.execute(_ANCESTRY, {"focus": focus_id}).fetchall()]
    shown = ancestry if depth is None else ancestry[: depth + 1]
    top = shown[-1]
    below = _MAX_GENERATIONS if depth is None else len(shown) - 1 + depth
    tree = con.execute(
        _TREE,
        {
            "top": top,
            "focus": focus_id,
            "path": shown,
            "generations": below,
            "max_nodes": max(max_nodes, len(shown)),
        },
    ).fetchall()
    generation = {row[0]: row[-2] for row in tree}
    with _registered(con, list(generation)):
        links = tuple(LineageLink(*row) for row in con.execute(_LINKS).fetchall())
        history = tuple(EnhancementStep(*row) for row in con.execute(_HISTORY).fetchall())
    nodes = [_node(row[:-2], row[-2]) for row in tree]
    linked = list(
        dict.fromkeys(
            end for link in links for end in (link.source_id, link.target_id)
            if end not in generation
        )
    )  # fmt: skip
    if linked:
        with _registered(con, linked):
            found = {row[0]: row for row in con.execute(_NODES).fetchall()}
        nodes += [_node(found[i], None) for i in linked]
    return LineageGraph(
        focus_id=focus_id,
        top_id=top,
        nodes=tuple(nodes),
        links=links,
        history=history,
        tree_size=int(tree[0][-1]),
        hidden_ancestors=len(ancestry) - len(shown),
    )


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, ids: list[str]) -> Iterator[None]:
    con.register(_IDS, pa.table({"id": pa.array(ids, pa.string())}))
    try:
        yield
    finally:
        con.unregister(_IDS)


def _node(row: tuple[Any, ...], generation: int | None) -> LineageNode:
    node_id, name, version, uses, rating, parent_id, archived, children, created_at = row
    return LineageNode(
        node_id,
        name,
        version,
        uses,
        None if rating is None else float(rating),
        generation,
        parent_id,
        archived,
        children,
        created_at,
    )
