"""Applying schema.sql: versioning, migrations from older libraries, refusal of newer ones and
of DuckDB files that are not libraries."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb

from storage.db import rollups
from storage.errors import SchemaError

# Version 1: the core tables (prompts, versions, embeddings, relationships, usage, audit).
# Version 2: prompt_labels (named version pointers).
# Version 3: prices and lifecycle_runs, and the analytics mart views.
# Version 4: prompt_embeddings without its primary key (see schema.sql).
# Version 5: runs (prompts sent to chat models), mart.latency_by_model, and the run an
# enhancement came from (enhancement_history.run_id).
# Version 6: evals (eval_cases, rubrics, eval_runs, eval_results), analysis_results, and
# mart.eval_history and mart.eval_scorecard.
# Version 7: the actor on every event (usage_events, feedback, generations, runs), as the
# audit log has it: who used, rated, generated, ran (a team library has many people).
# Version 8: runs.kind (a judge's call is a run of kind judge), eval_runs.owner (the process
# running an eval: one whose process is gone reads as interrupted), and the eval marts counting
# only complete evals in the scorecard (eval_history says which are).
# Version 9: the rollups (rollup_daily, rollup_prompt_daily, rollup_prompt_totals,
# rollup_group_daily, rollup_group_prompts), built from the events, which the marts and the
# analytics report read instead of the events.
# Version 10: rollup_latency_daily (the timed generations per day, model and millisecond), from
# which mart.latency_by_model reads a period's exact percentiles.
# Version 11: rollup_authored_daily (prompts created and versions edited per day), from which
# mart.daily_activity reads them instead of scanning every prompt and version.
SCHEMA_VERSION = 11
# The version that added each table added after version 1 (what an older backup lacks).
TABLE_ADDED_IN: dict[str, int] = {
    "prompt_labels": 2,
    "prices": 3,
    "lifecycle_runs": 3,
    "runs": 5,
    "eval_cases": 6,
    "rubrics": 6,
    "eval_runs": 6,
    "eval_results": 6,
    "analysis_results": 6,
    "rollup_daily": 9,
    "rollup_prompt_daily": 9,
    "rollup_prompt_totals": 9,
    "rollup_group_daily": 9,
    "rollup_group_prompts": 9,
    "rollup_latency_daily": 10,
    "rollup_authored_daily": 11,
}
APP_VERSION = "0.1.0"

# Statements that bring a library from version N-1 to N before schema.sql is re-applied.
# schema.sql is idempotent (CREATE ... IF NOT EXISTS), so new tables and views need no entry;
# only changes to existing tables (ALTER TABLE ...) are listed here.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (),
    3: (),
    4: ("ALTER TABLE prompt_embeddings RENAME TO prompt_embeddings_v3",),
    5: ("ALTER TABLE enhancement_history ADD COLUMN IF NOT EXISTS run_id VARCHAR",),
    6: (),
    7: tuple(  # IF EXISTS: a library older than version 5 has no runs until schema.sql runs
        f"ALTER TABLE IF EXISTS {table} ADD COLUMN IF NOT EXISTS actor VARCHAR"
        for table in ("usage_events", "feedback", "generations", "runs")
    ),
    8: (  # IF EXISTS: a library older than version 5 (6) has no runs (eval_runs) yet
        "ALTER TABLE IF EXISTS runs ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'prompt'",
        "ALTER TABLE IF EXISTS eval_runs ADD COLUMN IF NOT EXISTS owner VARCHAR",
    ),
}
# Statements run after schema.sql, which has created the table anew: the rows move across.
AFTER_SCHEMA: dict[int, tuple[str, ...]] = {
    4: (
        "INSERT INTO prompt_embeddings SELECT * FROM prompt_embeddings_v3",
        "DROP TABLE prompt_embeddings_v3",
    ),
    9: rollups.rebuild_statements(rollups.ADDED_IN[9]),
    10: rollups.rebuild_statements(rollups.ADDED_IN[10]),
    11: rollups.rebuild_statements(rollups.ADDED_IN[11]),
}


def schema_sql() -> str:
    """schema.sql: inside the installed package, or at the top of a source checkout."""
    packaged = resources.files("storage").joinpath("schema.sql")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "schema.sql").read_text(encoding="utf-8")


def library_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the file, or None for a file with no promptdeck tables."""
    if not _has_marker(con):
        return None
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _has_marker(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has schema_migrations, which only promptdeck creates."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_migrations'"
    ).fetchone()
    return bool(row and row[0])


def refuse_foreign(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """A DuckDB file that holds tables or views but no promptdeck marker is somebody else's
    database: it is refused before anything is written into it."""
    if _has_marker(con):
        return
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database()"
    ).fetchone()
    if row and row[0]:
        raise SchemaError(f"{path}: is a DuckDB database but not a promptdeck library", file=path)


def refuse_newer(found: int | None, path: str) -> None:
    """A library written by a newer promptdeck is not opened, not even to read it."""
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaError(
            f"{path}: library schema version {found} is newer than this promptdeck "
            f"(supports up to {SCHEMA_VERSION}); upgrade promptdeck to open it",
            file=path,
        )


def ensure_schema(con: duckdb.DuckDBPyConnection, path: str, now: datetime) -> None:
    """Create or migrate the schema in one transaction; refuse a library newer than this code."""
    found = library_version(con)
    if found == SCHEMA_VERSION:
        return
    refuse_newer(found, path)
    refuse_foreign(con, path)
    con.execute("BEGIN TRANSACTION")
    try:
        if found is not None:
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(version, ()):
                    con.execute(statement)
        con.execute(schema_sql())
        if found is not None:
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in AFTER_SCHEMA.get(version, ()):
                    con.execute(statement)
        start = (found or 0) + 1
        for version in range(start, SCHEMA_VERSION + 1):
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, APP_VERSION, now]
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
