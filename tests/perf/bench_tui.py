"""Browse screen: time to first paint and keystroke-to-updated-table, once the text index is
ready and when typed one second after launch; the resident memory once the app is idle (its
file let go) and its peak over each library's runs; the first keystroke after an edit.

    python tests/perf/bench_tui.py [--prompts 100000] [--db PATH [--db PATH]...] [--first-launch]

Each --db is a column (say, the 100k and the 1M libraries of tests/perf/generate.py); with
--first-launch, the last library also has a column of its first launch: a copy of it with no
text index and an empty cache dir (no kept postings or vectors), as generate.py leaves it, so
the index and the vectors' index are built while the search is typed.

Measured with App.run_test (headless), on a library from tests/perf/generate.py, each launch
in a process of its own. The reference is the naive way: the same search as an ILIKE over
every row, all rows fetched."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from textual.strip import Strip
from textual.widgets import Input
from textual.worker import WorkerCancelled

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, PromptFilter  # noqa: E402
from storage.models import PromptPage  # noqa: E402
from storage.search.text_index import FTS  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.browse_query import MIN_SEARCH, BrowseQuery  # noqa: E402
from tui.screens.browse import BrowseScreen  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402
from tui.widgets.prompt_table import PromptTable  # noqa: E402

QUERY = "review security"
TARGET_FIRST_PAINT = 1.0
TARGET_SEARCH_MS = 60.0  # median (issue 19: < 60 ms at a million prompts)
TARGET_MAX_MS = 150.0
TARGET_RSS_MB = 1536.0
TARGET_PEAK_MB = 3072.0
TARGET_AFTER_EDIT_MS = 200.0
EARLY_TYPING = 1.0  # seconds after launch: the search typed before everything has loaded


class PaintClock:
    """Notes when the table first draws a line after receiving new rows, and when the search
    box first draws a line after its value changed: the moments the user sees the updated
    result, or the letter typed."""

    def __init__(self) -> None:
        self.painted = asyncio.Event()
        self.at = 0.0
        self.typed = asyncio.Event()
        self.typed_at = 0.0
        self._waiting = self._typing = False
        clock = self
        set_data, render_line = PromptTable.set_data, PromptTable.render_line
        watch_value, render_input = Input._watch_value, Input.render_line

        # PromptTable and Input methods (so `self` is the widget) that also tell the clock.
        def set_data_and_watch(self: PromptTable, page: PromptPage, **kwargs: Any) -> None:
            set_data(self, page, **kwargs)
            clock._waiting = True

        def render_line_and_note(self: PromptTable, y: int) -> Strip:
            if clock._waiting:
                clock._waiting = False
                clock.at = time.perf_counter()
                clock.painted.set()
            return render_line(self, y)

        def watch_value_and_note(self: Input, value: str) -> None:
            watch_value(self, value)
            clock._typing = True

        def render_input_and_note(self: Input, y: int) -> Strip:
            if clock._typing:
                clock._typing = False
                clock.typed_at = time.perf_counter()
                clock.typed.set()
            return render_input(self, y)

        PromptTable.set_data = set_data_and_watch  # type: ignore[method-assign]
        PromptTable.render_line = render_line_and_note  # type: ignore[method-assign]
        Input._watch_value = watch_value_and_note  # type: ignore[method-assign]
        Input.render_line = render_input_and_note  # type: ignore[method-assign]


async def _idle(pilot: Any) -> None:
    """Wait for the workers (one superseded by a newer one of its group is cancelled)."""
    for worker in list(pilot.app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


async def _type(
    pilot: Any, clock: PaintClock, app: PromptdeckApp
) -> tuple[list[float], list[bool], bool]:
    """QUERY typed key by key at a typist's pace: each key's latency to the painted table
    (a key that leaves the search as it was, like the first letter, starts no query: its
    latency is to the letter painted in the search box), whether it started a query, and
    whether every result shown was ranked (sorted by score)."""
    latencies, queried, ranked = [], [], True
    typed = BrowseQuery()  # what the screen's query does with each key, known beforehand
    for end, char in enumerate(QUERY, 1):
        clock.painted.clear()
        clock.typed.clear()
        queried.append(typed.type_text(QUERY[:end]))
        pressed = time.perf_counter()
        await pilot.press(char if char != " " else "space")
        seen = clock.painted if queried[-1] else clock.typed  # the new rows, or the letter
        await seen.wait()
        latencies.append(((clock.at if queried[-1] else clock.typed_at) - pressed) * 1000)
        table = app.screen.query_one(PromptTable)
        searched = len(QUERY[: len(latencies)].strip()) >= MIN_SEARCH
        ranked = ranked and (not searched or table.sort_key == "score")
        await _idle(pilot)
        await pilot.pause(0.1)  # a typist's pause between keys
    return latencies, queried, ranked


async def _after_edit(pilot: Any, clock: PaintClock, library: Library) -> float:
    """A prompt of the result edited (as the edit screen saves it), then one more key: its
    latency to the painted table, which takes the edit in."""
    edited = library.search.search(QUERY, limit=1).hits[0].prompt_id
    library.prompts.update(edited, {"description": f"edited at {time.time_ns()}"})
    clock.painted.clear()
    pressed = time.perf_counter()
    await pilot.press("backspace")
    await clock.painted.wait()
    return (clock.at - pressed) * 1000


@dataclass
class Figures:
    first_paint: float = 0.0
    prepared: float = 0.0
    latencies: list[float] = field(default_factory=list)
    queried: list[bool] = field(default_factory=list)  # which keys started a list query
    early_queried: list[bool] = field(default_factory=list)
    early: list[float] = field(default_factory=list)  # typed 1 s after launch
    early_ranked: bool = False
    rss_settled_mb: float = 0.0
    rss_file_mb: float = 0.0  # of which pages of mapped files (the kept index and vectors)
    rss_peak_mb: float = 0.0  # the process's peak over a launch (the larger of the two)
    after_edit: float = 0.0  # the first keystroke after an edit, to the painted table (ms)


async def measure(path: Path, *, early: bool) -> Figures:
    """One launch: first paint, then either the search typed once the text index is ready,
    or (`early`) typed EARLY_TYPING seconds after launch, whatever is still loading."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # the peak counts from here (VmHWM reset)
    library = Library(path, linger=LINGER_SECONDS).open()
    clock = PaintClock()
    figures = Figures()
    start = time.perf_counter()
    app = PromptdeckApp(library, settings=Settings(path.with_suffix(".toml")))
    async with app.run_test(size=(120, 40)) as pilot:
        await clock.painted.wait()
        figures.first_paint = clock.at - start
        assert app.screen.query_one(PromptTable).row_count > 0
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        if early:
            await asyncio.sleep(max(0.0, EARLY_TYPING - (time.perf_counter() - start)))
            await pilot.press("slash")
            figures.early, figures.early_queried, figures.early_ranked = await _type(
                pilot, clock, app
            )
        else:
            # The text index loads (or builds) in the background.
            while "text" not in browse.query_state.prepared:
                await asyncio.sleep(0.01)
            figures.prepared = time.perf_counter() - start
            await pilot.press("slash")
            await _idle(pilot)
            figures.latencies, figures.queried, _ = await _type(pilot, clock, app)
            await _idle(pilot)
            await _let_go(library)
            figures.rss_settled_mb, figures.rss_file_mb = rss_mb(), rss_mb("RssFile")
            figures.after_edit = await _after_edit(pilot, clock, library)
    library.close()
    figures.rss_peak_mb = rss_mb("VmHWM")
    return figures


async def _let_go(library: Library, longest: float = 300.0) -> None:
    """Idle until the app has let the file go: LINGER_SECONDS, then the checkpoint of what
    its writes left in the log, and the close."""
    await asyncio.sleep(LINGER_SECONDS + 0.5)
    waited = time.perf_counter()
    while getattr(library.db, "_shared", None) is not None:  # (DuckDBFile's held connection)
        if time.perf_counter() - waited > longest:
            raise TimeoutError(f"the app still holds {library.db.path} after {longest:.0f} s")
        await asyncio.sleep(0.2)


def _early(f: Figures) -> str:
    """Typed one second after launch: the median of the keys that searched / the max."""
    if not f.early:
        return "-"  # (a first launch is measured once the index is ready)
    return f"{statistics.median(_searched(f.early, f.early_queried)):.0f} / {max(f.early):.0f}"


def _searched(latencies: list[float], queried: list[bool]) -> list[float]:
    """The latencies of the keys that started a query."""
    return [ms for ms, started in zip(latencies, queried, strict=True) if started]


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory (or one of its parts: RssAnon, RssFile; its peak: VmHWM) from
    /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def naive_search_ms(path: Path) -> float:
    """Reference: ILIKE over name, description and content, every matching row fetched."""
    library = Library(path).open()
    times = []
    for end in range(1, len(QUERY) + 1):
        started = time.perf_counter()
        library.db.query(
            "SELECT * FROM prompts WHERE archived_at IS NULL AND (name ILIKE $q OR "
            "description ILIKE $q OR content ILIKE $q)".replace("$q", f"'%{QUERY[:end]}%'"),
            limit=10**9,
        )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def launch(path: Path, early: bool, cache: Path | None) -> Figures:
    if cache is not None:
        os.environ["XDG_CACHE_HOME"] = str(cache)  # the kept postings and vectors: none
    return asyncio.run(measure(path, early=early))


def in_own_process(path: Path, *, early: bool, cache: Path | None = None) -> Figures:
    """One launch in a process of its own, as a user starts the app: its memory is the
    app's alone, not what earlier launches left in the allocator."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(launch, path, early, cache).result()


def measure_first_launch(path: Path) -> tuple[int, Figures, float]:
    """A launch on a copy of the library without its text index, with an empty cache dir."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".first-launch-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        with duckdb.connect(str(copy)) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {FTS} CASCADE")
            con.execute("CHECKPOINT")
        count = Library(copy).open().prompts.count_prompts(PromptFilter())
        figures = in_own_process(copy, early=False, cache=Path(tmp) / "cache")
        return count, figures, naive_search_ms(copy)


def measure_library(path: Path) -> tuple[int, Figures, float]:
    count = Library(path).open().prompts.count_prompts(PromptFilter())
    figures = in_own_process(path, early=False)
    early = in_own_process(path, early=True)
    figures.early, figures.early_ranked = early.early, early.early_ranked
    figures.early_queried = early.early_queried
    figures.rss_peak_mb = max(figures.rss_peak_mb, early.rss_peak_mb)
    return count, figures, naive_search_ms(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument(
        "--db", type=Path, action="append", help="reuse (or create) this library; repeatable"
    )
    parser.add_argument(
        "--first-launch", action="store_true", help="and the last library's first launch"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.db or [Path(tmp) / "bench.duckdb"]
        for path in paths:
            if not path.exists():
                with Library(path) as library:
                    generate(library, args.prompts)
        measured = [measure_library(path) for path in paths]
        if args.first_launch:
            measured.append(measure_first_launch(paths[-1]))
    ok = True
    header = ["figure", "target", *(f"{count:,} prompts" for count, _, _ in measured)]
    if args.first_launch:
        header[-1] += ", first launch"
    rows = [
        ["first paint of browse (s)", f"< {TARGET_FIRST_PAINT}"],
        ["keystroke -> table, median (ms)", f"< {TARGET_SEARCH_MS:.0f}"],
        ["  keys that searched: of all / their median (ms)", f"< {TARGET_SEARCH_MS:.0f}"],
        ["keystroke -> table, max (ms)", f"< {TARGET_MAX_MS:.0f}"],
        ["naive ILIKE, median (ms)", "reference"],
        ["naive / median of keys that searched", ""],
        ["text index ready after opening (s)", ""],
        [f"typed {EARLY_TYPING:.0f} s after launch: median / max (ms)", ""],
        [f"typed {EARLY_TYPING:.0f} s after launch: ranked by BM25", "yes"],
        ["RSS settled, idle after the search (MB)", f"< {TARGET_RSS_MB:,.0f}"],
        ["  of which mapped files' pages (MB)", ""],
        ["RSS peak (MB)", f"< {TARGET_PEAK_MB:,.0f}"],
        ["first keystroke after an edit (ms)", f"< {TARGET_AFTER_EDIT_MS:.0f}"],
    ]
    for _, f, naive in measured:
        median = statistics.median(f.latencies)
        searched = _searched(f.latencies, f.queried)
        values = [
            f"{f.first_paint:.3f}", f"{median:.1f}",
            f"{len(searched)} of {len(f.latencies)} / {statistics.median(searched):.1f}",
            f"{max(f.latencies):.1f}", f"{naive:.1f}",
            f"{naive / statistics.median(searched):.1f}x", f"{f.prepared:.2f}",
            _early(f), ("yes" if f.early_ranked else "NO") if f.early else "-",
            f"{f.rss_settled_mb:,.0f}",
            f"{f.rss_file_mb:,.0f}", f"{f.rss_peak_mb:,.0f}", f"{f.after_edit:.0f}",
        ]  # fmt: skip
        for row, value in zip(rows, values, strict=True):
            row.append(value)
        ok = ok and f.first_paint < TARGET_FIRST_PAINT and median < TARGET_SEARCH_MS
        ok = ok and statistics.median(searched) < TARGET_SEARCH_MS
        ok = ok and max(f.latencies) < TARGET_MAX_MS and (f.early_ranked or not f.early)
        ok = ok and f.after_edit < TARGET_AFTER_EDIT_MS
        ok = ok and f.rss_settled_mb < TARGET_RSS_MB and f.rss_peak_mb < TARGET_PEAK_MB
    print(f"\nbrowse screen, query {QUERY!r} typed key by key (120x40, headless)")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    for column, (_, f, _) in zip(header[2:], measured, strict=True):
        keys = " | ".join(f"{QUERY[: n + 1]!r} {ms:.0f}" for n, ms in enumerate(f.latencies))
        print(f"each key, {column} (ms): {keys}")
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
