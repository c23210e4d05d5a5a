"""The eval screen's first paint with 1,000 case results: from the key that opens it to the
matrix on screen with every row (the cases, the latest eval's results, the scorecard read in
its worker, then the DataTable filled and painted).

    python tests/perf/bench_eval_tui.py [--cases 1000] [--rounds 5]

The library holds one prompt with N cases and one eval run of N results (recorded as they
would be, without a model: half pass, half fail with a reason), built once in a temp dir."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import AssertionResult, Library  # noqa: E402
from tui.app import LINGER_SECONDS, PromptdeckApp  # noqa: E402
from tui.screens.evals import EvalsScreen  # noqa: E402
from tui.shared.settings import Settings  # noqa: E402
from tui.widgets.eval_matrix import EvalMatrix  # noqa: E402


def build(path: Path, count: int) -> str:
    library = Library(path, linger=3600.0, interactive=False).open()
    prompt = library.prompts.create("Greet", "Say hello to {{who}}.")
    cases = path.parent / "cases.jsonl"
    lines = (
        {"vars": {"who": f"person {n}"}, "assert": [{"type": "contains", "value": f"{n}"}]}
        for n in range(count)
    )
    cases.write_text("".join(json.dumps(line) + "\n" for line in lines))
    library.cases.import_file(prompt.id, cases)
    plan = library.evals.prepare(prompt.id, provider="openai", default_model="chat-small")
    with library.db.burst():
        started = library.evals.start(plan)
        for n, case in enumerate(plan.cases):
            passed = n % 2 == 0
            reason = "contains it" if passed else f"does not contain '{n}'"
            check = AssertionResult("contains", passed, reason, spec={"value": str(n)})
            library.evals.record(
                started.id, case, plan.targets[0], 1, None, [check], provider="openai"
            )
        library.evals.finish(started.id, "done")
    library.close()
    return prompt.id


async def first_paint(path: Path) -> float:
    """Browse on the one prompt, then `v`: until the matrix is filled and painted."""
    library = Library(path, linger=LINGER_SECONDS).open()
    app = PromptdeckApp(library, settings=Settings(path.parent / "config.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        started = time.perf_counter()
        await pilot.press("v")
        while True:
            screen = app.screen
            if isinstance(screen, EvalsScreen):
                matrix = screen.query_one(EvalMatrix)
                if matrix.row_count and matrix.results:
                    break
            await asyncio.sleep(0.002)
        await pilot.pause()  # the paint of the filled table
        took = time.perf_counter() - started
    library.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        began = time.perf_counter()
        build(path, options.cases)
        print(f"built {options.cases} cases and results in {time.perf_counter() - began:.1f} s")
        times = [asyncio.run(first_paint(path)) for _ in range(options.rounds)]
    shown = ", ".join(f"{t * 1000:.0f}" for t in times)
    print(
        f"first paint with {options.cases} results: median {statistics.median(times) * 1000:.0f}"
        f" ms ({shown})"
    )


if __name__ == "__main__":
    main()
