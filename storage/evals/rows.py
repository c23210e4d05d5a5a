"""Eval rows -> dataclasses, and the SQL that reads them, in one place."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import duckdb

from storage.errors import AmbiguousReference, NotFound
from storage.evals import owner
from storage.evals.models import (
    INTERRUPTED,
    Assertion,
    AssertionResult,
    CriterionScore,
    EvalCase,
    EvalResult,
    EvalRun,
    EvalTarget,
)

CASE_COLUMNS = "id, prompt_id, description, vars, asserts, source, created_at"
RUN_SELECT = (
    "SELECT x.id, x.prompt_id, coalesce(p.name, ''), x.provider, x.targets, x.judge_model, "
    "x.cases, x.repeat, x.only_failed, x.status, x.results, x.passed, x.failed, x.errors, "
    "x.started_at, x.finished_at, x.owner FROM eval_runs x "
    "LEFT JOIN prompts p ON p.id = x.prompt_id"
)
RESULT_SELECT = (
    "SELECT e.id, e.eval_run_id, e.case_id, e.prompt_id, e.version, e.provider, e.model, "
    "e.attempt, e.run_id, e.verdict, e.error, e.assertions, e.judge_score, e.created_at, "
    "coalesce(r.output, ''), r.cost_usd, r.latency_ms, coalesce(r.tokens_in, 0), "
    "coalesce(r.tokens_out, 0) FROM eval_results e LEFT JOIN runs r ON r.id = e.run_id"
)
_ID_PART = re.compile(r"^[0-9a-f-]{6,36}$")


def case_hash(vars_: dict[str, str], asserts: Sequence[Assertion]) -> str:
    """What makes two cases of a prompt the same: their variables and assertions."""
    canonical = json.dumps(
        {"vars": vars_, "assert": [a.spec() for a in asserts]}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def case(row: Sequence[Any]) -> EvalCase:
    case_id, prompt_id, description, vars_, asserts, source, created_at = row
    kept = tuple(Assertion(**a) for a in json.loads(asserts))
    return EvalCase(case_id, prompt_id, description, json.loads(vars_), kept, source, created_at)


def eval_run(row: Sequence[Any]) -> EvalRun:
    (run_id, prompt_id, name, provider, targets, judge_model, cases, repeat, only_failed,
     status, results, passed, failed, errors, started, finished, runner) = row  # fmt: skip
    kept = tuple(EvalTarget(t["version"], t["model"]) for t in json.loads(targets))
    if status == "running" and not owner.alive(runner):
        status = INTERRUPTED  # its process ended without finishing it
    return EvalRun(
        run_id, prompt_id, name, provider, kept, judge_model, cases, repeat, only_failed,
        status, results, passed, failed, errors, started, finished,
    )  # fmt: skip


def result(row: Sequence[Any]) -> EvalResult:
    (result_id, eval_run_id, case_id, prompt_id, version, provider, model, attempt, run_id,
     verdict, error, checks, judge_score, created_at, output, cost, latency, tokens_in,
     tokens_out) = row  # fmt: skip
    return EvalResult(
        result_id, eval_run_id, case_id, prompt_id, version, provider, model, attempt, run_id,
        verdict, error, tuple(_assertion_result(a) for a in json.loads(checks)), judge_score,
        created_at, output, cost, latency, tokens_in, tokens_out,
    )  # fmt: skip


def _assertion_result(data: dict[str, Any]) -> AssertionResult:
    criteria = tuple(CriterionScore(**c) for c in data.get("criteria", ()))
    return AssertionResult(
        data["type"], data["passed"], data["reason"], data.get("score"), criteria,
        data.get("spec", {}),
    )  # fmt: skip


def find_one(
    con: duckdb.DuckDBPyConnection, select: str, table_alias: str, wanted: str, what: str
) -> tuple[Any, ...]:
    """A row by its id, or a unique start or end of it (the short id listings show)."""
    wanted = wanted.strip()
    row = con.execute(f"{select} WHERE {table_alias}.id = ?", [wanted]).fetchone()
    if row is None and _ID_PART.match(wanted):
        rows = con.execute(
            f"{select} WHERE starts_with({table_alias}.id, ?) OR ends_with({table_alias}.id, ?) "
            f"ORDER BY {table_alias}.id LIMIT 6",
            [wanted, wanted],
        ).fetchall()
        if len(rows) > 1:
            more = "+" if len(rows) > 5 else ""
            raise AmbiguousReference(
                f"{what} id part {wanted!r} matches {len(rows)}{more} {what}s; type more of it"
            )
        row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"no {what} matches {wanted!r}")
    return tuple(row)
