"""`promptdeck lineage`: the graph as text and JSON; derived_from links set the parent."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def family(cli: Cli, sample: dict[str, str]) -> None:
    """Summarise <- Explain <- Kids, Summarise <- Tweet; Kids similar_to Tweet (0.6)."""
    cli.ok("derive", "Explain", "--name", "Kids", stdin="Explain {{topic}} to a child.")
    cli.ok("derive", "Summarise", "--name", "Tweet", stdin="Tweet about {{topic}}.")
    cli.ok("link", "Kids", "Tweet", "--type", "similar_to", "--strength", "0.6")
    cli.ok("rate", "Explain", "4")
    cli.ok("use", "Tweet", "topic=x")


def test_lineage_prints_the_tree_with_cross_links(cli: Cli, sample: dict[str, str]) -> None:
    family(cli, sample)
    assert cli.ok("lineage", "Kids") == (
        "○ Summarise  v1 · 0 uses\n"
        "├─○ Explain  v1 · 0 uses · ★4.0\n"
        "│ └─● Kids  v1 · 0 uses\n"
        "│     ┄ similar_to 0.6 → Tweet  v1 · 1 use\n"
        "└─○ Tweet  v1 · 1 use\n"
        "    ┄ similar_to 0.6 ← Kids  v1 · 0 uses\n"
    )


def test_lineage_depth_and_max_nodes(cli: Cli, sample: dict[str, str]) -> None:
    family(cli, sample)
    assert cli.ok("lineage", "Explain", "--depth", "0") == (
        "↑ 1 more ancestor above\n● Explain  v1 · 0 uses · ★4.0  … 1 more not shown\n"
    )
    out = cli.ok("lineage", "Kids", "--max-nodes", "3")
    assert out.splitlines()[-1] == "… showing 3 of 4 prompts in this tree"
    assert "Tweet  v1 · 1 use\n" not in out.replace("→ Tweet", "")


def test_lineage_json(cli: Cli, sample: dict[str, str]) -> None:
    family(cli, sample)
    graph = cli.json("lineage", "Kids")
    assert graph["focus_id"] == cli.json("show", "Kids")["prompt"]["id"]
    assert graph["top_id"] == sample["Summarise"]
    tree = {n["name"]: n["generation"] for n in graph["nodes"]}
    assert tree == {"Summarise": 0, "Explain": 1, "Tweet": 1, "Kids": 2}
    assert [(x["type"], x["strength"]) for x in graph["links"]] == [("similar_to", 0.6)]
    assert [h["method"] for h in graph["history"]] == ["manual"] * 3
    assert (graph["tree_size"], graph["hidden_ancestors"], graph["truncated"]) == (4, 0, False)


def test_lineage_errors(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    assert cli.fails("lineage", "nobody") == "promptdeck: no prompt matches 'nobody'"
    assert "--depth" in cli.fails("lineage", "Explain", "--depth", "-1", code=2)
    assert cli.counts() == before


def test_link_derived_from_sets_the_parent_and_refuses_a_second(
    cli: Cli, sample: dict[str, str]
) -> None:
    other = cli.add("Other", "Another prompt.")
    cli.ok("link", "Other", "Explain", "--type", "derived_from")
    assert cli.json("show", "Other")["prompt"]["parent_id"] == sample["Explain"]
    assert "└─● Other" in cli.ok("lineage", other)
    before = cli.counts()
    message = cli.fails("link", "Other", "Summarise", "--type", "derived_from")
    assert message == (
        "promptdeck: parent: 'Other' already derives from 'Explain'; a prompt has one parent, "
        "unlink that derivation first"
    )
    assert cli.counts() == before
    cli.ok("unlink", "Other", "Explain", "--type", "derived_from")
    assert cli.json("show", "Other")["prompt"]["parent_id"] is None
