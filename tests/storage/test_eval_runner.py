"""EvalRunner against a real chat API on 127.0.0.1: each case's model call is a recorded run,
its assertions are checked (a judge model answered by the same server, its reasons kept; an
answer it cannot read is a failed assertion), results are read back, verdict changes are
found between versions, and the scorecard marts add it up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest

from storage import (
    CaseFinished,
    CaseStarted,
    Criterion,
    EvalFinished,
    EvalPlan,
    EvalRunner,
    Library,
    LocalProvider,
    Rubric,
)
from storage.errors import NotFound, ValidationError
from storage.evals import judge
from storage.llm import ChatProvider
from tests.storage.chat_api import MODEL, ChatApi, Reply, chat_provider


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture
def chat(api: ChatApi) -> Iterator[ChatProvider]:
    provider = chat_provider("openai", api.url, [], max_retries=0)
    yield provider
    provider.close()


@pytest.fixture
def greet(library: Library) -> str:
    prompt = library.prompts.create("Greet", "Say hello to {{who}}.")
    library.prompts.update(prompt.id, {"content": "Say hello to {{who}}, loudly."})
    library.rubrics.add("Warm", [{"name": "warmth", "weight": 3}, {"name": "brevity"}])
    return prompt.id


def judged(warmth: int, brevity: int) -> Reply:
    scores = [
        {"criterion": "warmth", "score": warmth, "reason": f"warmth {warmth}"},
        {"criterion": "brevity", "score": brevity, "reason": f"brevity {brevity}"},
    ]
    return Reply(pieces=(json.dumps({"scores": scores}),))


def plan(library: Library, chat: ChatProvider, **options: object) -> EvalPlan:
    return library.evals.prepare(
        "Greet",
        provider=chat.name,
        default_model=chat.model,
        **options,  # type: ignore[arg-type]
    )


def run(library: Library, chat: ChatProvider, planned: EvalPlan) -> list[object]:
    runner = EvalRunner(library.runs, library.evals, planned, chat, embedder=LocalProvider())
    return list(runner)


def test_each_case_is_a_recorded_run_checked_and_kept(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    library.cases.add("Greet", {"who": "world"}, [{"type": "contains", "value": "world"}])
    library.cases.add("Greet", {"who": "Ada"}, [{"type": "contains", "value": "Ada"}])
    events = run(library, chat, plan(library, chat))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["CaseStarted", "CaseFinished"] * 2 + ["EvalFinished"]
    finished = [e for e in events if isinstance(e, CaseFinished)]
    assert [(e.done, e.total, e.result.verdict) for e in finished] == [
        (1, 2, "pass"),
        (2, 2, "fail"),
    ]
    [failed] = finished[1].result.failed_assertions
    assert failed.reason == "does not contain 'Ada'"
    done = events[-1]
    assert isinstance(done, EvalFinished)
    assert (done.eval_run.status, done.eval_run.passed, done.eval_run.failed) == ("done", 1, 1)
    assert [r.body["messages"][-1]["content"] for r in api.requests] == [
        "Say hello to world, loudly.",
        "Say hello to Ada, loudly.",
    ]
    kept = library.evals.results(done.eval_run.id[-8:])
    assert [(r.output, r.version, r.model, r.tokens_out) for r in kept] == [
        ("Hello, world!", 2, MODEL, 4)
    ] * 2
    runs = library.runs.list_runs("Greet")
    assert {r.id for r in runs} == {r.run_id for r in kept}
    assert library.evals.list_runs("Greet")[0] == done.eval_run
    assert library.analysis.get("Greet").stored


def test_a_judge_scores_by_the_rubric_and_its_reasons_are_kept(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    check = [{"type": "judge", "rubric": "Warm", "threshold": 4}]
    library.cases.add("Greet", {"who": "world"}, check)
    library.cases.add("Greet", {"who": "Ada"}, check)
    library.cases.add("Greet", {"who": "Bob"}, check)
    api.script(Reply(), judged(5, 2), Reply(), judged(3, 3), Reply(), Reply(pieces=("Lovely!",)))
    events = run(library, chat, plan(library, chat))
    results = [e.result for e in events if isinstance(e, CaseFinished)]
    assert [(r.verdict, r.judge_score) for r in results] == [
        ("pass", 4.25),
        ("fail", 3.0),
        ("fail", None),
    ]
    first = results[0].assertions[0]
    assert [(c.name, c.weight, c.score, c.reason) for c in first.criteria] == [
        ("warmth", 3.0, 5, "warmth 5"),
        ("brevity", 1.0, 2, "brevity 2"),
    ]
    assert results[1].assertions[0].reason == "Warm scored 3, below 4 (brevity 3: brevity 3)"
    unread = results[2].assertions[0].reason
    assert unread.startswith("judge answer could not be read: no JSON object in 'Lovely!'")
    judge_asked = api.requests[1].body["messages"]
    assert (
        judge_asked[0]["role"] == "system"
        and "<answer>\nHello, world!\n</answer>" in (judge_asked[1]["content"])
    )
    again = library.evals.results(events[-1].eval_run.id)  # type: ignore[attr-defined]
    assert again[0].assertions[0].criteria == first.criteria


def test_similar_uses_the_embedding_model(library: Library, greet: str, chat: ChatProvider) -> None:
    library.cases.add("Greet", {"who": "a"}, [{"type": "similar", "value": "Hello, world!"}])
    library.cases.add(
        "Greet",
        {"who": "b"},
        [{"type": "similar", "value": "quarterly tax forms", "threshold": 0.9}],
    )
    results = [
        e.result for e in run(library, chat, plan(library, chat)) if isinstance(e, CaseFinished)
    ]
    assert [r.verdict for r in results] == ["pass", "fail"]
    assert results[0].assertions[0].score == pytest.approx(1.0)
    assert "below 0.9" in results[1].assertions[0].reason
    with pytest.raises(ValidationError, match="embedding model"):
        EvalRunner(library.runs, library.evals, plan(library, chat), chat)


def test_a_model_failure_is_an_error_result_and_the_eval_goes_on(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    library.cases.add("Greet", {"who": "world"}, [{"type": "contains", "value": "world"}])
    library.cases.add("Greet", {}, [{"type": "contains", "value": "world"}])
    library.cases.add("Greet", {"who": "x"}, [{"type": "contains", "value": "world"}])
    api.script(Reply(500))
    events = run(library, chat, plan(library, chat))
    results = [e.result for e in events if isinstance(e, CaseFinished)]
    assert [r.verdict for r in results] == ["error", "error", "pass"]
    assert "500" in (results[0].error or "") and results[0].run_id is not None
    assert results[1].error == "missing template variable: who" and results[1].run_id is None
    assert library.runs.get(results[0].run_id or "").status == "failed"
    assert events[-1].eval_run.errors == 2  # type: ignore[attr-defined]


def test_versions_models_repeats_and_the_verdicts_that_changed(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    library.cases.add("Greet", {"who": "world"}, [{"type": "contains", "value": "loud"}])
    api.script(Reply(), Reply(pieces=("loud hello",)))
    planned = plan(library, chat, versions=["1", "latest"], repeat=1, models=["m1"])
    assert [t.label for t in planned.targets] == ["v1 m1", "v2 m1"]
    events = run(library, chat, planned)
    eval_id = events[-1].eval_run.id  # type: ignore[attr-defined]
    [change] = library.evals.changes(eval_id)
    assert (change.before, change.after, change.after_target.version) == ("fail", "pass", 2)
    api.script(Reply(), Reply(pieces=("loud",)), Reply())
    repeated = run(library, chat, plan(library, chat, repeat=3))
    again = repeated[-1].eval_run  # type: ignore[attr-defined]
    assert (again.results, again.passed, again.repeat) == (3, 1, 3)
    [across] = library.evals.compare(eval_id, again.id)
    assert (across.before, across.after) == ("1/2", "1/3")  # each run's results of the case


def test_only_failed_runs_what_did_not_pass_last_time(
    library: Library, greet: str, chat: ChatProvider
) -> None:
    library.cases.add("Greet", {"who": "world"}, [{"type": "contains", "value": "world"}])
    failing = library.cases.add("Greet", {"who": "Ada"}, [{"type": "contains", "value": "Ada"}])
    run(library, chat, plan(library, chat))
    retry = plan(library, chat, only_failed=True)
    assert [c.id for c in retry.cases] == [failing.id]
    library.cases.remove([failing.id])
    with pytest.raises(NotFound):
        library.evals.prepare("Greet@1", provider="p", default_model="m", versions=["nope"])


def test_cancel_from_another_thread_stops_after_the_answer_in_progress(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    for who in ("a", "b", "c"):
        library.cases.add("Greet", {"who": who}, [{"type": "contains", "value": "Hello"}])
    hold = threading.Event()
    api.script(Reply(), Reply(hold=hold))
    runner = EvalRunner(library.runs, library.evals, plan(library, chat), chat)
    seen = []

    def stop() -> None:
        runner.cancel()
        hold.set()

    for event in runner:
        seen.append(type(event).__name__)
        if isinstance(event, CaseStarted) and event.done == 1:
            threading.Timer(0.2, stop).start()
    assert seen == ["CaseStarted", "CaseFinished", "CaseStarted", "EvalFinished"]
    assert runner.eval_run is not None
    assert (runner.eval_run.status, runner.eval_run.results) == ("cancelled", 1)
    assert [r.status for r in library.runs.list_runs("Greet")] == ["cancelled", "ok"]


def test_the_scorecard_marts_add_up_per_version_and_model(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    library.costs.set_price("openai", MODEL, input_per_mtok=1000, output_per_mtok=2000)
    library.cases.add("Greet", {"who": "world"}, [{"type": "judge", "rubric": "Warm"}])
    library.cases.add("Greet", {"who": "Ada"}, [{"type": "contains", "value": "Ada"}])
    api.script(Reply(), judged(5, 5))
    run(library, chat, plan(library, chat))
    api.script(Reply(), judged(3, 3))
    run(library, chat, plan(library, chat))
    [score] = library.analytics.eval_scorecard("Greet")
    assert (score.version, score.eval_runs, score.results, score.passed) == (2, 2, 4, 1)
    assert (score.pass_rate, score.judge_score, score.last_pass_rate) == (0.25, 4.0, 0.0)
    assert score.cost_per_result == pytest.approx((17 * 1000 + 4 * 2000) / 1e6)
    history = library.analytics.eval_history("Greet")
    assert [(h.passed, h.judge_score) for h in history] == [(0, 3.0), (1, 5.0)]


@pytest.mark.parametrize("score", ["NaN", "Infinity", "-Infinity", "4.5", "true"])
def test_a_judge_score_that_is_no_whole_number_is_unreadable(score: str) -> None:
    now = datetime(2026, 1, 1)
    rubric = Rubric("r1", "Warm", "", (Criterion("warmth"),), now, now)
    with pytest.raises(judge.Unreadable, match="not a whole number from 1 to 5"):
        judge.scores(rubric, '{"warmth": ' + score + "}")
