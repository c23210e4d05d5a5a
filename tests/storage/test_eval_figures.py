"""What evals add to the figures, against a real chat API on 127.0.0.1: a judge's call is a run
of kind judge (a generation, its tokens and cost counted once, no use of the prompt), the
scorecard counts only evals that ran every case to their end, an eval whose process is gone
reads as interrupted, and a version 7 library gains all this when opened."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from storage import EvalRunner, Library
from storage.db.schema import SCHEMA_VERSION
from storage.llm import ChatProvider
from tests.storage.chat_api import MODEL, TOKENS_IN, TOKENS_OUT, ChatApi, Reply, chat_provider

JUDGE = "judge-large"


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
    library.rubrics.add("Warm", [{"name": "warmth"}])
    library.costs.set_price("openai", MODEL, 1.0, 2.0, effective_from=date(2000, 1, 1))
    library.costs.set_price("openai", JUDGE, 10.0, 20.0, effective_from=date(2000, 1, 1))
    library.cases.add("Greet", {"who": "world"}, [{"type": "contains", "value": "world"}])
    library.cases.add("Greet", {"who": "Ada"}, [{"type": "judge", "rubric": "Warm"}])
    return prompt.id


def warm(score: int) -> Reply:
    return Reply(pieces=(json.dumps({"scores": [{"criterion": "warmth", "score": score}]}),))


def evaluate(library: Library, chat: ChatProvider, **options: object) -> None:
    plan = library.evals.prepare(
        "Greet",
        provider=chat.name,
        default_model=chat.model,
        **options,  # type: ignore[arg-type]
    )
    list(EvalRunner(library.runs, library.evals, plan, chat))


def test_a_judge_call_is_a_run_of_its_own_kind_counted_once(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    api.script(Reply(), Reply(), warm(5))
    evaluate(library, chat, judge_model=JUDGE)
    answers = library.runs.list_runs("Greet")
    (judged,) = library.runs.list_runs("Greet", kind="judge")
    assert [r.kind for r in answers] == ["prompt", "prompt"]
    assert (judged.kind, judged.model, judged.messages[0].role) == ("judge", JUDGE, "system")
    answer = next(r for r in answers if r.variables == {"who": "Ada"})
    assert judged.parameters["judge"] == {"run_id": answer.id, "rubric": "Warm"}
    kpis = library.analytics.kpis("all")
    assert kpis.generations == 3  # two answers and the judge, each once
    assert kpis.tokens == 3 * (TOKENS_IN + TOKENS_OUT)
    assert kpis.uses == 2  # the judge did not use the prompt
    (point,) = library.analytics.eval_history("Greet")
    answers_cost = 2 * (TOKENS_IN * 1.0 + TOKENS_OUT * 2.0) / 1e6
    assert point.cost_usd == pytest.approx(answers_cost)
    assert point.judge_cost_usd == pytest.approx((TOKENS_IN * 10.0 + TOKENS_OUT * 20.0) / 1e6)
    (score,) = library.analytics.eval_scorecard("Greet")
    assert score.judge_cost_usd == pytest.approx(point.judge_cost_usd)


def test_the_scorecard_counts_only_evals_that_ran_every_case(
    library: Library, greet: str, chat: ChatProvider, api: ChatApi
) -> None:
    api.script(Reply(), Reply(), warm(2))
    evaluate(library, chat)  # complete: 1 pass, 1 fail
    api.script(Reply(), warm(5))
    evaluate(library, chat, only_failed=True)  # failed only: 1 pass
    plan = library.evals.prepare("Greet", provider=chat.name, default_model=chat.model)
    runner = EvalRunner(library.runs, library.evals, plan, chat)
    next(runner), next(runner)  # one case done
    runner.cancel()
    list(runner)  # cancelled after one result
    history = library.analytics.eval_history("Greet")
    assert [(p.status, p.only_failed, p.complete) for p in history] == [
        ("cancelled", False, False),
        ("done", True, False),
        ("done", False, True),
    ]
    (score,) = library.analytics.eval_scorecard("Greet")
    assert (score.eval_runs, score.results, score.passed, score.pass_rate) == (1, 2, 1, 0.5)


def test_an_eval_whose_process_is_gone_reads_as_interrupted(
    library: Library, greet: str, chat: ChatProvider
) -> None:
    plan = library.evals.prepare("Greet", provider=chat.name, default_model=chat.model)
    mine = library.evals.start(plan)
    assert library.evals.get(mine.id).status == "running"  # this process runs it
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    dead = library.evals.start(plan)
    far = library.evals.start(plan)
    library.close()
    con = duckdb.connect(str(library.db.path))
    host = con.execute("SELECT owner FROM eval_runs WHERE id = ?", [dead.id]).fetchone()
    assert host is not None
    con.execute("UPDATE eval_runs SET owner = ? WHERE id = ?",
                [host[0].rpartition(":")[0] + ":" + gone, dead.id])  # fmt: skip
    con.execute("UPDATE eval_runs SET owner = 'elsewhere:1' WHERE id = ?", [far.id])
    con.close()
    with Library(library.db.path) as reopened:
        statuses = {e.id: e.status for e in reopened.evals.list_runs("Greet")}
    assert statuses == {mine.id: "running", dead.id: "interrupted", far.id: "running"}


def test_a_version_seven_library_gains_run_kinds_and_eval_owners(tmp_path: Path) -> None:
    path = tmp_path / "v7.duckdb"
    with Library(path) as library:
        library.prompts.create("Kept", "a prompt from version 7")
    con = duckdb.connect(str(path))
    con.execute("DROP VIEW mart.eval_scorecard")
    con.execute("DROP VIEW mart.eval_history")
    con.execute("ALTER TABLE runs DROP COLUMN kind")
    con.execute("ALTER TABLE eval_runs DROP COLUMN owner")
    con.execute("DELETE FROM schema_migrations WHERE version > 7")
    con.close()
    with Library(path) as library:
        _, columns = library.db.query(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE column_name IN ('kind', 'owner') AND table_name IN ('runs', 'eval_runs')"
        )
        assert sorted(columns) == [("eval_runs", "owner"), ("runs", "kind")]
        assert library.analytics.eval_scorecard(None) == []
        _, versions = library.db.query("SELECT max(version) FROM schema_migrations")
        assert versions == [(SCHEMA_VERSION,)]
