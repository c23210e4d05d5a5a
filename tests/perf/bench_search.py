"""Search at 100,000 prompts x 384 dims: semantic (search_table, search, SQL path), hybrid,
BM25 text, similar, the first-call loads, the first searches after an edit, the index build
and local embedding throughput.

    python tests/perf/bench_search.py [--prompts 100000] [--db PATH ...] [--runs 7]

The library comes from tests/perf/generate.py (vectors from the local provider), or is a copy
of each --db (the bench builds its text index and edits a prompt; its active model's vectors
rank), held open as the TUI holds it (lingering). Warm figures (the ANN index built, at a
size that has one) are medians over every query x run, each run timed right after a run of
its reference (paired, so that the load of a shared machine weighs on both alike); the ratio
is figure median / reference median. The reference is numpy
brute force (matrix @ query, argpartition, argsort of the top) over the very matrix the
library loaded, or for text the fts extension's match_bm25 macro over every row (the naive
way). Warm figures include embedding the query (not cached) and building the result's rows.
What a first call loads (rows, ratings, text index, matrix and filter masks) is timed on its
own and listed apart, not hidden in a warm-up."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, PromptFilter  # noqa: E402
from storage.db.connection import connect, load_fts  # noqa: E402
from storage.search.embedding import LocalProvider  # noqa: E402
from storage.search.embeddings import EMBEDDED_TEXT_SQL  # noqa: E402
from tests.perf.columns import Row, print_columns, print_rows, write_rows  # noqa: E402
from tests.perf.generate import embed_all, generate  # noqa: E402

DIMS = 384
TEXT_QUERIES = [
    "review security",
    "summarise meeting notes",
    "json extraction",
    "newsletter teaser startups",
    "translate",
    "secur",  # as you type: a prefix
]
SEMANTIC_QUERIES = [
    "review this code for security problems",
    "write a short newsletter teaser",
    "extract fields from an invoice as JSON",
    "classify a support ticket",
    "summarise a long meeting",
]
SEMANTIC_TARGET = "< 30 ms, <= 1.5x"


def ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def paired(
    queries: list[str],
    figure: Callable[[str], object],
    reference: Callable[[str], object],
    runs: int,
) -> tuple[float, float]:
    """Medians of figure and reference, each figure run right after a reference run."""
    measured: list[float] = []
    references: list[float] = []
    for query in queries:
        figure(query)  # not timed: a query's first run (the filter masks are already loaded)
        for _ in range(runs):
            references.append(ms(lambda: reference(query)))  # noqa: B023
            measured.append(ms(lambda: figure(query)))  # noqa: B023
    return statistics.median(measured), statistics.median(references)


def brute_force(matrix: np.ndarray, query: np.ndarray, k: int = 10) -> np.ndarray:
    scores = matrix @ query
    top = np.argpartition(scores, len(scores) - k)[-k:]
    return top[np.argsort(-scores[top])]


def row(name: str, value: float, target: str, reference: float, against: str) -> Row:
    return (name, f"{value:.1f} ms", target, f"{value / reference:.2f}x {against}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument(
        "--db", type=Path, action="append",
        help="reuse (or create) this library; repeat for a column each (100k beside 1M), each "
        "measured on a copy, in a process of its own",
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=7, help="timed runs per query and figure")
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)  # (one column's run)
    args = parser.parse_args()
    if args.db and len(args.db) > 1:
        title = f"search, {args.runs} paired runs per query (median)"
        rest = ["--runs", str(args.runs), "--prompts", str(args.prompts)]
        print_columns(__file__, args.db, rest, title)
        return 0
    given = args.db[0] if args.db else None
    folder = Path(tempfile.mkdtemp(prefix="bench-search-"))
    # The copy's kept text index and vectors go to a cache dir of its own: written into the
    # user's, they would prune the kept ones of the user's libraries.
    os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
    try:
        made = given or folder / "made.duckdb"
        if not made.exists():  # (kept for the next run when given)
            with Library(made) as library:
                generate(library, args.prompts)
                embed_all(library, DIMS)
        path = folder / "bench.duckdb"
        shutil.copy(made, path)  # a copy: the bench builds its index and edits
        return measure(args, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(args: argparse.Namespace, path: Path) -> int:
    runs: int = args.runs
    rows: list[Row] = []
    with Library(path) as library:
        _, found = library.db.query(
            f"SELECT {EMBEDDED_TEXT_SQL} FROM prompts p LIMIT 20000", limit=20_000
        )
        texts = [r[0] for r in found]
        seconds = statistics.median(ms(lambda: LocalProvider(DIMS).embed(texts)) for _ in range(3))
        rate = len(texts) / (seconds / 1000)
        rows.append(("local embedding throughput", f"{rate:,.0f} prompts/s", ">= 5,000/s", ""))
        build_s = ms(library.search.build_text_index) / 1000
    rows.append(("text index build (fts + postings)", f"{build_s:.1f} s", "", ""))

    library = Library(path, linger=600).open()
    provider = library.search._cache.query_provider(None)  # the library's active model
    where = PromptFilter()

    # First calls, each timed on its own (prepare_search is what the browse screen runs).
    cache = library.search._cache  # what a first call loads is timed on its own
    first_rows = ms(cache.prompt_rows)
    first_text = ms(lambda: library.search.prepare("text"))
    first_semantic = ms(lambda: library.search.prepare("semantic"))
    index_s = ms(cache.vectors.wait) / 1000  # the ANN index, at a size that has one
    rows += [
        ("first call: browse rows + ratings", f"{first_rows:.0f} ms", "once per open", ""),
        ("first call: text index (postings)", f"{first_text:.0f} ms", "once per open", ""),
        ("first call: matrix + filter masks", f"{first_semantic:.0f} ms", "once per open", ""),
        ("  then the ANN index built (background)", f"{index_s:.1f} s", "once per library", ""),
    ]

    base = cache.vectors.held()[provider.model].base
    matrix = np.asarray(base.vectors)
    vectors = {q: provider.embed([q])[0] for q in SEMANTIC_QUERIES}

    def brute(query: str) -> object:
        return brute_force(matrix, vectors[query])

    def table(mode: str, limit: int = 10, engine: str = "numpy") -> Callable[[str], object]:
        return lambda q: library.search.table(q, mode, where, limit, engine=engine)

    # Semantic top-10 against brute force over the library's own matrix.
    numpy_ms, ref = paired(SEMANTIC_QUERIES, table("semantic"), brute, runs)
    rows.append(row("semantic top-10, search_table", numpy_ms, SEMANTIC_TARGET, ref, "brute"))
    rows.append(("  reference: numpy brute force", f"{ref:.1f} ms", "", "1.00x"))
    hits_ms, ref = paired(
        SEMANTIC_QUERIES,
        lambda q: library.search.search(q, "semantic", where, 10, engine="numpy"),
        brute,
        runs,
    )
    rows.append(row("semantic top-10, search (snippets)", hits_ms, SEMANTIC_TARGET, ref, "brute"))
    rows.append(("  reference: numpy brute force", f"{ref:.1f} ms", "", "1.00x"))
    page_ms, ref = paired(SEMANTIC_QUERIES, table("semantic", 500), brute, runs)
    rows.append(row("semantic, browse page of 500", page_ms, "", ref, "brute"))
    sql_ms, ref = paired(SEMANTIC_QUERIES, table("semantic", engine="sql"), brute, 2)
    rows.append(row("semantic top-10, SQL path", sql_ms, "", ref, "brute"))

    hybrid_ms, ref = paired(SEMANTIC_QUERIES, table("hybrid"), brute, runs)
    rows.append(row("hybrid top-10 (RRF)", hybrid_ms, "< 80 ms", ref, "brute"))
    rows.append(("  reference: numpy brute force", f"{ref:.1f} ms", "", "1.00x"))

    at = {base.prompt_id(i): i for i in range(0, base.meta.rows, base.meta.rows // 5)}
    similar_ms, ref = paired(
        list(at),
        lambda p: library.search.similar(p, 5).hits,
        lambda p: brute_force(matrix, matrix[at[p]], 6),
        runs,
    )
    rows.append(row("similar (5 nearest)", similar_ms, "", ref, "brute"))
    rows.append(("  reference: numpy brute force", f"{ref:.1f} ms", "", "1.00x"))

    # Text: BM25 through the library against the fts macro over every row.
    con = connect(library.db.path)  # shares the library's open database
    load_fts(con)
    macro = (
        "SELECT id, score FROM (SELECT id, fts_main_prompts.match_bm25(id, ?) AS score "
        "FROM prompts WHERE archived_at IS NULL) WHERE score IS NOT NULL "
        "ORDER BY score DESC LIMIT 10"
    )
    text_ms, naive = paired(
        TEXT_QUERIES[:-1], table("text"), lambda q: con.execute(macro, [q]).fetchall(), 3
    )
    prefix = TEXT_QUERIES[-1]
    table("text")(prefix)
    prefix_ms = statistics.median(ms(lambda: table("text")(prefix)) for _ in range(runs))
    rows += [
        row("text BM25 top-10", text_ms, "< 50 ms", naive, "macro"),
        ("  reference: match_bm25 macro", f"{naive:.1f} ms", "", "1.00x"),
        (f"text BM25 top-10, prefix {prefix!r}", f"{prefix_ms:.1f} ms", "< 50 ms", ""),
    ]

    # One edit, then the next searches: no rebuild; the edited prompt comes from the text
    # index's delta, the rows and masks are brought up to date.
    found = con.execute("SELECT id FROM prompts WHERE archived_at IS NULL LIMIT 1").fetchall()
    library.prompts.update(found[0][0], {"description": f"zebra crossing review {time.time_ns()}"})
    edit_text = ms(lambda: table("text")("zebra crossing"))
    library.prompts.update(found[0][0], {"description": f"zebra crossing review {time.time_ns()}"})
    edit_semantic = ms(lambda: table("semantic")("zebra crossing"))
    after = statistics.median(ms(lambda: table("text")("zebra crossing")) for _ in range(runs))
    hit = library.search.search("zebra crossing", limit=1).hits[0].prompt_id == found[0][0]
    rows += [
        ("first text search after an edit", f"{edit_text:.1f} ms", "no rebuild",
         f"found: {'yes' if hit else 'NO'}"),
        ("first semantic search after an edit", f"{edit_semantic:.1f} ms", "", ""),
        ("text search after that", f"{after:.1f} ms", "< 50 ms", ""),
    ]  # fmt: skip
    con.close()
    library.close()

    heading = f"{base.meta.rows:,} x {base.meta.dims}"
    if args.rows_to is not None:
        write_rows(args.rows_to, heading, rows)
        return 0
    print(f"{heading} vectors of {provider.model}, {runs} paired runs per query (median)\n")
    print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
