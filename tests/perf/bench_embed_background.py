"""Embedding a big library in the background of the TUI while the shell writes to it.

    python tests/perf/bench_embed_background.py --db /tmp/big.duckdb [--limit 100000]

A copy of the library (from tests/perf/generate.py) is opened as the TUI opens it (lingering)
and embedded with the bundled model in batches of 1,024, as `E` does. Meanwhile a shell loop
runs `promptdeck add` every 2 s (lock timeout 120 s) and times each, its wait for the lock
included. Figures: prompts embedded per second, the longest stretch the run held the file
(timed from the library's own connection opening to its closing) and the writers' worst wall
time. The reference, in the same run on a second copy: the same embedding holding the file
throughout (`burst`, as before this change and as the one-shot `embed` verb still does)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, WordLlamaProvider  # noqa: E402
from storage.db import duckdb_file  # noqa: E402

BATCH = 1_024
WRITE_EVERY = 2.0
HOLD_TARGET = 2.0  # seconds: no more than a batch's store and the next batch's read
PROMPTDECK = Path(sys.executable).parent / "promptdeck"


@dataclass(frozen=True)
class Run:
    prompts: int
    seconds: float
    holds: list[float]
    writes: list[float]

    @property
    def longest_hold(self) -> float:
        return max(self.holds, default=0.0)


class Holds:
    """When the library's connection opened and closed (the file is held in between)."""

    def __init__(self, db: duckdb_file.DuckDBFile) -> None:
        self.spans: list[float] = []
        self._opened: float | None = time.perf_counter() if db._shared is not None else None
        connect = self._connect = getattr(duckdb_file, "connect")  # noqa: B009
        release = self._release = duckdb_file.DuckDBFile._release_shared

        def opening(*args: Any, **kwargs: Any) -> Any:
            con = connect(*args, **kwargs)
            if self._opened is None:
                self._opened = time.perf_counter()
            return con

        def closing(db: duckdb_file.DuckDBFile) -> None:
            held = db._shared is not None
            release(db)
            if held and self._opened is not None:
                self.spans.append(time.perf_counter() - self._opened)
                self._opened = None

        setattr(duckdb_file, "connect", opening)  # noqa: B010
        setattr(duckdb_file.DuckDBFile, "_release_shared", closing)  # noqa: B010

    def remove(self) -> list[float]:
        """Put the library's own functions back; the spans timed."""
        setattr(duckdb_file, "connect", self._connect)  # noqa: B010
        setattr(duckdb_file.DuckDBFile, "_release_shared", self._release)  # noqa: B010
        return list(self.spans)


def writer(path: Path, stop: threading.Event, walls: list[float], folder: Path) -> None:
    content = folder / "write.txt"
    n = 0
    while not stop.is_set():
        n += 1
        content.write_text(f"Written from the shell while the TUI embeds, number {n}.")
        started = time.perf_counter()
        done = subprocess.run(
            [str(PROMPTDECK), "--db", str(path), "--lock-timeout", "120",
             "add", "--name", f"shell write {n}", "--file", str(content)],
            capture_output=True, text=True,
        )  # fmt: skip
        walls.append(time.perf_counter() - started)
        if done.returncode:
            print(f"writer failed: {done.stderr.strip()}")
        stop.wait(WRITE_EVERY)


def run(path: Path, folder: Path, *, hold_throughout: bool) -> Run:
    with Library(path):  # migrated to this schema before anything is timed
        pass
    walls: list[float] = []
    stop = threading.Event()
    with Library(path, linger=2.0, embedder=WordLlamaProvider()) as library:
        assert isinstance(library.db, duckdb_file.DuckDBFile)
        holds = Holds(library.db)
        shell = threading.Thread(target=writer, args=(path, stop, walls, folder))
        started = time.perf_counter()
        shell.start()
        if hold_throughout:
            with library.db.burst():
                report = library.embeddings.embed_missing(WordLlamaProvider(), BATCH)
        else:
            report = library.embeddings.embed_missing(WordLlamaProvider(), BATCH)
        seconds = time.perf_counter() - started
        stop.set()
        shell.join()
        library.db.release()
    return Run(report.embedded, seconds, holds.remove(), walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a library from generate.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for label, throughout in (("let go between batches", False), ("held (reference)", True)):
            copy = Path(folder) / "copy.duckdb"
            shutil.copyfile(args.db, copy)
            runs[label] = run(copy, Path(folder), hold_throughout=throughout)
            copy.unlink()
    ours, reference = runs["let go between batches"], runs["held (reference)"]
    print(f"\nembedding {ours.prompts:,} prompts with wordllama-l2-256 in the TUI's way,")
    print(f"`promptdeck add` every {WRITE_EVERY:g} s from another process\n")
    rows = [
        ("prompts embedded per second", f"{ours.prompts / ours.seconds:,.0f}", "information",
         f"{reference.prompts / reference.seconds:,.0f}",
         f"{(ours.prompts / ours.seconds) / (reference.prompts / reference.seconds):.2f}x"),
        ("longest hold of the file (s)", f"{ours.longest_hold:.2f}", f"<= {HOLD_TARGET:g}",
         f"{reference.longest_hold:.2f}", f"{ours.longest_hold / reference.longest_hold:.3f}x"),
        ("median hold of the file (s)", f"{statistics.median(ours.holds):.2f}", "information",
         f"{statistics.median(reference.holds):.2f}", ""),
        ("worst shell write, wall (s)", f"{max(ours.writes):.2f}", "information",
         f"{max(reference.writes):.2f}", f"{max(ours.writes) / max(reference.writes):.3f}x"),
        ("median shell write, wall (s)", f"{statistics.median(ours.writes):.2f}", "information",
         f"{statistics.median(reference.writes):.2f}",
         f"{statistics.median(ours.writes) / statistics.median(reference.writes):.2f}x"),
        ("shell writes during the run", f"{len(ours.writes)}", "information",
         f"{len(reference.writes)}", ""),
    ]  # fmt: skip
    header = ("figure", "measured", "target", "reference", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = ours.longest_hold <= HOLD_TARGET
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
