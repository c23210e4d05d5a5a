"""The rollups: per-day sums of the event tables (usage_events, feedback, generations, runs),
which the analytics marts read instead of millions of raw rows.

Each writer of events keeps them current inside its own transaction: after inserting rows it
calls `add` with the rows it inserted (`where` on their table), and before deleting rows,
`add` with `sign=-1`. Bulk paths (a bulk insert, a restore, the migration that created them)
call `rebuild`. Both backends take them as they are: no keys (a team library has none), rows
matched by their key columns, rows whose counts fall to zero removed. A lake's writers run one
at a time under its advisory lock, so no increment is lost between two clients.

Two tables (schema.sql): `rollup_daily` per day, kind, actor, provider and model (thousands of
rows: what the KPIs, series, models and actors read) and `rollup_prompt_daily` per day and
prompt (what the per-prompt breakdowns read: one row per prompt used or rated that day).
Latency percentiles are not rolled up: a period's percentiles cannot be summed from days."""

from __future__ import annotations

import duckdb

# Each event table as one row per event, in the rollups' terms. `{source}`: the table, or
# the table filtered to the rows an increment is made of.
_COLUMNS = (
    "day, kind, prompt_id, actor, provider, model, rating, tokens_in, tokens_out, cost_usd, "
    "latency_ms"
)
EVENTS: dict[str, str] = {
    table: f"SELECT * FROM (SELECT {values} FROM {{source}}) AS e({_COLUMNS})"
    for table, values in {
        "usage_events": "CAST(created_at AS DATE), 'use', prompt_id, coalesce(actor, ''), '', "
        "'', NULL::INTEGER, 0, 0, NULL::DOUBLE, NULL::INTEGER",
        "feedback": "CAST(created_at AS DATE), 'rating', prompt_id, coalesce(actor, ''), '', '', "
        "rating, 0, 0, NULL::DOUBLE, NULL::INTEGER",
        "generations": "CAST(created_at AS DATE), 'generation', prompt_id, coalesce(actor, ''), "
        "provider, model, NULL::INTEGER, tokens_in, tokens_out, cost_usd, latency_ms",
        "runs": "CAST(created_at AS DATE), 'run', prompt_id, coalesce(actor, ''), '', '', "
        "NULL::INTEGER, 0, 0, NULL::DOUBLE, NULL::INTEGER",
    }.items()
}

DAILY_KEY = ("day", "kind", "actor", "provider", "model")
DAILY_SUMS = (
    "events",
    "rating_sum",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "costed",
    "uncosted_tokens_in",
    "uncosted_tokens_out",
    "latency_ms_sum",
    "timed",
)
PROMPT_KEY = ("day", "prompt_id")
PROMPT_SUMS = ("uses", "ratings", "rating_sum")

# Events (columns of EVENTS) -> rollup rows; `{sign}` is 1 to add, -1 to take away.
_DAILY = """
SELECT day, kind, actor, provider, model,
       {sign} * count(*)                                              AS events,
       {sign} * coalesce(sum(rating), 0)                              AS rating_sum,
       {sign} * coalesce(sum(tokens_in), 0)                           AS tokens_in,
       {sign} * coalesce(sum(tokens_out), 0)                          AS tokens_out,
       {sign} * coalesce(sum(cost_usd), 0)                            AS cost_usd,
       {sign} * count(cost_usd)                                       AS costed,
       {sign} * coalesce(sum(tokens_in) FILTER (WHERE cost_usd IS NULL), 0)  AS uncosted_tokens_in,
       {sign} * coalesce(sum(tokens_out) FILTER (WHERE cost_usd IS NULL), 0) AS uncosted_tokens_out,
       {sign} * coalesce(sum(latency_ms), 0)                          AS latency_ms_sum,
       {sign} * count(latency_ms)                                     AS timed
FROM ({events}) e
GROUP BY day, kind, actor, provider, model
"""
_PROMPT = """
SELECT day, prompt_id,
       {sign} * count(*) FILTER (WHERE kind = 'use')    AS uses,
       {sign} * count(*) FILTER (WHERE kind = 'rating') AS ratings,
       {sign} * coalesce(sum(rating), 0)                AS rating_sum
FROM ({events}) e
WHERE kind IN ('use', 'rating')
GROUP BY day, prompt_id
"""
_ROLLUPS = {
    "rollup_daily": (_DAILY, DAILY_KEY, DAILY_SUMS),
    "rollup_prompt_daily": (_PROMPT, PROMPT_KEY, PROMPT_SUMS),
}


def rollup_rows(table: str, rollup: str, source: str | None = None, sign: int = 1) -> str:
    """SQL: the rows of `rollup` that the events of `table` (or of `source`, a filtered form
    of it) make. Also how a test recomputes a rollup from the raw rows."""
    events = EVENTS[table].format(source=source or table)
    return _ROLLUPS[rollup][0].format(sign=sign, events=events)


def add(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: list[object] | None = None,
    *,
    sign: int = 1,
) -> None:
    """Add the rows of `table` matching `where` to every rollup (sign=-1: take them away;
    call it before deleting them). Runs inside the caller's transaction."""
    source = f"(SELECT * FROM {table} WHERE {where})"
    for rollup, (_, key, sums) in _ROLLUPS.items():
        if table in ("generations", "runs") and rollup == "rollup_prompt_daily":
            continue  # neither a use nor a rating
        delta = rollup_rows(table, rollup, source, sign)
        _merge(con, rollup, key, sums, delta, params or [], remove_empty=sign < 0)


def forget_prompts(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> None:
    """Take away every event of the prompts whose id matches `where` (before they and their
    events are deleted)."""
    for table in EVENTS:
        add(con, table, f"prompt_id IN (SELECT id FROM prompts WHERE {where})", params, sign=-1)


def _rebuild_statements() -> tuple[str, ...]:
    statements: list[str] = []
    for rollup, (_, key, sums) in _ROLLUPS.items():
        parts = [
            rollup_rows(table, rollup)
            for table in EVENTS
            if rollup == "rollup_daily" or table in ("usage_events", "feedback")
        ]
        totals = ", ".join(f"sum({c}) AS {c}" for c in sums)
        keys = ", ".join(key)
        statements.append(f"DELETE FROM {rollup}")
        statements.append(
            f"INSERT INTO {rollup} ({keys}, {', '.join(sums)}) "
            f"SELECT {keys}, {totals} FROM ({' UNION ALL '.join(parts)}) GROUP BY {keys} "
            f"ORDER BY {keys}"  # by day first: a day's rows stay together (zone maps)
        )
    return tuple(statements)


# Every rollup recomputed from the raw rows (the migration to schema version 8 runs these).
REBUILD = _rebuild_statements()


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every rollup recomputed from the raw rows (after a bulk load or a restore)."""
    for statement in REBUILD:
        con.execute(statement)


def _merge(
    con: duckdb.DuckDBPyConnection,
    rollup: str,
    key: tuple[str, ...],
    sums: tuple[str, ...],
    delta: str,
    params: list[object],
    *,
    remove_empty: bool,
) -> None:
    """Add `delta` (rows of `rollup`, one per key) to `rollup`: rows that exist grow, new
    keys are inserted, and after a subtraction rows left with no event are removed."""
    match = " AND ".join(f"r.{c} = d.{c}" for c in key)
    grow = ", ".join(f"{c} = r.{c} + d.{c}" for c in sums)
    con.execute(f"UPDATE {rollup} AS r SET {grow} FROM ({delta}) AS d WHERE {match}", params)
    columns = ", ".join((*key, *sums))
    con.execute(
        f"INSERT INTO {rollup} ({columns}) SELECT {', '.join(f'd.{c}' for c in (*key, *sums))} "
        f"FROM ({delta}) AS d WHERE NOT EXISTS (SELECT 1 FROM {rollup} r WHERE {match})",
        params,
    )
    if not remove_empty:
        return
    counts = ("events",) if rollup == "rollup_daily" else ("uses", "ratings")
    empty = " AND ".join(f"r.{c} = 0" for c in counts)
    con.execute(
        f"DELETE FROM {rollup} AS r WHERE {empty} AND EXISTS "
        f"(SELECT 1 FROM ({delta}) AS d WHERE {match})",
        params,
    )
