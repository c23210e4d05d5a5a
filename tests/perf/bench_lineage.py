"""Lineage screen on a 10,000-prompt derivation forest: query, layout and first paint.

    python tests/perf/bench_lineage.py [--prompts 10000] [--trees 10] [--db PATH]

The library comes from tests/perf/generate.py; its lineage is then rewired so that every
prompt belongs to one of `--trees` derivation trees (random recursive trees, half the links
extending recent chains, so both fans and deep chains occur), with parent_id, the derived_from
rows and generation_count agreeing as storage keeps them. Measured for the deepest prompt of
a tree of prompts/trees nodes, and for one tree holding the whole forest (folded by default).

The first paint is timed with App.run_test (headless): from pushing the screen to the
graph widget drawing its first line with the rows in place. The reference is the naive way:
one query per prompt (library.get up the parents, library.children down the tree)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from textual.strip import Strip

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library  # noqa: E402
from storage.db.connection import connect  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.screens.lineage import LineageScreen  # noqa: E402
from tui.shared.graph_layout import default_folds, layout  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402
from tui.widgets.lineage_graph import LineageGraphView  # noqa: E402

TARGET_MS = 300.0
RUNS = 5


def rewire(path: Path, trees: int, seed: int = 1) -> None:
    """Put every prompt into one of `trees` derivation trees, oldest first."""
    con = connect(path)
    try:
        ids = [
            row[0] for row in con.sql("SELECT id FROM prompts ORDER BY created_at, id").fetchall()
        ]
        rng = np.random.default_rng(seed)
        parent: list[str | None] = []
        members: list[list[int]] = [[] for _ in range(trees)]
        for i in range(len(ids)):
            tree = members[i % trees]
            if not tree:
                parent.append(None)
            elif rng.random() < 0.5:  # extend one of the newest: chains
                parent.append(ids[tree[-1 - int(rng.random() * min(len(tree), 5))]])
            else:  # anywhere: fans
                parent.append(ids[tree[int(rng.random() * len(tree))]])
            tree.append(i)
        con.register("rewired", pa.table({"id": ids, "parent": parent}))
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "UPDATE prompts SET parent_id = r.parent FROM rewired r WHERE r.id = prompts.id"
        )
        con.execute("DELETE FROM relationships WHERE type = 'derived_from'")
        con.execute(
            "INSERT INTO relationships SELECT id, parent_id, 'derived_from', 1.0, 'rewired', "
            "created_at FROM prompts WHERE parent_id IS NOT NULL"
        )
        con.execute(
            "UPDATE prompts SET generation_count = "
            "(SELECT count(*) FROM prompts c WHERE c.parent_id = prompts.id)"
        )
        con.execute("COMMIT")
    finally:
        con.close()


def deepest(library: Library, tree_of: str | None = None) -> str:
    """The deepest prompt (of the tree rooted at `tree_of`, if given)."""
    where = f"WHERE root_id = '{tree_of}'" if tree_of else ""
    _, rows = library.db.query(
        f"SELECT id FROM mart.lineage {where} ORDER BY depth DESC, id LIMIT 1"
    )
    return str(rows[0][0])


def naive_graph(library: Library, focus: str) -> int:
    """Reference: parents one `get` at a time up to the root, then `children` of every prompt
    of the tree, breadth first. Returns the number of prompts found."""
    top = library.prompts.get(focus)
    while top.parent_id is not None:
        top = library.prompts.get(top.parent_id)
    found, queue = 0, [top.id]
    while queue:
        node = queue.pop()
        found += 1
        queue.extend(child.id for child in library.lineage.children(node))
    return found


async def first_paint(library: Library, settings: Settings, focus: str) -> float:
    """Seconds from pushing the lineage screen to its graph drawing rows."""
    painted = asyncio.Event()
    render_line = LineageGraphView.render_line

    def watched(self: LineageGraphView, y: int) -> Strip:  # a LineageGraphView method
        if self.rows:
            painted.set()
        return render_line(self, y)

    LineageGraphView.render_line = watched  # type: ignore[method-assign]
    try:
        app = PromptdeckApp(library, settings=settings)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            started = time.perf_counter()
            app.push_screen(LineageScreen(focus))
            await painted.wait()
            return time.perf_counter() - started
    finally:
        LineageGraphView.render_line = render_line  # type: ignore[method-assign]


def measure(library: Library, settings: Settings, focus: str) -> dict[str, float]:
    queries, layouts, paints = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        graph = library.lineage.graph(focus)
        queries.append(time.perf_counter() - started)
        started = time.perf_counter()
        layout(graph, default_folds(graph))
        layouts.append(time.perf_counter() - started)
        paints.append(asyncio.run(first_paint(library, settings, focus)))
    started = time.perf_counter()
    found = naive_graph(library, focus)
    naive = time.perf_counter() - started
    assert found == graph.tree_size, (found, graph.tree_size)
    tree = sum(1 for n in graph.nodes if n.in_tree)
    return {
        "tree": tree,
        "depth": max(n.generation or 0 for n in graph.nodes),
        "query": statistics.median(queries) * 1000,
        "layout": statistics.median(layouts) * 1000,
        "paint": statistics.median(paints) * 1000,
        "naive": naive * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--trees", type=int, default=10)
    parser.add_argument("--db", type=Path, help="reuse (or create) this library")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "config.toml")
        for trees in (args.trees, 1):
            path = (args.db or Path(tmp) / "bench.duckdb").with_suffix(f".{trees}.duckdb")
            if not path.exists():
                with Library(path) as library:
                    generate(library, args.prompts)
                rewire(path, trees)
            library = Library(path, linger=LINGER_SECONDS).open()
            try:
                results.append((trees, measure(library, settings, deepest(library))))
            finally:
                library.close()
    print(f"\nlineage screen, {args.prompts:,}-prompt derivation forest, median of {RUNS} runs")
    header = ("figure", "prompts in tree", "depth", "measured (ms)", "target", "naive (ms)",
              "ratio")  # fmt: skip
    rows = []
    for trees, r in results:
        where = f"{trees} trees" if trees > 1 else "1 tree"
        rows += [
            (f"{where}: storage query", r["tree"], r["depth"], f"{r['query']:.1f}", "", 
             f"{r['naive']:.0f}", f"{r['naive'] / r['query']:.0f}x faster"),
            (f"{where}: layout", "", "", f"{r['layout']:.1f}", "", "", ""),
            (f"{where}: push -> first paint", "", "", f"{r['paint']:.1f}", f"< {TARGET_MS:.0f}",
             "", ""),
        ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = all(r["paint"] < TARGET_MS for _, r in results)
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
