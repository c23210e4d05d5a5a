"""The CLI as scripts and shell pickers call it: one whole process per command.

    python tests/perf/bench_cli.py --db /tmp/big.duckdb [--db /tmp/1m.duckdb] [--runs 5]

Each command runs `--runs` times after one warm-up (so the file is in the page cache, as it is
for a picker bound to a key); the figure is the median wall time, from starting the process to
its exit, and the peak resident memory the OS reports for it (wait4's ru_maxrss). The
reference is a bare process doing the least the semantic search must: `python` + `import
duckdb` + `duckdb.connect(file, read_only=True)` + `array_cosine_similarity` top-10 over the
active model's stored vectors; its runs are interleaved with each command's, so that the load
of a shared machine weighs on both alike. `render` records a use, as it always does: the
library gains one usage event per run.

Given two libraries (100,000 and 1,000,000 prompts), each is measured in turn, and each search
mode's growth from the first to the second is set beside the bare process's: a one-shot search
must grow no faster. The checkout's sources are byte-compiled first, as an installed package's
are (with PYTHONDONTWRITEBYTECODE set, every run would otherwise compile them again)."""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROMPTDECK = Path(sys.executable).parent / "promptdeck"
QUERY = "review this code for security problems"
SEARCH_TARGET, VERB_TARGET, MEMORY_TARGET = 1.5, 1.2, 1.5

BARE = """
import sys, json, duckdb
path, model, dims, vector = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.load(open(sys.argv[4]))
con = duckdb.connect(path, read_only=True)
print(con.execute(
    f"SELECT prompt_id, array_cosine_similarity(CAST(embedding AS FLOAT[{dims}]), "
    f"CAST(? AS FLOAT[{dims}])) AS score FROM prompt_embeddings WHERE model = ? "
    "ORDER BY score DESC LIMIT 10", [vector, model]).fetchall())
"""


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, median
    peak: float  # MiB, median


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        error = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"{' '.join(argv[1:])} failed ({child.returncode}): {error.strip()}")
    if child.stderr:
        child.stderr.close()
    return wall, usage.ru_maxrss / 1024


def paired(
    command: list[str], bare: list[str], env: dict[str, str], runs: int
) -> tuple[Measured, Measured]:
    run_once(command, env)
    run_once(bare, env)
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(run_once(command, env))
        theirs.append(run_once(bare, env))
    return (
        Measured(statistics.median(w for w, _ in ours), statistics.median(p for _, p in ours)),
        Measured(statistics.median(w for w, _ in theirs), statistics.median(p for _, p in theirs)),
    )


FACTS = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
model = con.execute("SELECT value FROM config WHERE key = 'embedding_model'").fetchone()
if model is None:
    sys.exit(f"{sys.argv[1]}: no embedding model is active: embed the library first")
dims = con.execute(
    "SELECT any_value(dims) FROM prompt_embeddings WHERE model = ?", [model[0]]).fetchone()
row = con.execute("SELECT id FROM prompts WHERE archived_at IS NULL "
                  "AND content NOT LIKE '%{{%' ORDER BY id LIMIT 1").fetchone()
live = con.execute("SELECT count(*) FROM prompts WHERE archived_at IS NULL").fetchone()
print(json.dumps([model[0], dims[0], row[0][-8:], live[0]]))
"""


def library_facts(path: Path) -> tuple[str, int, str, int]:
    """The active model, its width, a live prompt with no variables (its short id) and the
    live prompt count, read in a process of its own: this one stays small, as a fork copies
    it into every child's peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", FACTS, str(path)], capture_output=True, text=True, check=True
    )
    model, dims, ref, live = json.loads(done.stdout)
    return str(model), int(dims), str(ref), int(live)


def query_vector(model: str, folder: Path) -> Path:
    """The query's vector by the model search uses, for the bare reference (made in a process
    of its own: this one stays small, as a fork copies it into every child's peak memory)."""
    out = folder / "query.json"
    code = (
        "import json, sys; from storage.search.embedding import offline_provider; "
        "p = offline_provider(sys.argv[1]); assert p, f'{sys.argv[1]} is not offline'; "
        "open(sys.argv[2], 'w').write(json.dumps(p.embed([sys.argv[3]])[0].tolist()))"
    )
    checkout = str(Path(__file__).resolve().parents[2])
    subprocess.run([sys.executable, "-c", code, model, str(out), QUERY], check=True, cwd=checkout)
    return out


def measure(db: Path, runs: int, env: dict[str, str]) -> tuple[list[Row], str]:
    """Each command beside the bare process on one library: its rows, and a line saying what
    the library holds."""
    model, dims, ref, live = library_facts(db)
    base = [str(PROMPTDECK), "--db", str(db)]
    search = [*base, "search", QUERY, "--limit", "10", "--json", "--mode"]
    commands = [
        ("search --mode semantic", [*search, "semantic"], SEARCH_TARGET),
        ("search --mode text", [*search, "text"], SEARCH_TARGET),
        ("search --mode hybrid", [*search, "hybrid"], SEARCH_TARGET),
        ("list --limit 10", [*base, "list", "--limit", "10"], VERB_TARGET),
        ("show REF", [*base, "show", ref], VERB_TARGET),
        ("render REF", [*base, "render", ref], VERB_TARGET),
        ("--help", [str(PROMPTDECK), "--help"], VERB_TARGET),
    ]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        vector = query_vector(model, Path(folder))
        bare = [sys.executable, "-c", BARE, str(db), model, str(dims), str(vector)]
        for label, command, target in commands:
            ours, theirs = paired(command, bare, env, runs)
            rows.append(Row(label, ours, theirs, target))
            print(f"  {db.name}: {label} measured", file=sys.stderr, flush=True)
    return rows, f"{db}: {live:,} live prompts, search model {model} ({dims} dims)"


@dataclass(frozen=True)
class Row:
    label: str
    ours: Measured
    theirs: Measured
    target: float

    @property
    def met(self) -> bool:
        searching = self.label.startswith("search")
        memory = self.ours.peak / self.theirs.peak
        return self.ours.wall / self.theirs.wall <= self.target and (
            not searching or memory <= MEMORY_TARGET
        )

    def cells(self) -> tuple[str, ...]:
        ours, theirs = self.ours, self.theirs
        return (
            self.label, f"{ours.wall:.3f} s", f"{ours.peak:,.0f} MiB", f"<= {self.target}x",
            f"{theirs.wall:.3f} s / {theirs.peak:,.0f} MiB", f"{ours.wall / theirs.wall:.2f}x",
            f"{ours.peak / theirs.peak:.2f}x", "met" if self.met else "MISSED",
        )  # fmt: skip


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def growth(small: list[Row], large: list[Row]) -> tuple[list[tuple[str, ...]], bool]:
    """Each search's wall and peak from the first library to the second, beside the bare
    process's: met when neither grows faster than the bare one's."""
    rows: list[tuple[str, ...]] = []
    ok = True
    for a, b in zip(small, large, strict=True):
        if not a.label.startswith("search"):
            continue
        wall, bare_wall = b.ours.wall / a.ours.wall, b.theirs.wall / a.theirs.wall
        peak, bare_peak = b.ours.peak / a.ours.peak, b.theirs.peak / a.theirs.peak
        met = wall <= bare_wall and peak <= bare_peak
        ok = ok and met
        rows.append((a.label, f"{wall:.2f}x", f"{bare_wall:.2f}x", f"{peak:.2f}x",
                     f"{bare_peak:.2f}x", "met" if met else "MISSED"))  # fmt: skip
    return rows, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, action="append")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    checkout = Path(__file__).resolve().parents[2]
    for package in ("storage", "tui"):
        compileall.compile_dir(checkout / package, quiet=1)
    env = {**os.environ, "PROMPTDECK_CONFIG": "/nonexistent/promptdeck.toml"}
    measured = [measure(db, args.runs, env) for db in args.db]
    ok = True
    header = ("command", "wall", "peak", "target", "bare wall / peak", "wall", "memory", "")
    for rows, about in measured:
        print(f"\n{about}")
        print(f"median of {args.runs} after a warm-up, each beside a bare process in the same run")
        print()
        print_table(header, [row.cells() for row in rows])
        ok = ok and all(row.met for row in rows)
    print(f"memory target (search): <= {MEMORY_TARGET}x the bare process's peak")
    if len(measured) == 2:
        grown, grew_ok = growth(measured[0][0], measured[1][0])
        small, large = (db.name for db in args.db)
        print(f"\ngrowth from {small} to {large} (target: no faster than bare)\n")
        print_table(("command", "wall", "bare wall", "peak", "bare peak", ""), grown)
        ok = ok and grew_ok
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
