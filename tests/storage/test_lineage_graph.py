"""lineage_graph, parent_diff, mart.lineage, generation_count and the parent_id/derived_from
agreement, on small trees and on 50-level chains and 1,000-child fans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.errors import AlreadyDerived, CycleError, NotFound, ValidationError
from tests.helpers import ancestors

Sql = Callable[..., list[tuple[Any, ...]]]

# Prompts whose generation_count is not their number of children, and derived_from rows that
# disagree with parent_id (either way): all three must stay empty.
MISCOUNTED = """
SELECT p.name FROM prompts p
WHERE p.generation_count <> (SELECT count(*) FROM prompts c WHERE c.parent_id = p.id)
"""
ROW_WITHOUT_PARENT = """
SELECT r.source_id FROM relationships r JOIN prompts p ON p.id = r.source_id
WHERE r.type = 'derived_from' AND p.parent_id IS DISTINCT FROM r.target_id
"""
PARENT_WITHOUT_ROW = """
SELECT p.id FROM prompts p WHERE p.parent_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM relationships r
    WHERE r.source_id = p.id AND r.target_id = p.parent_id AND r.type = 'derived_from')
"""


def consistent(sql: Sql) -> bool:
    return not (sql(MISCOUNTED) or sql(ROW_WITHOUT_PARENT) or sql(PARENT_WITHOUT_ROW))


def build_family(library: Library) -> None:
    """Root <- Left <- Leaf, Root <- Right; Leaf similar_to Outside (0.6), Right depends_on
    Leaf; Leaf rated 4."""
    root = library.prompts.create("Root", "root text")
    left = library.lineage.derive(root.id, name="Left", content="left text", improvement_score=0.7)
    library.lineage.derive(root.id, name="Right", content="right text", method="shorten")
    leaf = library.lineage.derive(left.id, name="Leaf", content="leaf text")
    library.prompts.create("Outside", "outside text")
    library.lineage.link("Leaf", "Outside", "similar_to", strength=0.6, context="same job")
    library.lineage.link("Right", "Leaf", "depends_on")
    library.usage.rate(leaf.id, 4)


@pytest.fixture
def family(library_from: Callable[..., Library]) -> Library:
    return library_from(build_family)


def names(library: Library, ids: list[str]) -> list[str]:
    return [library.prompts.get(i).name for i in ids]


def test_graph_of_a_leaf_holds_its_whole_tree_and_links(family: Library) -> None:
    graph = family.lineage.graph("Leaf")
    by_name = {n.name: n for n in graph.nodes}
    assert graph.focus_id == by_name["Leaf"].id
    assert graph.top_id == by_name["Root"].id
    assert [n.name for n in graph.nodes if n.in_tree] == ["Root", "Left", "Leaf", "Right"]
    assert [n.name for n in graph.nodes if not n.in_tree] == ["Outside"]
    assert {n.name: n.generation for n in graph.nodes} == {
        "Root": 0,
        "Left": 1,
        "Leaf": 2,
        "Right": 1,
        "Outside": None,
    }
    leaf = by_name["Leaf"]
    assert (leaf.version, leaf.uses, leaf.rating, leaf.parent_id, leaf.archived) == (
        1,
        0,
        4.0,
        by_name["Left"].id,
        False,
    )
    assert (by_name["Root"].children, by_name["Left"].children, leaf.children) == (2, 1, 0)
    assert sorted(names(family, [c for c, _ in graph.derivations])) == ["Leaf", "Left", "Right"]
    name = {p.id: p.name for p in family.prompts.list_prompts()}
    links = [(name[x.source_id], x.type, name[x.target_id], x.strength) for x in graph.links]
    assert links == [("Right", "depends_on", "Leaf", 1.0), ("Leaf", "similar_to", "Outside", 0.6)]
    history = {
        family.prompts.get(s.prompt_id).name: (s.method, s.improvement_score) for s in graph.history
    }
    assert history == {
        "Left": ("manual", 0.7),
        "Right": ("shorten", None),
        "Leaf": ("manual", None),
    }
    assert (graph.tree_size, graph.hidden_ancestors, graph.truncated) == (4, 0, False)


def test_graph_depth_limits_both_ways(family: Library) -> None:
    graph = family.lineage.graph("Left", depth=0)
    assert [n.name for n in graph.nodes if n.in_tree] == ["Left"]
    assert graph.hidden_ancestors == 1
    assert graph.links == ()  # Leaf's links are not in a graph that stops at Left
    one = family.lineage.graph("Left", depth=1)
    assert [n.name for n in one.nodes if n.in_tree] == ["Root", "Left", "Leaf", "Right"]
    with pytest.raises(ValidationError) as caught:
        family.lineage.graph("Left", depth=-1)
    assert caught.value.field == "depth"


def test_graph_of_an_unrelated_prompt_is_itself(family: Library) -> None:
    graph = family.lineage.graph("Outside")
    assert [(n.name, n.generation) for n in graph.nodes] == [
        ("Outside", 0),
        ("Leaf", None),
    ]
    with pytest.raises(NotFound):
        family.lineage.graph("nobody")


def build_fan(library: Library) -> None:
    """Hub with 1,000 children (bulk-inserted as derive would write them), and Spoke 500
    with a child of its own."""
    hub = library.prompts.create("Hub", "hub")
    now = library.db.clock()
    ids = [f"fan-{n:04d}" for n in range(1000)]
    library.db.bulk_insert(
        {
            "prompts": pa.table(
                {
                    "id": ids,
                    "name": [f"Spoke {n}" for n in range(1000)],
                    "content": [f"spoke {n}" for n in range(1000)],
                    "content_hash": [f"h{n}" for n in range(1000)],
                    "parent_id": [hub.id] * 1000,
                    "source_type": ["derived"] * 1000,
                    "created_at": [now] * 1000,
                    "updated_at": [now] * 1000,
                }
            ),
            "relationships": pa.table(
                {
                    "source_id": ids,
                    "target_id": [hub.id] * 1000,
                    "type": ["derived_from"] * 1000,
                    "created_at": [now] * 1000,
                }
            ),
        }
    )
    library.lineage.link("Spoke 500", "Hub", "enhanced_from", strength=0.5)
    library.lineage.derive("Spoke 500", name="Rim", content="rim")


def test_a_thousand_child_fan(library_from: Callable[..., Library]) -> None:
    library = library_from(build_fan)
    graph = library.lineage.graph("Rim")
    assert graph.tree_size == 1002
    assert sum(1 for n in graph.nodes if n.in_tree) == 1002
    assert [library.prompts.get(i).name for i in (graph.top_id,)] == ["Hub"]
    rim = next(n for n in graph.nodes if n.name == "Rim")
    assert rim.generation == 2
    ((source, target),) = [(x.source_id, x.target_id) for x in graph.links]
    assert names(library, [source, target]) == ["Spoke 500", "Hub"]  # enhanced_from cross-link


def test_max_nodes_keeps_the_path_and_the_focus_subtree(
    library_from: Callable[..., Library],
) -> None:
    library = library_from(build_fan)
    graph = library.lineage.graph("Spoke 500", max_nodes=10)
    tree = [n.name for n in graph.nodes if n.in_tree]
    assert tree[:3] == ["Hub", "Spoke 500", "Rim"]
    assert len(tree) == 10 and graph.truncated and graph.tree_size == 1002
    kept = {n.id for n in graph.nodes if n.in_tree}
    assert all(n.parent_id in kept for n in graph.nodes if n.in_tree and n.id != graph.top_id)


def build_chain(library: Library) -> None:
    """C0 <- C1 <- ... <- C49: fifty generations."""
    previous = library.prompts.create("C0", "chain 0")
    for n in range(1, 50):
        previous = library.lineage.derive(previous.id, name=f"C{n}", content=f"chain {n}")


def test_a_fifty_level_chain(library_from: Callable[..., Library]) -> None:
    library = library_from(build_chain)
    bottom = library.lineage.graph("C49")
    assert [n.name for n in bottom.nodes] == [f"C{n}" for n in range(50)]
    assert [n.generation for n in bottom.nodes] == list(range(50))
    assert len(ancestors(library, "C49")) == 49
    middle = library.lineage.graph("C25", depth=3)
    assert [n.name for n in middle.nodes] == [f"C{n}" for n in range(22, 29)]
    assert middle.hidden_ancestors == 22
    _, rows = library.db.query("SELECT max(depth), count(*), max(len(path)) FROM mart.lineage")
    assert rows == [(49, 50, 50)]


def test_a_parent_cycle_in_the_data_does_not_hang_the_walk(library: Library, sql: Sql) -> None:
    """Storage never writes one; an import or hand edit might. The walks stop anyway."""
    a = library.prompts.create("A", "a")
    b = library.lineage.derive(a.id, name="B", content="b")
    c = library.lineage.derive(b.id, name="C", content="c")
    sql("UPDATE prompts SET parent_id = ? WHERE id = ?", [c.id, a.id])  # A <- B <- C <- A
    graph = library.lineage.graph("B")
    assert sorted(n.name for n in graph.nodes) == ["A", "B", "C"]
    assert graph.tree_size == 3
    assert library.db.query("SELECT count(*) FROM mart.lineage")[1] == [(0,)]  # no root: no rows


def test_a_parent_that_is_gone_ends_the_walk_up(library: Library, sql: Sql) -> None:
    """A parent_id naming no prompt (a hand edit): the prompt is the top of its own tree, and
    the derived_from row it no longer mirrors is drawn as a link."""
    a = library.prompts.create("A", "a")
    b = library.lineage.derive(a.id, name="B", content="b")
    library.lineage.derive(b.id, name="C", content="c")
    sql("UPDATE prompts SET parent_id = 'gone' WHERE id = ?", [b.id])
    graph = library.lineage.graph("C")
    assert [(n.name, n.generation) for n in graph.nodes] == [("B", 0), ("C", 1), ("A", None)]
    assert (graph.top_id, graph.tree_size, graph.hidden_ancestors) == (b.id, 2, 0)
    assert [(x.source_id, x.type, x.target_id) for x in graph.links] == [
        (b.id, "derived_from", a.id)
    ]


def test_mart_lineage_columns(family: Library) -> None:
    _, rows = family.db.query(
        "SELECT p.name, l.depth, l.children, r.name, q.name FROM mart.lineage l "
        "JOIN prompts p ON p.id = l.id JOIN prompts r ON r.id = l.root_id "
        "LEFT JOIN prompts q ON q.id = l.parent_id ORDER BY l.depth, p.name"
    )
    assert rows == [
        ("Outside", 0, 0, "Outside", None),
        ("Root", 0, 2, "Root", None),
        ("Left", 1, 1, "Root", "Root"),
        ("Right", 1, 0, "Root", "Root"),
        ("Leaf", 2, 0, "Root", "Left"),
    ]


def test_parent_diff(family: Library) -> None:
    family.prompts.update("Left", {"content": "left text, edited", "temperature": 0.3}, "warmer")
    diff = family.lineage.parent_diff("Leaf")
    assert (diff.old.name, diff.old.version, diff.new.name, diff.new.version) == (
        "Left",
        2,
        "Leaf",
        1,
    )
    assert "-left text, edited\n+leaf text" in diff.unified
    assert diff.changed_fields == {"name": ("Left", "Leaf"), "temperature": (0.3, None)}
    with pytest.raises(NotFound, match="'Root' has no parent"):
        family.lineage.parent_diff("Root")


def test_generation_count_follows_every_change(family: Library, sql: Sql) -> None:
    def children(name: str) -> int:
        return family.prompts.get(name).generation_count

    assert consistent(sql) and children("Root") == 2
    family.lineage.derive("Root", name="Third", content="third text")
    assert children("Root") == 3
    family.lineage.set_parent("Third", "Left")  # re-parent
    assert (children("Root"), children("Left")) == (2, 2)
    family.lineage.unlink("Third", "Left", "derived_from")
    assert children("Left") == 1 and consistent(sql)
    family.lineage.link("Third", "Right", "derived_from")
    assert (
        children("Right") == 1
        and family.prompts.get("Third").parent_id == family.prompts.get("Right").id
    )
    family.prompts.delete("Third")
    assert children("Right") == 0 and consistent(sql)
    family.prompts.delete("Left", force=True)  # Leaf becomes a root
    assert children("Root") == 1 and family.prompts.get("Leaf").parent_id is None
    assert consistent(sql)


def test_derived_from_link_sets_the_parent(family: Library, sql: Sql) -> None:
    link = family.lineage.link("Outside", "Right", "derived_from", strength=0.4, context="reworded")
    outside = family.prompts.get("Outside")
    assert outside.parent_id == family.prompts.get("Right").id
    assert (link.type, link.strength, link.context) == ("derived_from", 0.4, "reworded")
    assert consistent(sql)
    graph = family.lineage.graph("Outside")
    assert next(n for n in graph.nodes if n.name == "Outside").generation == 2
    assert [x.type for x in graph.links] == ["depends_on", "similar_to"]  # not derived_from
    assert len(sql("SELECT * FROM enhancement_history WHERE prompt_id = ?", [outside.id])) == 1


def test_a_second_parent_by_link_is_refused(family: Library, sql: Sql) -> None:
    counts = family.db.table_counts()
    with pytest.raises(AlreadyDerived) as caught:
        family.lineage.link("Leaf", "Right", "derived_from")
    assert str(caught.value) == (
        "parent: 'Leaf' already derives from 'Left'; a prompt has one parent, "
        "unlink that derivation first"
    )
    assert caught.value.field == "parent"
    with pytest.raises(ValidationError, match="already linked"):
        family.lineage.link("Leaf", "Left", "derived_from")
    with pytest.raises(CycleError):
        family.lineage.link("Root", "Leaf", "derived_from")
    assert family.db.table_counts() == counts
    assert consistent(sql)
