"""Evals against a local chat server: cases per second, beside the bare runs of the same cases.

    python tests/perf/bench_eval.py [--cases 200]

The server is tests/storage/chat_api.py on 127.0.0.1 (OpenAI protocol, streamed, answering at
once), so the figures are promptdeck's own cost per case: rendering, sending, recording the
run, checking the assertions and recording the result. The library is held as a CLI verb
holds it (one connection for the command, nothing kept in memory between calls), and either
held through the eval (`Library.db.burst()`, as `promptdeck eval` does) or let go while each
answer comes (RunStream's own way, as a TUI worker leaves it for other processes).

* bare runs: each case's prompt sent and recorded as a run (RunService.prepare + RunStream):
  the reference, what an eval cannot do with less.
* eval: the same cases through EvalRunner, each with contains, icontains, regex, max-length
  and is-json assertions, results recorded.
* eval + judge: each case also judged on a two-criterion rubric (a second call per case).

The target: an eval does no more than 1.5x the work of its bare runs (cases per second at
least two thirds of theirs); judged, twice the calls, no more than 3x."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import EvalRunner, Library, RunStream  # noqa: E402
from tests.storage.chat_api import ChatApi, Reply, chat_provider  # noqa: E402

CHECKS = [
    {"type": "contains", "value": "world"},
    {"type": "icontains", "value": "HELLO"},
    {"type": "regex", "value": r"^Hello\b"},
    {"type": "max-length", "value": 200},
    {"type": "not-contains", "value": "sorry"},
]
JUDGED = '{"scores": [{"criterion": "warmth", "score": 5, "reason": "ok"}, ' + (
    '{"criterion": "brevity", "score": 4, "reason": "ok"}]}'
)


def library(folder: Path, name: str, cases: int, judged: bool) -> Library:
    lib = Library(folder / f"{name}.duckdb", linger=3600.0, interactive=False).open()
    lib.prompts.create("Greet", "Say hello to {{who}} in one line.")
    lib.rubrics.add("Warm", [{"name": "warmth", "weight": 2}, {"name": "brevity"}])
    checks = [*CHECKS, {"type": "judge", "rubric": "Warm"}] if judged else CHECKS
    path = folder / f"{name}.jsonl"
    path.write_text(
        "".join(
            json.dumps({"vars": {"who": f"user {i}"}, "assert": checks}) + "\n"
            for i in range(cases)
        )
    )
    lib.cases.import_file("Greet", path)
    return lib


def bare(lib: Library, api: ChatApi, held: bool) -> float:
    chat = chat_provider("openai", api.url, [])
    started = time.perf_counter()
    with lib.db.burst() if held else nullcontext():
        for case in lib.cases.list_cases("Greet"):
            prepared = lib.runs.prepare(
                "Greet", case.vars, provider=chat.name, default_model=chat.model
            )
            for _ in RunStream(lib.runs, prepared, chat):
                pass
    elapsed = time.perf_counter() - started
    chat.close()
    return elapsed


def evaluate(lib: Library, api: ChatApi, held: bool, judged: bool = False) -> float:
    chat = chat_provider("openai", api.url, [])
    if judged:
        cases = len(lib.cases.list_cases("Greet"))
        api.script(*[reply for _ in range(cases) for reply in (Reply(), Reply(pieces=(JUDGED,)))])
    started = time.perf_counter()
    with lib.db.burst() if held else nullcontext():
        plan = lib.evals.prepare("Greet", provider=chat.name, default_model=chat.model)
        runner = EvalRunner(lib.runs, lib.evals, plan, chat)
        for _ in runner:
            pass
    elapsed = time.perf_counter() - started
    chat.close()
    assert runner.eval_run is not None and runner.eval_run.passed == len(plan.cases)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    n = args.cases
    with tempfile.TemporaryDirectory() as tmp, ChatApi() as api:
        folder = Path(tmp)
        held_bare = bare(library(folder, "bare", n, False), api, held=True)
        held_eval = evaluate(library(folder, "eval", n, False), api, held=True)
        held_judged = evaluate(library(folder, "judged", n, True), api, held=True, judged=True)
        let_bare = bare(library(folder, "bare2", n, False), api, held=False)
        let_eval = evaluate(library(folder, "eval2", n, False), api, held=False)

    def row(name: str, took: float, target: str, reference: float) -> tuple[str, ...]:
        return (
            name,
            f"{n / took:.0f}",
            target,
            f"{n / reference:.0f} cases/s",
            f"{took / reference:.2f}",
        )

    rows = [
        ("figure", "cases/s", "target", "reference: bare runs", "ratio (time)"),
        row("eval, file held (CLI)", held_eval, "<= 1.5x", held_bare),
        row("eval + judge, held", held_judged, "<= 3.0x", held_bare),
        row("eval, file let go (TUI)", let_eval, "<= 1.5x", let_bare),
    ]
    print(f"\neval, {n} cases x 5 assertions, local chat server (openai, streamed)")
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for line in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))
    ok = (
        held_eval <= 1.5 * held_bare and held_judged <= 3 * held_bare and let_eval <= 1.5 * let_bare
    )
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
