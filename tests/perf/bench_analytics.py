"""Analytics at 100,000 prompts and ~1,000,000 usage events (or on each --db given: a column
each, 100k beside 1M and 10M): the screen and each mart query.

    python tests/perf/bench_analytics.py [--prompts 100000] [--db PATH ...] [--rounds 5]

The screen is measured with App.run_test (headless, 160x48): from the key (`t` from browse, or
a period key) to the report drawn (the first line painted after the screen took it in), every
period, median and max (the target is on the max). The first open is timed alone, as soon as
the list is drawn: browse is still loading its text index then (seconds at 1M), on the same two
cores; the rounds start once it is loaded. Each mart query is timed on a warm connection beside
the naive reference: the same figures computed with numpy from the raw rows fetched out of
DuckDB. The library's clock is pinned to the last generated event, so the periods hold the
history. A library older than schema version 9 is upgraded first (its rollups built): that
time is printed too."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from textual.strip import Strip

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library  # noqa: E402
from tests.helpers import fixed_clock  # noqa: E402
from tests.perf.columns import Row, print_columns, print_rows, write_rows  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.messages import PromptsLoaded, SearchPrepared  # noqa: E402
from tui.screens.analytics import AnalyticsScreen, ReportLoaded  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402
from tui.widgets.analytics_bars import Breakdowns  # noqa: E402
from tui.widgets.analytics_box import DrawnWidget  # noqa: E402
from tui.widgets.analytics_kpis import KpiBoxes, kpi_values  # noqa: E402
from tui.widgets.analytics_series import SeriesCharts  # noqa: E402
from tui.widgets.analytics_top import TopPrompts  # noqa: E402

TARGET_MS = 500.0


def check_drawn(screen: object, period: str) -> None:
    """Every part of the screen shows the report of `period` (checked after the timing)."""
    assert isinstance(screen, AnalyticsScreen) and screen.report is not None
    report = screen.report
    assert report.period.name == period
    assert screen.query_one(KpiBoxes).values == kpi_values(report.kpis)
    assert screen.query_one(SeriesCharts).uses == [float(p.used) for p in report.days]
    assert len(screen.query_one(Breakdowns).bars["tag"]) == len(report.tags)
    assert screen.query_one(TopPrompts).rows == report.top_by_use


class DrawClock:
    """Notes when the screen first draws a line after taking in a report: the moment the
    user sees it (the key's handling by the test harness waits for the whole process to go
    idle, background loading included)."""

    def __init__(self) -> None:
        self.drawn = asyncio.Event()
        self.at = 0.0
        self._waiting = False
        clock = self
        take_in, render_line = AnalyticsScreen.on_report_loaded, DrawnWidget.render_line

        # Methods of the screen and of its widgets (`self` is theirs) that also tell the clock.
        def take_in_and_watch(self: AnalyticsScreen, message: ReportLoaded) -> None:
            take_in(self, message)
            clock._waiting = self.report is message.report

        def render_line_and_note(self: DrawnWidget, y: int) -> Strip:
            if clock._waiting:
                clock._waiting = False
                clock.at = time.perf_counter()
                clock.drawn.set()
            return render_line(self, y)

        AnalyticsScreen.on_report_loaded = take_in_and_watch  # type: ignore[method-assign]
        DrawnWidget.render_line = render_line_and_note  # type: ignore[method-assign]


async def measure_screen(library: Library, rounds: int) -> dict[str, list[float]]:
    """Milliseconds from a key to the analytics screen drawn, per period."""
    loaded, settled = asyncio.Event(), asyncio.Event()
    clock = DrawClock()

    def hook(message: object) -> None:
        if isinstance(message, PromptsLoaded):
            loaded.set()
        if isinstance(message, SearchPrepared):
            settled.set()

    times: dict[str, list[float]] = {
        "first open (30d), browse loading its index": [],
        "open (30d)": [],
        "7d": [],
        "90d": [],
        "all": [],
    }
    app = PromptdeckApp(library, settings=Settings(library.db.path.with_suffix(".toml")))
    async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
        await loaded.wait()
        await pilot.pause()

        async def timed(key: str, name: str, period: str) -> None:
            clock.drawn.clear()
            started = time.perf_counter()
            await pilot.press(key)
            await clock.drawn.wait()
            times[name].append((clock.at - started) * 1000)
            await pilot.pause()
            check_drawn(app.screen, period)

        await timed("t", "first open (30d), browse loading its index", "30d")
        await pilot.press("escape")
        await asyncio.wait_for(settled.wait(), timeout=900)
        await pilot.pause()
        for _ in range(rounds):
            await timed("t", "open (30d)", "30d")
            await timed("7", "7d", "7d")
            await timed("9", "90d", "90d")
            await timed("a", "all", "all")
            await pilot.press("escape")
            await pilot.pause()
    return times


def best_ms(run: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def _days(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]")


def mart_rows(con: duckdb.DuckDBPyConnection, since: date) -> list[tuple[str, float, float]]:
    """(query, mart ms, naive numpy ms) for each mart view the screen and `stats` read."""
    day0 = np.datetime64(since)

    def naive_daily() -> None:
        counts = []
        for sql in (
            "SELECT created_at FROM prompts",
            "SELECT created_at FROM prompt_versions WHERE version > 1",
            "SELECT created_at FROM usage_events",
            "SELECT created_at FROM feedback",
        ):
            days = _days(con.execute(sql).fetchnumpy()["created_at"])
            counts.append(np.unique(days[days >= day0], return_counts=True))

    def naive_usage() -> None:
        g = con.execute(
            "SELECT created_at, provider, model, tokens_in, tokens_out, cost_usd FROM generations"
        ).fetchnumpy()
        keep = _days(g["created_at"]) >= day0
        keys = np.char.add(g["provider"][keep].astype(str), g["model"][keep].astype(str))
        _, group = np.unique(keys, return_inverse=True)
        np.bincount(group, weights=g["cost_usd"][keep])
        np.bincount(group, weights=g["tokens_in"][keep] + g["tokens_out"][keep])

    def naive_actors() -> None:
        for table in ("usage_events", "feedback", "generations", "runs"):
            rows = con.execute(f"SELECT actor, created_at FROM {table}").fetchnumpy()
            keep = _days(rows["created_at"]) >= day0
            np.unique(rows["actor"][keep].astype(str), return_counts=True)

    def naive_breakdowns() -> None:
        events = con.execute("SELECT prompt_id, created_at FROM usage_events").fetchnumpy()
        keep = _days(events["created_at"]) >= day0
        ids, uses = np.unique(events["prompt_id"][keep].astype(str), return_counts=True)
        prompts = con.execute("SELECT id, phase, tags FROM prompts").fetchall()
        per_prompt = dict(zip(ids.tolist(), uses.tolist(), strict=True))
        by_tag: dict[str, int] = {}
        by_phase: dict[str, int] = {}
        for prompt_id, phase, tags in prompts:
            n = per_prompt.get(prompt_id, 0)
            by_phase[phase or ""] = by_phase.get(phase or "", 0) + n
            for tag in tags:
                by_tag[tag] = by_tag.get(tag, 0) + n
        np.argsort(-uses)[:10]

    def naive_tag_stats() -> None:
        prompts = con.execute(
            "SELECT id, usage_count, tags FROM prompts WHERE archived_at IS NULL"
        ).fetchall()
        ratings = con.execute("SELECT prompt_id, rating FROM feedback").fetchnumpy()
        stars: dict[str, list[int]] = {}
        for prompt_id, rating in zip(ratings["prompt_id"], ratings["rating"], strict=True):
            stars.setdefault(prompt_id, []).append(int(rating))
        totals: dict[str, list[int]] = {}
        for prompt_id, uses, tags in prompts:
            for tag in tags:
                item = totals.setdefault(tag, [0, 0, 0, 0])
                item[0] += 1
                item[1] += uses
                item[2] += len(stars.get(prompt_id, []))
                item[3] += sum(stars.get(prompt_id, []))

    def naive_top() -> None:
        found = con.execute(
            "SELECT name, usage_count FROM prompts WHERE archived_at IS NULL"
        ).fetchnumpy()
        np.argsort(-found["usage_count"], kind="stable")[:10]

    def naive_distribution() -> None:
        np.bincount(con.execute("SELECT rating FROM feedback").fetchnumpy()["rating"], minlength=6)

    def naive_summary() -> None:
        found = con.execute("SELECT folder, tags, archived_at FROM prompts").fetchall()
        live = [row for row in found if row[2] is None]
        len({row[0] for row in live if row[0]})
        len({tag for row in live for tag in row[1]})
        con.execute("SELECT count(*) FROM prompt_versions").fetchone()

    params = {"since": since}
    queries: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "mart.daily_activity (30 days)",
            lambda: con.execute(
                "SELECT * FROM mart.daily_activity WHERE day >= $since", params
            ).fetchall(),
            naive_daily,
        ),
        (
            "mart.usage_by_model (30 days)",
            lambda: con.execute(
                "SELECT * FROM mart.usage_by_model WHERE day >= $since", params
            ).fetchall(),
            naive_usage,
        ),
        (
            "mart.group_activity and top prompts: tags, phases, top 10 (30 days)",
            lambda: _breakdowns(con, since),
            naive_breakdowns,
        ),
        (
            "mart.actor_activity (30 days)",
            lambda: con.execute("SELECT * FROM mart.actor_activity($since)", params).fetchall(),
            naive_actors,
        ),
        (
            "mart.tag_stats",
            lambda: con.execute("SELECT * FROM mart.tag_stats").fetchall(),
            naive_tag_stats,
        ),
        (
            "mart.top_prompts_by_use (top 10)",
            lambda: con.execute(
                "SELECT * FROM mart.top_prompts_by_use WHERE rank <= 10"
            ).fetchall(),
            naive_top,
        ),
        (
            "mart.rating_distribution",
            lambda: con.execute("SELECT * FROM mart.rating_distribution").fetchall(),
            naive_distribution,
        ),
        (
            "mart.library_summary",
            lambda: con.execute("SELECT * FROM mart.library_summary").fetchall(),
            naive_summary,
        ),
    ]
    return [(name, best_ms(mart), best_ms(naive)) for name, mart, naive in queries]


def _breakdowns(con: duckdb.DuckDBPyConnection, since: date) -> None:
    from storage.analytics.reports import _GROUPS
    from storage.analytics.top_prompts import top_prompts

    con.execute(_GROUPS, {"since": since}).fetchall()
    top_prompts(con, since)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument(
        "--db", type=Path, action="append",
        help="reuse (or create) this library; repeat for a column each (100k beside 1M), each "
        "measured in a process of its own",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)  # (one column's run)
    args = parser.parse_args()
    if args.db and len(args.db) > 1:
        rest = ["--rounds", str(args.rounds), "--prompts", str(args.prompts)]
        met = print_columns(__file__, args.db, rest, f"analytics, {args.rounds} rounds")
        print("PASS" if met else "MISS")
        return 0 if met else 1
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db[0] if args.db else Path(tmp) / "bench.duckdb"
        if not path.exists():
            with Library(path) as library:
                generate(library, args.prompts)
        heading, rows, met = measure(path, args.rounds)
    if args.rows_to is not None:
        write_rows(args.rows_to, heading, rows)
    else:
        print(f"\nanalytics, {heading}, {args.rounds} rounds")
        print_rows(rows)
        print("PASS" if met else "MISS")
    return 0 if met else 1


def measure(path: Path, rounds: int) -> tuple[str, list[Row], bool]:
    """The library's heading, its figures, and whether every screen figure met its target."""
    started = time.perf_counter()
    Library(path).open().close()  # bring the schema up to date before raw connections
    upgrade_s = time.perf_counter() - started
    con = duckdb.connect(str(path), read_only=True)
    row = con.execute(
        "SELECT (SELECT max(created_at) FROM usage_events), "
        "(SELECT count(*) FROM usage_events), (SELECT count(*) FROM prompts)"
    ).fetchone()
    assert row is not None
    latest, events, prompts = row
    since = latest.date() - timedelta(days=29)
    marts = mart_rows(con, since)
    con.close()
    library = Library(path, clock=fixed_clock(latest), linger=LINGER_SECONDS).open()
    screen = asyncio.run(measure_screen(library, rounds))
    started = time.perf_counter()
    library.analytics.report("30d")
    report_ms = (time.perf_counter() - started) * 1000
    library.close()

    rows: list[Row] = []
    for name, times in screen.items():
        median = statistics.median(times)
        rows.append((f"screen drawn, {name}: median (max) ms", f"{median:.0f} ({max(times):.0f})",
                     f"< {TARGET_MS:.0f}", ""))  # fmt: skip
    rows.append(("Library.analytics('30d'), warm (ms)", f"{report_ms:.0f}", "", ""))
    rows.append(("opening (and upgrading) the library (s)", f"{upgrade_s:.1f}", "", ""))
    for name, mart, naive in marts:
        rows.append((f"{name} (ms)", f"{mart:.1f}", "", f"{naive / mart:.1f}x naive ({naive:.1f})"))
    met = all(max(times) < TARGET_MS for times in screen.values())
    return f"{prompts:,} prompts / {events:,} events", rows, met


if __name__ == "__main__":
    raise SystemExit(main())
