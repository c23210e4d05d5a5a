"""Semantic search through the kept vectors and the ANN index, on a generated library with the
bundled model's vectors (tests/perf/generate.py --wordllama): recall@10 against exact search,
latency beside numpy brute force measured in the same run, build and open times, memory, and
the first search after an edit.

    python tests/perf/bench_ann.py --db PATH [--db PATH] [--queries 100] [--runs 5] [--cache DIR]
                                   [--ann-from N]

The library is copied first (a shared reference library is never written; the copy is deleted
at the end): its text index is built there for hybrid, and one prompt is edited to time the
first search after an edit. Queries: the questions
of tests/perf/meaning_queries.csv and the opening words of prompts picked at random. Recall@10
is |ANN top-10 & exact top-10| / 10, exact being a full scan of the same vectors. The vectors
are kept in `--cache` (default: a new temporary folder, so the first open writes them)."""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from storage import Library

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from tests.perf.columns import Row, print_columns, print_rows, write_rows  # noqa: E402

HERE = Path(__file__).resolve().parent


def ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def rss_mb() -> tuple[float, float]:
    """(resident now, peak) of this process in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def brute_force(matrix: np.ndarray, query: np.ndarray, k: int = 10) -> np.ndarray:
    scores = matrix @ query
    top = np.argpartition(scores, len(scores) - k)[-k:]
    return top[np.argsort(-scores[top])]


def paired(queries: list[str], figure: Callable[[str], object],
           reference: Callable[[str], object], runs: int) -> tuple[float, float]:  # fmt: skip
    measured, references = [], []
    for query in queries:
        figure(query)
        for _ in range(runs):
            references.append(ms(lambda: reference(query)))  # noqa: B023
            measured.append(ms(lambda: figure(query)))  # noqa: B023
    return statistics.median(measured), statistics.median(references)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--db", type=Path, action="append", required=True,
        help="a generated library; repeat for a column each (100k beside 1M), each measured "
        "in a process of its own (memory is a figure)",
    )  # fmt: skip
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)  # (one column's run)
    parser.add_argument("--queries", type=int, default=100, help="prompts' texts as queries")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="where the vectors are kept")
    parser.add_argument("--ann-from", type=int, help="index threshold for the recall figures")
    parser.add_argument(
        "--read-only", action="store_true",
        help="no copy: semantic figures only (no text index for hybrid, no edit)",
    )  # fmt: skip
    args = parser.parse_args()
    if len(args.db) > 1:
        return columns(args)
    args.db = args.db[0]
    cache_dir = args.cache or Path(tempfile.mkdtemp(prefix="bench-ann-"))
    os.environ["XDG_CACHE_HOME"] = str(cache_dir)

    rows: list[Row] = []
    if args.read_only:
        return measure(args, args.db, cache_dir, rows)
    copy = Path(tempfile.mkdtemp(prefix="bench-ann-lib-")) / "lib.duckdb"
    try:
        shutil.copy(args.db, copy)
        return measure(args, copy, cache_dir, rows)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def measure(args: argparse.Namespace, path: Path, cache_dir: Path, rows: list[Row]) -> int:
    from storage import Library, PromptFilter
    from storage.prompts.filters import filter_sql
    from storage.search.vector_cache import ANN_FROM, VectorCache
    from storage.search.vector_set import VectorSet

    library = Library(path, linger=600, read_only=args.read_only).open()
    if not args.read_only:
        progress("text index")
        library.search.prepare("text")
    provider = library.search._cache.query_provider(None)
    model = provider.model
    before = rss_mb()[0]
    progress("vectors")
    first = ms(lambda: library.search._cache.matrix(model, PromptFilter()))
    progress("index")
    built = ms(library.search._cache.vectors.wait)  # the index, when there are ANN_FROM
    cache = library.search._cache.vectors
    kept = cache_dir / "promptdeck" / "vectors"
    ann_from = ANN_FROM if args.ann_from is None else args.ann_from
    if args.ann_from is not None:  # an index below the threshold, for its recall
        cache = VectorCache(library.db, kept, ann_from=ann_from)
        cache.get(model, 1)
        built = ms(cache.wait)
    held = cache.get(model, library.search._cache.generation)
    n = held.base.meta.rows
    rows.append(("vectors", f"{n:,} x {held.dims}", "", f"index from {ann_from:,}"))
    rows.append(("first open: vectors read and kept", f"{first / 1000:.1f} s",
                 "once per library", ""))  # fmt: skip
    if n >= ann_from:
        rows.append(("  then ANN index built (background)", f"{built / 1000:.1f} s", "", ""))
    again = VectorCache(library.db, kept, ann_from=ann_from)
    reopen = ms(lambda: again.get(model, 1))
    rows.append(("open kept vectors + index (new process)", f"{reopen:.0f} ms", "milliseconds", ""))
    with library.db.read() as con:  # what a write costs the next search, unchanged vectors
        recheck = ms(lambda: again.get(model, 2))
        mask = ms(lambda: again.get(model, 2).allowed(con, *filter_sql(PromptFilter())))
    rows.append(("after a write: vectors' signature + delta", f"{recheck:.0f} ms", "", ""))
    rows.append(("  and the default filter's mask", f"{mask:.0f} ms", "", ""))

    # Queries: the meaning set, and the opening words of random prompts.
    with (HERE / "meaning_queries.csv").open() as f:
        texts = [r["query"] for r in csv.DictReader(f)]
    _, found = library.db.query(
        f"SELECT content FROM prompts USING SAMPLE {args.queries} ROWS (reservoir, 7)",
        limit=args.queries,
    )
    texts += [" ".join(str(r[0]).split()[:12]) for r in found]
    vectors = {t: np.asarray(provider.embed([t])[0], np.float32) for t in texts}

    current = held
    assert current.ann is not None or n < ann_from, cache.failure
    exact = VectorSet(current.base, current.delta, None)
    where = PromptFilter()
    with library.db.read() as con:
        allowed = current.allowed(con, *filter_sql(where))
        smallest = con.execute(
            "SELECT folder FROM prompts GROUP BY folder ORDER BY count(*) LIMIT 1"
        ).fetchone()
        narrow_where = PromptFilter(folder=smallest[0] if smallest else "")
        narrow = current.allowed(con, *filter_sql(narrow_where))
    progress("recall")
    recall = [
        len(set(current.top(v, allowed, 10)[0]) & set(exact.top(v, allowed, 10)[0])) / 10
        for v in vectors.values()
    ]
    narrow_equal = sum(
        current.top(v, narrow, 10)[0] == exact.top(v, narrow, 10)[0] for v in vectors.values()
    )
    queries = len(vectors)  # (the texts less repeats: a sampled prompt's opening words may be)
    rows.append((f"recall@10 vs exact ({queries} queries)", f"{np.mean(recall):.3f}",
                 ">= 0.95", f"min {min(recall):.1f}"))  # fmt: skip
    rows.append((f"narrow filter ({narrow.count:,} rows): same ids",
                 f"{narrow_equal}/{queries}", "all", ""))  # fmt: skip

    modes = [("semantic", "< 30 ms")] + ([] if args.read_only else [("hybrid", "< 80 ms")])
    for query in texts[:5]:  # the app's path, before the reference's copy of the matrix
        library.search.table(query, modes[-1][0], where, 10)
    settled, peak = rss_mb()
    memory = (f"{settled:.0f} / {peak:.0f} MiB", f"{before:.0f} MiB before the vectors")
    matrix = np.ascontiguousarray(current.base.vectors)  # the reference's own copy

    def brute(q: str) -> object:
        return brute_force(matrix, vectors[q])

    def table(mode: str) -> Callable[[str], object]:
        return lambda q: library.search.table(q, mode, where, 10)

    progress("latency")
    timed = texts[:: max(1, len(texts) // 20)]
    top_ms, ref = paired(timed, lambda q: current.top(vectors[q], allowed, 10), brute, args.runs)
    rows.append(("ranking alone, top-10", f"{top_ms:.2f} ms", "", f"{top_ms / ref:.3f}x brute"))
    for mode, target in modes:
        figure, ref = paired(timed, table(mode), brute, args.runs)
        rows.append((f"{mode} top-10, search_table", f"{figure:.1f} ms", target,
                     f"{figure / ref:.2f}x brute"))  # fmt: skip
    rows.append(("  reference: numpy brute force", f"{ref:.1f} ms", "", "1.00x"))
    rows.append(("memory: resident / peak (vectors, index, searches)", *memory[:1], "", memory[1]))
    if not args.read_only:
        rows += edit_figures(library, model)
    library.close()

    heading = f"{args.db} ({n:,} vectors of {model}), {args.runs} paired runs (median)"
    if args.rows_to is not None:
        write_rows(args.rows_to, f"{n:,} vectors", rows)
        return 0
    print(heading + "\n")
    print_rows(rows)
    whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the whole run (the reference's matrix too): {whole:.0f} MiB")
    return 0


def columns(args: argparse.Namespace) -> int:
    """Each library measured by a process of its own, their figures side by side."""
    rest = ["--queries", str(args.queries), "--runs", str(args.runs)]
    if args.ann_from is not None:
        rest += ["--ann-from", str(args.ann_from)]
    if args.read_only:
        rest.append("--read-only")
    title = f"semantic search, {args.runs} paired runs (median)"
    print_columns(__file__, args.db, rest, title)
    return 0


def edit_figures(library: Library, model: str) -> list[Row]:
    """One prompt edited and embedded again, then the first semantic search."""
    from storage import PromptFilter

    def search(mode: str) -> object:
        return library.search.table("zebra crossing", mode, PromptFilter(), 10)

    progress("edit")
    library.search._cache.vectors.wait()
    search("semantic")
    found = library.db.query("SELECT id FROM prompts WHERE archived_at IS NULL LIMIT 1")
    library.prompts.update(found[1][0][0], {"description": f"zebra {time.time_ns()}"})
    library.embeddings.embed_missing(library.search._cache.query_provider(None))
    first = ms(lambda: search("semantic"))
    hybrid = ms(lambda: search("hybrid"))
    then = statistics.median(ms(lambda: search("semantic")) for _ in range(5))
    size = library.search._cache.vectors.held()[model].delta.size
    return [
        ("first semantic search after an edit", f"{first:.0f} ms", "< 200 ms", f"delta {size}"),
        ("  hybrid right after it", f"{hybrid:.0f} ms", "", ""),
        ("  semantic after that", f"{then:.1f} ms", "< 30 ms", ""),
    ]


def progress(step: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {step}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
