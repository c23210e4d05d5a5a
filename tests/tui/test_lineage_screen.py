"""The lineage screen: navigation, open, diff, link/unlink, cycle refusal, folding, and how it
looks (80x24, 160x48) on a small fixed graph with a cross-link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from storage import Library
from storage.prompts.lineage_graph import LineageGraph, LineageNode
from tests.tui.conftest import Settle, SnapCompare
from tui.app import PromptdeckApp
from tui.screens.diff import DiffScreen
from tui.screens.edit import EditScreen
from tui.screens.lineage import LineageScreen
from tui.shared.graph_layout import default_folds, layout
from tui.shared.settings import Settings
from tui.widgets.lineage_graph import LineageGraphView
from tui.widgets.status_line import StatusLine

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def build_graph(library: Library) -> None:
    """Summarise <- Explain simply <- For kids, Summarise <- Tweet; For kids similar_to Tweet
    (a cross-link inside the tree), Explain simply depends_on Glossary (outside it)."""
    root = library.prompts.create("Summarise", "Summarise {{topic}} in three bullet points.")
    explain = library.lineage.derive(
        root.id,
        name="Explain simply",
        content="Explain {{topic}} simply.",
        method="simplify",
        improvement_score=0.8,
    )
    kids = library.lineage.derive(
        explain.id, name="For kids", content="Explain {{topic}} to a child."
    )
    library.lineage.derive(
        root.id, name="Tweet", content="Tweet about {{topic}}.", method="shorten"
    )
    library.prompts.create("Glossary", "Define {{term}}.")
    library.lineage.link(kids.id, "Tweet", "similar_to", strength=0.6, context="lay readers")
    library.lineage.link(explain.id, "Glossary", "depends_on")
    library.usage.rate(explain.id, 4)
    library.usage.record("Tweet")


@pytest.fixture
def graph_library(library_from: Callable[..., Library], tmp_path: Path) -> Library:
    return library_from(build_graph, tmp_path / "graph.duckdb")


@pytest.fixture
def graph_app(graph_library: Library, settings: Settings) -> PromptdeckApp:
    return PromptdeckApp(graph_library, settings=settings)


def _open(settle: Settle, prompt: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, PromptdeckApp)
        app.push_screen(LineageScreen(app.library.prompts.get(prompt).id))
        await settle(pilot)

    return run_before


def view(pilot: Pilot[None]) -> LineageGraphView:
    return pilot.app.screen.query_one(LineageGraphView)


def current(pilot: Pilot[None]) -> str:
    row = view(pilot).current
    assert row is not None
    return f"{row.link.type} {row.node.name}" if row.link else row.node.name


def status(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one(StatusLine).render())


@pytest.mark.parametrize("size", SIZES)
def test_lineage_looks(
    graph_app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    assert snap_compare(graph_app, terminal_size=size, run_before=_open(settle, "For kids"))


async def test_ctrl_g_opens_the_graph_of_the_highlighted_prompt(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(pilot.app.screen, LineageScreen)
        highlighted = pilot.app.screen.prompt_id
        row = view(pilot).current
        assert row is not None
        assert row.node.id == highlighted
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, LineageScreen)


async def test_keys_move_along_the_tree(graph_app: PromptdeckApp, settle: Settle) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "For kids")(pilot)
        assert current(pilot) == "For kids"
        await pilot.press("left")
        assert current(pilot) == "Explain simply"
        await pilot.press("h")
        assert current(pilot) == "Summarise"
        await pilot.press("right")
        assert current(pilot) == "Explain simply"
        await pilot.press("right_square_bracket")
        assert current(pilot) == "Tweet"
        await pilot.press("left_square_bracket")
        assert current(pilot) == "Explain simply"
        await pilot.press("left_square_bracket")
        assert current(pilot) == "Explain simply"
        assert status(pilot) == "no sibling that way"
        await pilot.press("j")
        assert current(pilot) == "depends_on Glossary"  # the relationship line under it
        await pilot.press("tab")  # follow it: Glossary is outside the tree, so re-centre
        await settle(pilot)
        assert current(pilot) == "Glossary"
        title = pilot.app.screen.query_one("#lineage-title").render()
        assert str(title) == "1 prompt in the tree · 1 link · lineage of Glossary"


async def test_tab_follows_a_cross_link_inside_the_tree(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "For kids")(pilot)
        await pilot.press("tab")
        assert current(pilot) == "similar_to Tweet"
        await pilot.press("tab")
        assert current(pilot) == "Tweet"
        assert "similar_to ← For kids (0.6)" in str(pilot.app.screen.query_one("#details").render())


async def test_enter_opens_the_node_in_the_editor(graph_app: PromptdeckApp, settle: Settle) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "For kids")(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, EditScreen)
        assert screen.prompt_id == graph_app.library.prompts.get("For kids").id


async def test_d_shows_the_diff_against_the_parent(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "For kids")(pilot)
        await pilot.press("D")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DiffScreen)
        assert screen.title_text == "Explain simply (parent) → For kids"
        assert "-Explain {{topic}} simply.\n+Explain {{topic}} to a child." in screen.diff
        await pilot.press("escape", "h", "h", "D")
        await settle(pilot)
        assert status(pilot) == "prompt 'Summarise' has no parent to compare with"


async def test_l_links_to_a_picked_prompt(graph_app: PromptdeckApp, settle: Settle) -> None:
    library = graph_app.library
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "Tweet")(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"glsry")  # fuzzy: the letters in order
        await settle(pilot)
        await pilot.press("enter")  # the best match: Glossary
        await settle(pilot)
        await pilot.press("down", "enter")  # similar_to is preselected; down: depends_on
        await settle(pilot)
        assert status(pilot) == "linked 'Tweet' depends_on 'Glossary'"
        links = [(r.type, r.target_id) for r in library.lineage.relationships("Tweet")]
        assert ("depends_on", library.prompts.get("Glossary").id) in links
        assert current(pilot) == "Tweet"
        await pilot.press("j")
        assert current(pilot) == "depends_on Glossary"  # links are listed by type


async def test_a_cycle_is_refused_with_an_inline_message(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    library = graph_app.library
    counts = library.db.table_counts()
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "Summarise")(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"for kids", "enter")
        await settle(pilot)
        await pilot.press("up", "up", "enter")  # derived_from: Summarise derives from For kids
        await settle(pilot)
        assert isinstance(pilot.app.screen, LineageScreen)
        line = pilot.app.screen.query_one(StatusLine)
        assert line.has_class("-error")
        assert status(pilot) == (
            "cycle: 'For kids' already derives from 'Summarise', "
            "so 'Summarise' cannot derive from it"
        )
    assert library.db.table_counts() == counts


async def test_x_removes_a_relationship_after_asking(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    library = graph_app.library
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "For kids")(pilot)
        await pilot.press("j", "x")
        await settle(pilot)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert [r.type for r in library.lineage.relationships("For kids")] == [
            "derived_from",
            "similar_to",
        ]
        await pilot.press("x", "y")
        await settle(pilot)
        assert [r.type for r in library.lineage.relationships("For kids")] == ["derived_from"]
        assert current(pilot) == "For kids"
        await pilot.press("x", "y")  # on the prompt itself: its derivation
        await settle(pilot)
        assert library.prompts.get("For kids").parent_id is None
        assert library.prompts.get("Explain simply").generation_count == 0
        screen = pilot.app.screen
        assert isinstance(screen, LineageScreen)
        assert screen.graph is not None
        assert [n.name for n in screen.graph.nodes] == ["For kids"]


async def test_f_folds_and_unfolds_a_subtree(graph_app: PromptdeckApp, settle: Settle) -> None:
    async with graph_app.run_test(size=(100, 30)) as pilot:
        await _open(settle, "Summarise")(pilot)
        rows = len(view(pilot).rows)
        await pilot.press("right", "f")
        await settle(pilot)
        assert current(pilot) == "Explain simply"
        assert len(view(pilot).rows) == rows - 2  # For kids and its link line
        row = view(pilot).current
        assert row is not None and "⊕ 1 folded" in row.text
        await pilot.press("right")  # right on a folded prompt unfolds it
        await settle(pilot)
        assert len(view(pilot).rows) == rows


def _fan(size: int) -> LineageGraph:
    from datetime import datetime

    when = datetime(2026, 1, 1)
    nodes = [LineageNode("hub", "Hub", 1, 0, None, 0, None, False, size, when)]
    for n in range(size):
        spoke, tip = f"s{n:04d}", f"t{n:04d}"  # created together: ordered by id
        nodes.append(LineageNode(spoke, f"S{n}", 1, 0, None, 1, "hub", False, 1, when))
        nodes.append(LineageNode(tip, f"T{n}", 1, 0, None, 2, spoke, False, 0, when))
    return LineageGraph("t0005", "hub", tuple(nodes), (), (), len(nodes), 0)


def test_big_graphs_start_folded_off_the_path() -> None:
    small, big = _fan(900), _fan(1100)  # 1,801 and 2,201 prompts
    assert default_folds(small) == frozenset()
    folds = default_folds(big)
    assert "s0005" not in folds and len(folds) == 1099  # every other spoke
    rows = layout(big, folds)
    assert len(rows) == 1 + 1100 + 1  # the hub, its spokes, and the focus under s5
    assert [r.node.name for r in rows[5:8]] == ["S4", "S5", "T5"]
    assert rows[7].guides == "│ └─" and rows[7].focus


async def test_a_prompt_that_is_gone_is_reported_on_the_status_line(
    graph_app: PromptdeckApp, settle: Settle
) -> None:
    async with graph_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        graph_app.push_screen(LineageScreen("no-such-prompt"))
        status = ""
        for _ in range(50):  # settle() would re-raise the failed read: poll the screen instead
            await pilot.pause(0.05)
            status = str(graph_app.screen.query_one(StatusLine).render())
            if status.strip():
                break
        assert "no prompt matches 'no-such-prompt'" in status
