"""Browse while an answer streams: keystroke-to-table latency with a run's worker streaming an
answer at 200 tokens/s, against the same keystrokes idle, in the same run.

    python tests/perf/bench_run_tui.py [--prompts 100000] [--db PATH] [--rounds 3]

The chat API (tests/storage/chat_api.py) runs in its own process, pacing its server-sent
events 4.5 ms apart (about 200 tokens a second once its writes are counted, a token an event;
the rate received is printed). The answer is asked for by the run screens' own worker code
(tui.run_worker.stream_answer: SSE parsing, RunStream, batched messages) in a thread worker of
the app while browse is in front. Rounds alternate
idle and streaming after one warm-up round, each typing the same query key by key; the target
is the streaming median within 1.2x of the idle one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot
from textual.worker import Worker, WorkerCancelled

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library, PromptFilter  # noqa: E402
from tests.perf.bench_tui import QUERY, PaintClock  # noqa: E402
from tests.perf.generate import generate  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.messages import AnswerDelta  # noqa: E402
from tui.run_worker import AnswerJob, stream_answer  # noqa: E402
from tui.screens.browse import BrowseScreen  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402

TARGET_RATIO = 1.2
TOKENS_PER_SECOND = 200
SERVER = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from tests.storage.chat_api import ChatApi, Reply
with ChatApi() as api:
    api.script(*[Reply(pieces=("tok ",) * 20000, gap={0.9 / TOKENS_PER_SECOND}) for _ in range(50)])
    print(api.url, flush=True)
    sys.stdin.read()  # until the bench closes it
"""


class Received:
    """Counts the answer's text reaching the app (the messages a run screen would show)."""

    def __init__(self) -> None:
        self.characters = 0
        self.first: float | None = None

    def post(self, message: Message) -> bool:
        if isinstance(message, AnswerDelta):
            self.first = self.first or time.perf_counter()
            self.characters += len(message.text)
        return True


async def type_query(
    pilot: Pilot[None], clock: PaintClock, streamer: Worker[None] | None
) -> list[float]:
    """Type QUERY key by key (a typist's pause between keys), then clear it; the latency of
    each key from the press to the table's first line with the new rows."""
    app = pilot.app
    assert isinstance(app, PromptdeckApp)
    latencies = []
    await pilot.press("slash")
    for char in QUERY:
        clock.painted.clear()
        pressed = time.perf_counter()
        await pilot.press(char if char != " " else "space")
        await clock.painted.wait()
        latencies.append((clock.at - pressed) * 1000)
        await wait_for_browse(app, streamer)
        await asyncio.sleep(0.1)
    clock.painted.clear()
    await pilot.press("escape")  # clears the search
    await clock.painted.wait()
    await wait_for_browse(app, streamer)
    return latencies


async def wait_for_browse(app: PromptdeckApp, streamer: Worker[None] | None) -> None:
    for worker in list(app.workers):
        if worker is not streamer and not worker.is_finished:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()


async def measure(path: Path, url: str, rounds: int) -> tuple[list[float], list[float], float]:
    library = Library(path, linger=LINGER_SECONDS).open()
    prompt_id = library.prompts.list_prompts(PromptFilter(), limit=1)[0].id
    clock = PaintClock()
    settings = Settings(path.with_suffix(".toml"))
    settings.llm = {"provider": "openai", "model": "m", "base_url": url + "/v1", "api_key": "k"}
    app = PromptdeckApp(library, settings=settings)
    idle: list[float] = []
    streaming: list[float] = []
    rates: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await clock.painted.wait()
        browse = app.screen
        assert isinstance(browse, BrowseScreen)
        while "text" not in browse.query_state.prepared:
            await asyncio.sleep(0.01)
        await wait_for_browse(app, None)
        await type_query(pilot, clock, None)  # warm-up: caches and code paths
        for _ in range(rounds):
            idle += await type_query(pilot, clock, None)
            received = Received()
            job = AnswerJob("run", prompt_id, {}, "openai", None, settings.llm)
            worker = app.run_worker(
                partial(
                    stream_answer, library, job, received.post, app.post_message, lambda: False
                ),
                thread=True,
                exit_on_error=False,
            )
            while received.first is None:
                await asyncio.sleep(0.01)
            streaming += await type_query(pilot, clock, worker)
            assert received.first is not None
            rates.append(received.characters / 4 / (time.perf_counter() - received.first))
            worker.cancel()  # the thread stops at the next piece: recorded as cancelled
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
            await asyncio.sleep(0.3)
    library.close()
    return idle, streaming, statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this library")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            path = args.db or Path(tmp) / "bench.duckdb"
            if not path.exists():
                with Library(path) as library:
                    generate(library, args.prompts)
            with Library(path) as library:
                count = library.prompts.count_prompts(PromptFilter())
            idle, streaming, rate = asyncio.run(measure(path, url, args.rounds))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    idle_median, streaming_median = statistics.median(idle), statistics.median(streaming)
    ratio = streaming_median / idle_median
    rows = [
        ("keystroke -> table while streaming, median (ms)", f"{streaming_median:.1f}",
         f"<= {TARGET_RATIO}x idle", f"{idle_median:.1f}", f"{ratio:.2f}x"),
        ("keystroke -> table while streaming, max (ms)", f"{max(streaming):.1f}", "",
         f"{max(idle):.1f}", f"{max(streaming) / max(idle):.2f}x"),
        ("answer received (tokens/s)", f"{rate:.0f}", f"{TOKENS_PER_SECOND} paced", "", ""),
    ]  # fmt: skip
    print(
        f"\nbrowse, {count:,} live prompts, {QUERY!r} typed key by key, {args.rounds} rounds "
        f"idle and {args.rounds} streaming ({len(idle)} and {len(streaming)} keys)"
    )
    header = ("figure", "measured", "target", "idle, same run (ms)", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = ratio <= TARGET_RATIO
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
