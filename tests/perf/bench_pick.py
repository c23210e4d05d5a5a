"""`promptdeck pick` at 100,000 prompts: from process start to the first list drawn.

    python tests/perf/bench_pick.py --db /tmp/pick100k.duckdb [--rounds 7]
    python tests/perf/bench_pick.py [--prompts 100000]      # generates its own library

The console script runs on a pseudo-terminal of its own (its /dev/tty) with stdout on a pipe,
as under `$(...)`; the clock stops when the library's live count, which the picker draws with
its first page of rows, reaches the terminal. The reference is a bare Python process that
imports duckdb and reads 20 names read-only, measured in the same run, round by round. Also
shown: `promptdeck --version`, the console script's start (Python, click, the CLI and storage
imported) before the picker does anything."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, PromptFilter  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tests.terminal import Terminal  # noqa: E402

TARGET = 0.5
ESCAPE = "\x1b"


def installed_script() -> Path:
    beside = Path(sys.executable).parent / "promptdeck"
    found = beside if beside.is_file() else shutil.which("promptdeck")
    if not found:
        raise SystemExit("the promptdeck console script is not installed (pip install -e .)")
    return Path(found)


def time_pick(script: Path, path: Path, live: int) -> float:
    terminal = Terminal([script, "--db", str(path), "pick"], stderr_to_terminal=False)
    try:
        first_list = terminal.wait_for(f"{live:,}")
        terminal.send(ESCAPE)
        code = terminal.wait()
    finally:
        terminal.kill()
    if code != 1 or terminal.stdout:
        raise SystemExit(f"pick: exit {code}, stdout {terminal.stdout!r}, {terminal.stderr!r}")
    return first_list


def time_process(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - started


def reference(path: Path) -> list[str]:
    read = f"duckdb.connect({str(path)!r}, read_only=True)"
    code = f"import duckdb; {read}.sql('SELECT name FROM prompts LIMIT 20').fetchall()"
    return [sys.executable, "-c", code]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this library")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--script", type=Path, help="the promptdeck to time (default: the one installed)"
    )
    args = parser.parse_args()
    script = args.script or installed_script()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not path.exists():
            with Library(path) as library:
                generate(library, args.prompts)
        with Library(path, read_only=True) as library:
            live = library.prompts.count_prompts(PromptFilter())
        time_pick(script, path, live)  # a first run warms the OS's file cache
        picks, bare, starts = [], [], []
        for _ in range(args.rounds):
            picks.append(time_pick(script, path, live))
            bare.append(time_process(reference(path)))
            starts.append(time_process([str(script), "--version"]))
    pick, ref, start = (statistics.median(v) for v in (picks, bare, starts))
    rows = [
        ("figure", "measured (s)", "target", "reference (s)", "ratio"),
        ("pick: process start -> first list drawn", f"{pick:.3f}", f"<= {TARGET}",
         f"{ref:.3f}", f"{pick / ref:.1f}x"),
        ("  slowest round", f"{max(picks):.3f}", "", f"{max(bare):.3f}", ""),
        ("promptdeck --version (the CLI's start)", f"{start:.3f}", "", f"{ref:.3f}",
         f"{start / ref:.1f}x"),
        ("  so the picker itself (pick - start)", f"{pick - start:.3f}", "", "", ""),
    ]  # fmt: skip
    print(f"\npromptdeck pick, {live:,} live prompts, median of {args.rounds} rounds")
    print('reference: python -c "import duckdb; connect(f, read_only=True)', end="")
    print(".sql('SELECT name FROM prompts LIMIT 20').fetchall()\"")
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = pick <= TARGET
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
