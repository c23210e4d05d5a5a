"""Eval scorecards, read from mart.eval_scorecard (per prompt version, provider and model, over
the complete eval runs) and mart.eval_history (per eval run and target, complete or not: the
scorecard over time)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import duckdb

from storage.models import Record


@dataclass(frozen=True, slots=True)
class EvalScore(Record):
    prompt_id: str
    prompt_name: str
    version: int
    provider: str
    model: str
    eval_runs: int
    results: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    judge_score: float | None
    cost_per_result: float | None
    avg_latency_ms: float | None
    judge_cost_usd: float | None
    last_eval_at: datetime
    last_pass_rate: float


@dataclass(frozen=True, slots=True)
class EvalHistoryPoint(Record):
    eval_run_id: str
    prompt_id: str
    prompt_name: str
    version: int
    provider: str
    model: str
    started_at: datetime
    status: str  # as written: a running one may have been interrupted (EvalRun.status says)
    only_failed: bool
    complete: bool  # ran every case to its end: what the scorecard counts
    results: int
    cases: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    judge_score: float | None
    cost_usd: float | None
    avg_latency_ms: float | None
    judge_cost_usd: float | None


def scorecard(con: duckdb.DuckDBPyConnection, prompt_id: str | None, limit: int) -> list[EvalScore]:
    """Newest evaluated first; one prompt's, or every prompt's."""
    return _read(con, EvalScore, "mart.eval_scorecard", prompt_id, "last_eval_at", limit)


def history(
    con: duckdb.DuckDBPyConnection, prompt_id: str | None, limit: int
) -> list[EvalHistoryPoint]:
    """Newest first."""
    return _read(con, EvalHistoryPoint, "mart.eval_history", prompt_id, "started_at", limit)


def _read(
    con: duckdb.DuckDBPyConnection,
    kind: Any,
    view: str,
    prompt_id: str | None,
    newest: str,
    limit: int,
) -> list[Any]:
    columns = ", ".join(f.name for f in fields(kind))
    found = con.execute(
        f"SELECT {columns} FROM {view} WHERE ? IS NULL OR prompt_id = ? "
        f"ORDER BY {newest} DESC, version DESC, model LIMIT ?",
        [prompt_id, prompt_id, limit],
    ).fetchall()
    return [kind(*row) for row in found]
