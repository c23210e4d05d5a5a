"""Browse screen at 100,000 prompts: time to first paint and keystroke-to-updated-table.

    python tests/perf/bench_tui.py [--prompts 100000] [--db PATH]

Measured with App.run_test (headless), on a library from tests/perf/generate.py. The
reference is the naive way: the same search as an ILIKE over every row, all rows fetched."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.strip import Strip

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, PromptFilter  # noqa: E402
from storage.models import PromptPage  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.screens.browse import BrowseScreen  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402
from tui.widgets.prompt_table import PromptTable  # noqa: E402

QUERY = "review security"
TARGET_FIRST_PAINT = 1.0
TARGET_SEARCH_MS = 150.0


class PaintClock:
    """Notes when the table first draws a line after receiving new rows: the moment the
    user sees the updated result."""

    def __init__(self) -> None:
        self.painted = asyncio.Event()
        self.at = 0.0
        self._waiting = False
        clock = self
        set_data, render_line = PromptTable.set_data, PromptTable.render_line

        # PromptTable methods (so `self` is the table) that also tell the clock.
        def set_data_and_watch(self: PromptTable, page: PromptPage, **kwargs: Any) -> None:
            set_data(self, page, **kwargs)
            clock._waiting = True

        def render_line_and_note(self: PromptTable, y: int) -> Strip:
            if clock._waiting:
                clock._waiting = False
                clock.at = time.perf_counter()
                clock.painted.set()
            return render_line(self, y)

        PromptTable.set_data = set_data_and_watch  # type: ignore[method-assign]
        PromptTable.render_line = render_line_and_note  # type: ignore[method-assign]


async def measure(path: Path) -> tuple[float, float, list[float]]:
    library = Library(path, linger=LINGER_SECONDS).open()
    clock = PaintClock()
    start = time.perf_counter()
    app = PromptdeckApp(library, settings=Settings(path.with_suffix(".toml")))
    async with app.run_test(size=(120, 40)) as pilot:
        await clock.painted.wait()
        first_paint = clock.at - start
        assert app.screen.query_one(PromptTable).row_count > 0
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        # The text index loads (or builds) in the background.
        while "text" not in browse.query_state.prepared:
            await asyncio.sleep(0.01)
        prepared = time.perf_counter() - start
        await pilot.press("slash")
        await pilot.app.workers.wait_for_complete()
        latencies = []
        for char in QUERY:
            clock.painted.clear()
            pressed = time.perf_counter()
            await pilot.press(char if char != " " else "space")
            await clock.painted.wait()  # the new rows are on the screen
            latencies.append((clock.at - pressed) * 1000)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause(0.1)  # a typist's pause between keys
    library.close()
    return first_paint, prepared, latencies


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this library")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not path.exists():
            with Library(path) as library:
                generate(library, args.prompts)
        count = Library(path).open().prompts.count_prompts(PromptFilter())
        first_paint, prepared, latencies = asyncio.run(measure(path))
        naive = naive_search_ms(path)
    median = statistics.median(latencies)
    rows = [
        ("first paint of browse (s)", f"{first_paint:.3f}", f"< {TARGET_FIRST_PAINT}", "", ""),
        ("search keystroke -> table, median (ms)", f"{median:.1f}", f"< {TARGET_SEARCH_MS:.0f}",
         f"{naive:.1f}", f"{naive / median:.1f}x faster"),
        ("search keystroke -> table, max (ms)", f"{max(latencies):.1f}", "", "", ""),
        ("text index ready after opening (s)", f"{prepared:.2f}", "", "", ""),
    ]  # fmt: skip
    print(f"\nbrowse screen, {count:,} live prompts, query {QUERY!r} typed key by key")
    header = ("figure", "measured", "target", "naive ILIKE (ms)", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = first_paint < TARGET_FIRST_PAINT and median < TARGET_SEARCH_MS
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
