"""The relevance lifecycle: daily decay of unused prompts, cleanup (archive) beyond the cap,
and purge (delete archived prompts, after exporting them to Parquet and reading that back)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb

from storage.analytics.config_keys import read_number
from storage.analytics.models import CleanupCandidate, CleanupRun, DecayRun, PurgeRun
from storage.db import rollups
from storage.db.database import Database
from storage.errors import PurgeError, ValidationError

# What a purge exports and deletes: table -> the condition that ties a row to a purged prompt
# (`_purge` holds their ids). The audit log is exported too, but kept: it is the history.
PURGED_ROWS: dict[str, str] = {
    "prompts": "id IN (SELECT id FROM _purge)",
    "prompt_versions": "prompt_id IN (SELECT id FROM _purge)",
    "prompt_labels": "prompt_id IN (SELECT id FROM _purge)",
    "prompt_embeddings": "prompt_id IN (SELECT id FROM _purge)",
    "relationships": "source_id IN (SELECT id FROM _purge) OR target_id IN (SELECT id FROM _purge)",
    "enhancement_history": (
        "prompt_id IN (SELECT id FROM _purge) OR parent_id IN (SELECT id FROM _purge)"
    ),
    "generations": "prompt_id IN (SELECT id FROM _purge)",
    "usage_events": "prompt_id IN (SELECT id FROM _purge)",
    "feedback": "prompt_id IN (SELECT id FROM _purge)",
    "context": "prompt_id IN (SELECT id FROM _purge)",
    "runs": "prompt_id IN (SELECT id FROM _purge)",
    "eval_cases": "prompt_id IN (SELECT id FROM _purge)",
    "eval_runs": "prompt_id IN (SELECT id FROM _purge)",
    "eval_results": "prompt_id IN (SELECT id FROM _purge)",
    "analysis_results": "prompt_id IN (SELECT id FROM _purge)",
}
_AUDIT_ROWS = "entity IN (SELECT 'prompt:' || id FROM _purge)"


class LifecycleService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def decay(self) -> DecayRun:
        """Multiply the relevance of live prompts unused since the last run by the daily decay
        rate, once per day elapsed since then (the first run counts one day). A second run on
        the same day changes nothing."""
        now = self._db.clock()
        today = now.date()
        for tx in self._db.write_attempts("decay"):
            with tx as con:
                rate = read_number(con, "relevance_decay_rate")
                row = con.execute(
                    "SELECT max(run_on) FROM lifecycle_runs WHERE action = 'decay'"
                ).fetchone()
                last = row[0] if row else None
                days = 1 if last is None else (today - last).days
                if days <= 0:
                    return DecayRun(today, 0, rate, 0)
                since = datetime.combine(last or today - timedelta(days=1), time())
                changed = con.execute(
                    "UPDATE prompts SET relevance_score = relevance_score * pow(?, ?) "
                    "WHERE archived_at IS NULL AND relevance_score > 0 "
                    "AND coalesce(last_used_at, created_at) < ?",
                    [rate, days, since],
                ).fetchone()
                run = DecayRun(today, days, rate, int(changed[0]) if changed else 0)
                self._record_run(con, "decay", now, run.prompts, {"days": days, "rate": rate})
                self._db.audit(con, "decay", "library", after=run.to_dict())
        return run

    def cleanup(self, *, dry_run: bool = False) -> CleanupRun:
        """Archive (never delete) the live prompts beyond `max_prompts`: the lowest relevance
        first among those below `min_relevance_score` and unused for `max_unused_days`."""
        now = self._db.clock()
        for tx in self._db.write_attempts("cleanup"):
            with tx as con:
                cap = int(read_number(con, "max_prompts"))
                floor = read_number(con, "min_relevance_score")
                idle = timedelta(days=read_number(con, "max_unused_days"))
                live_row = con.execute(
                    "SELECT count(*) FROM prompts WHERE archived_at IS NULL"
                ).fetchone()
                live = int(live_row[0]) if live_row else 0
                found = con.execute(
                    "SELECT id, name, relevance_score, coalesce(last_used_at, created_at) "
                    "FROM prompts WHERE archived_at IS NULL AND relevance_score < ? "
                    "AND coalesce(last_used_at, created_at) < ? "
                    "ORDER BY relevance_score, 4, id LIMIT ?",
                    [floor, now - idle, max(live - cap, 0)],
                ).fetchall()
                run = CleanupRun(live, cap, [CleanupCandidate(*row) for row in found], dry_run)
                if dry_run or not found:
                    return run
                ids = [c.id for c in run.candidates]
                chosen = "list_contains(?, id)"
                rollups.regroup(con, chosen, [ids], sign=-1, history=False)
                con.execute(f"UPDATE prompts SET archived_at = ? WHERE {chosen}", [now, ids])
                rollups.regroup(con, chosen, [ids], sign=1, history=False)
                self._db.audit_select(
                    con,
                    "SELECT ?, ?, 'archive', 'prompt:' || id, NULL, "
                    "json_object('archived_at', ?, 'by', 'lifecycle cleanup', "
                    "'relevance_score', relevance_score) "
                    "FROM prompts WHERE list_contains(?, id) ORDER BY id",
                    [now, self._db.actor, now.isoformat(sep=" "), ids],
                )
                self._record_run(con, "cleanup", now, len(ids), {"max_prompts": cap, "live": live})
        return run

    def purge(self, older_than: timedelta, folder: Path | None = None) -> PurgeRun:
        """Delete prompts archived more than `older_than` ago, with everything attached to
        them. First every row is exported to Parquet in `folder` (default: a new folder
        beside the library) and read back; nothing is deleted unless that matches."""
        if older_than < timedelta(0):
            raise ValidationError("older_than", older_than, "must not be negative")
        now = self._db.clock()
        target = folder or self._db.path.parent / "purged" / f"{self._db.name}-{now:%Y%m%dT%H%M%S}"
        if target.exists() and any(target.iterdir()):
            raise PurgeError(f"{target}: folder exists and is not empty", file=str(target))
        with self._db.write() as con:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _purge AS SELECT id, name FROM prompts "
                "WHERE archived_at IS NOT NULL AND archived_at < ? ORDER BY archived_at, id",
                [now - older_than],
            )
            prompts = [(r[0], r[1]) for r in con.execute("SELECT id, name FROM _purge").fetchall()]
            if not prompts:
                con.execute("DROP TABLE _purge")
                return PurgeRun(None, [], {})
            created = not target.exists()
            target.mkdir(parents=True, exist_ok=True)
            try:
                rows = _export(con, target)
            except BaseException:
                if created:
                    shutil.rmtree(target, ignore_errors=True)
                raise
            rollups.forget_prompts(con, "id IN (SELECT id FROM _purge)", [])
            for table, where in PURGED_ROWS.items():
                if table != "prompts":
                    con.execute(f"DELETE FROM {table} WHERE {where}")
            con.execute(
                "UPDATE prompts SET parent_id = NULL WHERE parent_id IN (SELECT id FROM _purge)"
            )
            con.execute(  # live parents count their derived prompts (generation_count)
                "UPDATE prompts SET generation_count = greatest(generation_count - c.n, 0) "
                "FROM (SELECT parent_id, count(*) AS n FROM prompts "
                "      WHERE id IN (SELECT id FROM _purge) GROUP BY parent_id) c "
                "WHERE prompts.id = c.parent_id"
            )
            con.execute("DELETE FROM prompts WHERE id IN (SELECT id FROM _purge)")
            self._db.audit_select(
                con,
                "SELECT ?, ?, 'purge', 'prompt:' || id, "
                "json_object('name', name, 'exported_to', ?), NULL FROM _purge ORDER BY id",
                [now, self._db.actor, str(target)],
            )
            self._record_run(con, "purge", now, len(prompts), {"folder": str(target), **rows})
            con.execute("DROP TABLE _purge")
        return PurgeRun(target, prompts, rows)

    def _record_run(
        self,
        con: duckdb.DuckDBPyConnection,
        action: str,
        now: datetime,
        prompts: int,
        detail: dict[str, object],
    ) -> None:
        con.execute(
            "INSERT INTO lifecycle_runs VALUES (?, ?, ?, ?, ?, ?)",
            [self._db.new_id(), action, now.date(), now, prompts, json.dumps(detail)],
        )


def _export(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write each table's purged rows (and their audit entries) to folder/<table>.parquet and
    read every file back: its row count and, for prompts, its ids must match the database."""
    # imported on use: only a purge reads Parquet back
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    counts: dict[str, int] = {}
    for table, where in [*PURGED_ROWS.items(), ("audit_log", _AUDIT_ROWS)]:
        path = folder / f"{table}.parquet"
        literal = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {table} WHERE {where}) TO '{literal}' (FORMAT parquet)")
        expected = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()
        written = pq.read_table(path)
        if expected is None or written.num_rows != expected[0]:
            raise PurgeError(
                f"{path}: read back {written.num_rows} rows, expected "
                f"{expected[0] if expected else '?'}; nothing was deleted",
                file=str(path),
            )
        counts[table] = written.num_rows
    ids = set(pq.read_table(folder / "prompts.parquet", columns=["id"]).column("id").to_pylist())
    wanted = {row[0] for row in con.execute("SELECT id FROM _purge").fetchall()}
    if ids != wanted:
        raise PurgeError(f"{folder}: prompts.parquet does not hold the purged prompts")
    manifest = {"tables": counts, "prompts": sorted(wanted)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return counts
