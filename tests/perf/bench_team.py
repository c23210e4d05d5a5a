"""A team library (DuckLake, catalog in PostgreSQL) beside a library file, in the same run; then
2 and 4 writer processes at once on a lake.

    python tests/perf/bench_team.py [--prompts 2000] [--writes 500] [--runs 7]

It starts its own PostgreSQL (tests/postgres.py: initdb + pg_ctl on a free port of 127.0.0.1,
fsync off) and stops it at the end. The file and the lake get the same generated library
(tests/perf/generate.py, vectors from the local provider) and are held open as the TUI holds
them (lingering). Each operation is timed on the lake right after the same on the file
(paired, so the load of a shared machine weighs on both alike); the figure is the lake's
median, the reference the file's, the ratio lake / file.

Writers: each process opens the lake, says it is ready, and on the word of the parent does
`--writes` writes (alternately: add a prompt, edit it). Conflicts retried are the library's
own (`db.conflicts_retried`: actions run again after a commit lost a conflict); a lock timeout
is retried by the writer (counted). Writes per second are all writes over the time from the
first start to the last end; the reference is one writer process alone. Lost writes: the
writes the processes made minus the versions the lake holds afterwards (each add is version 1,
each edit a new version): it must be 0, and no (prompt, version) twice."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the checkout

from storage import Library  # noqa: E402
from storage.errors import LibraryLocked, WriteConflict  # noqa: E402
from storage.search.embedding import LocalProvider  # noqa: E402
from tests.perf.generate import embed_all, generate  # noqa: E402
from tests.postgres import Postgres, find_bin  # noqa: E402

DIMS = 384
NOW = datetime(2026, 6, 1, 12, 0)
TEXT_QUERIES = ["review security", "summarise meeting notes", "json extraction", "translate"]
SEMANTIC_QUERIES = [
    "review this code for security problems",
    "write a short newsletter teaser",
    "extract fields from an invoice as JSON",
    "summarise a long meeting",
]
RETRIES = 50  # per write, in a writer process
Row = tuple[str, str, str, str, str]


def read_rows(lib: Library, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` through the library's own read cursor: on a lake `db.query` (the `sql`
    verb) attaches with file access off and cannot read the Parquet files of a local folder."""
    with lib.db.read() as con:
        return con.execute(sql).fetchall()


def ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def paired(runs: int, file: Callable[[int], object], lake: Callable[[int], object]) -> Row:
    """(lake median, file median) over `runs` pairs, each lake run right after a file run."""
    files: list[float] = []
    lakes: list[float] = []
    for i in range(runs):
        files.append(ms(lambda: file(i)))  # noqa: B023
        lakes.append(ms(lambda: lake(i)))  # noqa: B023
    f, k = statistics.median(files), statistics.median(lakes)
    return ("", f"{k:.1f} ms", "", f"{f:.1f} ms", f"{k / f:.2f}x")


def operations(file: Library, lake: Library, runs: int) -> list[Row]:
    """Each operation on the lake beside the same on the file."""
    rows: list[Row] = []

    def add(lib: Library, tag: str) -> Callable[[int], object]:
        return lambda i: lib.prompts.create(
            f"bench add {tag} {i}", f"A new prompt number {i} about {{{{topic}}}} ({tag})"
        )

    def named(label: str, target: str, row: Row) -> None:
        rows.append((label, row[1], target, row[3], row[4]))

    # First calls: the file builds its text index; the lake copies its mirror and builds it.
    first_file = ms(lambda: file.search.search("review", "text"))
    first_lake = ms(lambda: lake.search.search("review", "text"))
    rows.append(
        (
            "first text search (lake: mirror copy + index)",
            f"{first_lake:.0f} ms",
            "once per open",
            f"{first_file:.0f} ms",
            f"{first_lake / first_file:.2f}x",
        )
    )
    file.search.search("review", "semantic")
    lake.search.search("review", "semantic")

    named("add (create a prompt)", "<= 3x file", paired(runs, add(file, "f"), add(lake, "k")))
    target_f = file.prompts.list_prompts(limit=1)[0].id
    target_k = lake.prompts.list_prompts(limit=1)[0].id

    def edit(lib: Library, ref: str) -> Callable[[int], object]:
        return lambda i: lib.prompts.update(ref, {"content": f"Edited {i} {{{{topic}}}}"})

    named(
        "edit (a new version)",
        "<= 3x file",
        paired(runs, edit(file, target_f), edit(lake, target_k)),
    )

    def page(lib: Library) -> Callable[[int], object]:
        return lambda i: lib.prompts.list_prompts(limit=500)

    named("list (browse page of 500)", "<= 3x file", paired(runs, page(file), page(lake)))

    def search(lib: Library, mode: str, queries: list[str]) -> Callable[[int], object]:
        return lambda i: lib.search.search(queries[i % len(queries)], mode, limit=10)

    named(
        "text search top-10",
        "<= 3x file",
        paired(runs, search(file, "text", TEXT_QUERIES), search(lake, "text", TEXT_QUERIES)),
    )
    named(
        "semantic search top-10",
        "<= 3x file",
        paired(
            runs,
            search(file, "semantic", SEMANTIC_QUERIES),
            search(lake, "semantic", SEMANTIC_QUERIES),
        ),
    )

    def kpis(lib: Library) -> Callable[[int], object]:
        return lambda i: lib.analytics.kpis("30d")

    named("analytics KPIs (30d)", "<= 3x file", paired(runs, kpis(file), kpis(lake)))
    return rows


def found_after_write(lake_db: str, lake: Library, runs: int) -> Row:
    """Another client adds a prompt; the time of the first search here that finds it (the
    mirror catches up from the change feed), beside a search with nothing to catch up."""
    delays: list[float] = []
    quiet: list[float] = []
    missed = 0
    with Library(lake_db, actor="other") as other:
        for i in range(runs):
            word = f"zebraword{i}x{time.time_ns()}"
            other.prompts.create(f"Other {word}", f"Find the {word} in the text")
            started = time.perf_counter()
            hits = lake.search.search(word, "text", limit=5).hits
            delays.append((time.perf_counter() - started) * 1000)
            missed += not hits
            quiet.append(ms(lambda: lake.search.search("review security", "text", limit=10)))
    k, q = statistics.median(delays), statistics.median(quiet)
    note = "found by the first search" if not missed else f"MISSED {missed} of {runs}"
    return (f"search finding another client's add ({note})", f"{k:.1f} ms", "next search",
            f"{q:.1f} ms", f"{k / q:.2f}x")  # fmt: skip


# -- writer processes -------------------------------------------------------------------------


def writer(db: str, name: str, count: int) -> None:
    """One writer process: ready, wait for the word, `count` writes, print what happened.
    A conflict is retried inside the library (its count is the library's); a lock timeout
    is retried here, and an action that lost every attempt is counted as failed."""
    locked = failed = 0
    with Library(db, actor=name, lock_timeout=120) as lib:
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.time()
        prompt_id = ""
        for i in range(count):
            for _ in range(RETRIES):
                try:
                    if i % 2 == 0:
                        prompt_id = lib.prompts.create(
                            f"{name}-{i}", f"{name} writes prompt {i} about {{{{x}}}}"
                        ).id
                    else:
                        lib.prompts.update(prompt_id, {"content": f"{name} edited {i}"})
                    break
                except WriteConflict:
                    failed += 1
                except LibraryLocked:
                    locked += 1
            else:
                raise SystemExit(f"{name}: write {i} failed {RETRIES} times")
        end = time.time()
        conflicts = lib.db.conflicts_retried
    report = {"start": start, "end": end, "conflicts": conflicts, "locked": locked}
    print(json.dumps({**report, "failed": failed}))


def writers_run(db: str, data: Path, processes: int, count: int) -> dict[str, Any]:
    """`processes` writers at once on a new lake `db`; their rate and what was lost."""
    with Library(db, lake_data=str(data)):
        pass  # created before the writers race
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--writer", db, f"w{n}", str(count)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("a writer did not start")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"a writer failed ({proc.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    with Library(db, read_only=True) as lib:
        found = read_rows(
            lib,
            "SELECT count(*), count(DISTINCT (prompt_id, version)), "
            "(SELECT count(*) FROM prompts) FROM prompt_versions",
        )
    versions, distinct, prompts = found[0]
    writes = processes * count
    return {
        "rate": writes / seconds,
        "conflicts": sum(r["conflicts"] for r in reports),
        "failed": sum(r["failed"] for r in reports),
        "locked": sum(r["locked"] for r in reports),
        "lost": writes - versions,
        "doubled": versions - distinct,
        "prompts": prompts,
        "expected_prompts": processes * ((count + 1) // 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=2000, help="library size (file and lake)")
    parser.add_argument("--writes", type=int, default=500, help="writes per writer process")
    parser.add_argument("--runs", type=int, default=7, help="timed pairs per operation")
    parser.add_argument(
        "--writer", nargs=3, metavar=("DB", "NAME", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], args.writer[1], int(args.writer[2]))
        return 0

    work = Path(tempfile.mkdtemp(prefix="promptdeck-bench-team-"))
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # the lake mirrors, thrown away after
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    server = Postgres(Path(tempfile.mkdtemp(prefix="promptdeck-pg-")), find_bin())
    rows: list[Row] = []
    try:
        server.start()

        def new_lake() -> str:
            return f"ducklake:postgres:{server.conninfo(server.create_database())}"

        lake_db = new_lake()
        fill: dict[str, float] = {}
        for where, data in ((str(work / "lib.duckdb"), None), (lake_db, str(work / "lake"))):
            started = time.perf_counter()
            with Library(where, lake_data=data) as lib:
                generate(lib, args.prompts, now=NOW)
                # embed_all reads through db.query; read through the library's cursor instead
                setattr(lib.db, "query", lambda sql, limit=0, lib=lib: ([], read_rows(lib, sql)))  # noqa: B010
                embed_all(lib, DIMS)
            fill[where] = time.perf_counter() - started
        rows.append(
            (
                f"fill {args.prompts:,} prompts + vectors (bulk)",
                f"{fill[lake_db]:.1f} s",
                "",
                f"{fill[str(work / 'lib.duckdb')]:.1f} s",
                f"{fill[lake_db] / fill[str(work / 'lib.duckdb')]:.2f}x",
            )
        )
        opened = [
            Library(where, linger=600, embedder=LocalProvider(DIMS)).open()
            for where in (work / "lib.duckdb", lake_db)
        ]
        file, lake = opened
        try:
            rows += operations(file, lake, args.runs)
            rows.append(found_after_write(lake_db, lake, args.runs))
        finally:
            for lib in opened:
                lib.close()

        concurrency: list[Row] = []
        alone = writers_run(new_lake(), work / "lake-1", 1, args.writes)
        concurrency.append(
            ("1 writer process (reference)", f"{alone['rate']:.1f} writes/s", "",
             f"{alone['rate']:.1f} writes/s", "1.00x")
        )  # fmt: skip
        verdicts = []
        for processes in (2, 4):
            run = writers_run(new_lake(), work / f"lake-{processes}", processes, args.writes)
            concurrency.append(
                (
                    f"{processes} writer processes at once",
                    f"{run['rate']:.1f} writes/s",
                    "lost 0",
                    f"{alone['rate']:.1f} writes/s",
                    f"{run['rate'] / alone['rate']:.2f}x",
                )
            )
            verdicts.append(
                f"{processes} writers x {args.writes}: conflicts retried {run['conflicts']} "
                f"(actions that lost every attempt {run['failed']}), "
                f"lock timeouts retried {run['locked']}, lost writes {run['lost']}, "
                f"(prompt, version) twice {run['doubled']}, prompts {run['prompts']} "
                f"(expected {run['expected_prompts']})"
            )
    finally:
        if server.port:
            server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"{args.prompts:,} prompts x {DIMS} dims; lake: DuckLake on a local PostgreSQL "
        f"(fsync off), Parquet in a local folder; {args.runs} paired runs (median)\n"
    )
    header = ("figure (lake)", "measured", "target", "reference (file)", "ratio")
    table(header, rows)
    print(f"\nwriters on a lake, {args.writes} writes each (add, edit, add, ...)\n")
    table(("figure", "measured", "target", "reference", "ratio"), concurrency)
    print()
    for line in verdicts:
        print(line)
    return 0


def table(header: Row, rows: list[Row]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for line in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
