"""Lifecycle and measurement: archive, delete, usage, ratings, stats, audit, read-only SQL."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import duckdb

from storage import rows, templates
from storage.analytics_models import Setting
from storage.config_keys import RULES, clean_setting
from storage.connection import connect
from storage.errors import HasChildren, NotFound, QueryError, ValidationError
from storage.lineage import LineageMixin
from storage.models import (
    USAGE_EVENT_TYPES,
    AuditEntry,
    Feedback,
    Prompt,
    Resolved,
    Stats,
    UsageEvent,
)
from storage.uses import insert_use
from storage.validation import clean_choice, clean_rating, clean_unit

# Every table that refers to a prompt, with the column that does; delete cascades through them.
_PROMPT_REFERENCES = (
    ("prompt_versions", "prompt_id"),
    ("prompt_labels", "prompt_id"),
    ("prompt_embeddings", "prompt_id"),
    ("enhancement_history", "prompt_id"),
    ("enhancement_history", "parent_id"),  # children's records of it: they become roots
    ("generations", "prompt_id"),
    ("usage_events", "prompt_id"),
    ("feedback", "prompt_id"),
    ("context", "prompt_id"),
)


class ActivityMixin(LineageMixin):
    # -- archive and delete ----------------------------------------------------------------

    def archive(self, ref: str) -> Prompt:
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            if prompt.archived:
                raise ValidationError(
                    "archived", True, f"prompt {prompt.name!r} is already archived"
                )
            now = self.clock()
            con.execute("UPDATE prompts SET archived_at = ? WHERE id = ?", [now, prompt.id])
            self._audit(con, "archive", f"prompt:{prompt.id}", after={"archived_at": now})
            archived = self._prompt_by_id(con, prompt.id)
        assert archived is not None
        return archived

    def unarchive(self, ref: str) -> Prompt:
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            if not prompt.archived:
                raise ValidationError("archived", False, f"prompt {prompt.name!r} is not archived")
            self._refuse_duplicate(con, prompt.content_hash, except_id=prompt.id)
            con.execute("UPDATE prompts SET archived_at = NULL WHERE id = ?", [prompt.id])
            self._audit(
                con, "unarchive", f"prompt:{prompt.id}", before={"archived_at": prompt.archived_at}
            )
            restored = self._prompt_by_id(con, prompt.id)
        assert restored is not None
        return restored

    def delete(self, ref: str, *, force: bool = False) -> Prompt:
        """Remove a prompt and everything attached to it; the audit log keeps its before state.
        A prompt others derive from is refused unless forced (its children become roots)."""
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            children = con.execute(
                "SELECT name FROM prompts WHERE parent_id = ? ORDER BY created_at", [prompt.id]
            ).fetchall()
            if children and not force:
                names = ", ".join(repr(c[0]) for c in children[:3])
                raise HasChildren(
                    f"prompt {prompt.name!r} has {len(children)} derived prompt(s) ({names}); "
                    "use force to delete it anyway"
                )
            versions = con.execute(
                "SELECT version, name, content, change_message FROM prompt_versions "
                "WHERE prompt_id = ? ORDER BY version",
                [prompt.id],
            ).fetchall()
            for table, column in _PROMPT_REFERENCES:
                con.execute(f"DELETE FROM {table} WHERE {column} = ?", [prompt.id])
            con.execute(
                "DELETE FROM relationships WHERE source_id = ? OR target_id = ?", [prompt.id] * 2
            )
            con.execute("UPDATE prompts SET parent_id = NULL WHERE parent_id = ?", [prompt.id])
            if prompt.parent_id:
                con.execute(
                    "UPDATE prompts SET generation_count = greatest(generation_count - 1, 0) "
                    "WHERE id = ?",
                    [prompt.parent_id],
                )
            con.execute("DELETE FROM prompts WHERE id = ?", [prompt.id])
            before = {
                **prompt.to_dict(),
                "versions": [
                    dict(zip(("version", "name", "content", "message"), v, strict=True))
                    for v in versions
                ],
            }
            self._audit(con, "delete", f"prompt:{prompt.id}", before=before)
        return prompt

    # -- templates and usage ---------------------------------------------------------------

    def render(self, ref: str, values: Mapping[str, str]) -> str:
        """The content (of the pinned version, for `ID@label`) with its variables filled in."""
        return templates.render(self.resolve(ref).content, values)

    def record_usage(
        self,
        ref: str,
        event_type: str = "used",
        *,
        values: Mapping[str, str] | None = None,
        effectiveness: float | None = None,
    ) -> UsageEvent:
        """A usage event; bumps usage_count, last_used_at and relevance in the same transaction."""
        kind = clean_choice("event_type", event_type, USAGE_EVENT_TYPES)
        score = clean_unit("effectiveness", effectiveness)
        with self._write() as con:
            resolved = self._resolve(con, ref)
            return self._record_usage(con, resolved, kind, values, score)

    def _record_usage(
        self,
        con: duckdb.DuckDBPyConnection,
        resolved: Resolved,
        kind: str,
        values: Mapping[str, str] | None,
        score: float | None,
    ) -> UsageEvent:
        prompt = resolved.prompt
        event = UsageEvent(self.new_id(), prompt.id, resolved.number, kind, score, self.clock())
        insert_use(con, event, values)
        self._audit(
            con, kind, f"prompt:{prompt.id}", after={"event": event.id, "version": event.version}
        )
        return event

    def use(
        self, ref: str, values: Mapping[str, str] | None = None, *, event_type: str = "used"
    ) -> str:
        """Render and record the event ('used', or 'rendered' for a print) together; a missing
        variable records nothing."""
        kind = clean_choice("event_type", event_type, USAGE_EVENT_TYPES)
        with self._write() as con:
            resolved = self._resolve(con, ref)
            text = templates.render(resolved.content, values or {})
            self._record_usage(con, resolved, kind, values, None)
        return text

    def rate(
        self,
        ref: str,
        rating: int,
        *,
        comment: str | None = None,
        helpful: bool | None = None,
        met_expectations: bool | None = None,
        suggestion: str | None = None,
    ) -> Feedback:
        score = clean_rating(rating)
        with self._write() as con:
            resolved = self._resolve(con, ref)
            prompt = resolved.prompt
            number = resolved.number
            item = Feedback(
                self.new_id(),
                prompt.id,
                number,
                score,
                helpful,
                met_expectations,
                suggestion,
                comment,
                self.clock(),
            )
            con.execute(
                f"INSERT INTO feedback ({rows.select_list(rows.FEEDBACK_COLUMNS)}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [getattr(item, c) for c in rows.FEEDBACK_COLUMNS],
            )
            self._audit(con, "rate", f"prompt:{prompt.id}", after=item.to_dict())
        return item

    def feedback(self, ref: str) -> list[Feedback]:
        with self._read() as con:
            prompt = self._resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.FEEDBACK_COLUMNS)} FROM feedback "
                "WHERE prompt_id = ? ORDER BY created_at DESC",
                [prompt.id],
            ).fetchall()
        return [rows.feedback(row) for row in found]

    def rating(self, ref: str) -> tuple[float | None, int]:
        """Average rating and number of ratings."""
        with self._read() as con:
            prompt = self._resolve(con, ref).prompt
            row = con.execute(
                "SELECT avg_rating, ratings FROM mart.prompt_ratings WHERE prompt_id = ?",
                [prompt.id],
            ).fetchone()
        return (float(row[0]), int(row[1])) if row else (None, 0)

    # -- config ----------------------------------------------------------------------------

    def config(self) -> dict[str, str]:
        with self._read() as con:
            return dict(con.execute("SELECT key, value FROM config ORDER BY key").fetchall())

    def settings(self) -> list[Setting]:
        """Every lifecycle setting with its description, by key."""
        with self._read() as con:
            found = con.execute("SELECT key, value, description FROM config ORDER BY key")
            return [Setting(*row) for row in found.fetchall()]

    def setting(self, key: str) -> Setting:
        for item in self.settings():
            if item.key == key:
                return item
        raise NotFound(f"config: no setting {key!r}; settings are {', '.join(RULES)}")

    def set_config(self, key: str, value: object) -> Setting:
        """Change a setting, checked against its type and range (config_keys.RULES)."""
        cleaned = clean_setting(key, value)
        with self._write() as con:
            row = con.execute("SELECT value, description FROM config WHERE key = ?", [key])
            before = row.fetchone()
            if before is None:
                raise NotFound(f"config: no setting {key!r} in this library")
            con.execute("UPDATE config SET value = ? WHERE key = ?", [cleaned, key])
            self._audit(con, "config", f"config:{key}", before=before[0], after=cleaned)
        return Setting(key, cleaned, before[1])

    # -- reporting -------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Library-wide figures, read from the mart views."""
        with self._read() as con:
            one = con.execute(
                """
                SELECT s.prompts, s.archived, s.versions, s.folders, s.tags,
                  (SELECT coalesce(sum(used), 0) FROM mart.daily_activity),
                  (SELECT sum(ratings) FROM mart.rating_distribution),
                  (SELECT sum(rating * ratings) / nullif(sum(ratings), 0)
                     FROM mart.rating_distribution),
                  (SELECT coalesce(sum(generations), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(tokens_in), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(tokens_out), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(cost_usd), 0) FROM mart.usage_by_model)
                FROM mart.library_summary s
                """
            ).fetchone()
            assert one is not None
            top = con.execute(
                "SELECT id, name, uses, avg_rating FROM mart.prompt_scorecard WHERE NOT archived "
                "ORDER BY uses DESC, name LIMIT 5"
            ).fetchall()
            tags = con.execute(
                "SELECT tag, prompts, uses FROM mart.tag_stats ORDER BY prompts DESC, tag LIMIT 5"
            ).fetchall()
        return Stats(
            prompts=int(one[0]),
            archived=int(one[1]),
            versions=int(one[2]),
            folders=int(one[3]),
            tags=int(one[4]),
            uses=int(one[5]),
            ratings=int(one[6]),
            avg_rating=None if one[7] is None else round(float(one[7]), 3),
            generations=int(one[8]),
            tokens_in=int(one[9]),
            tokens_out=int(one[10]),
            cost_usd=round(float(one[11]), 6),
            top_prompts=[dict(zip(("id", "name", "uses", "rating"), r, strict=True)) for r in top],
            top_tags=[dict(zip(("tag", "prompts", "uses"), r, strict=True)) for r in tags],
        )

    def audit(self, entity: str | None = None, limit: int = 50) -> list[AuditEntry]:
        with self._read() as con:
            where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
            found = con.execute(
                f"SELECT {rows.select_list(rows.AUDIT_COLUMNS)} FROM audit_log {where} "
                f"ORDER BY id DESC LIMIT {int(limit)}",
                params,
            ).fetchall()
        return [rows.audit(row) for row in found]

    def query(self, sql: str, limit: int = 10_000) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a read-only query on its own read-only connection (no writes, no file access)."""
        self._require_open()
        # A lingering connection holds the file with another configuration, which DuckDB
        # refuses to mix in one process: wait until no action uses it, close it, and keep it
        # closed (other actions wait) until the query is done.
        while True:
            with self._shared_lock:
                if self._shared_users == 0:
                    self._release_shared()
                    return self._read_only_query(sql, limit)
            time.sleep(0.005)

    def _read_only_query(self, sql: str, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        con = connect(self.path, read_only=True, lock_timeout=self.lock_timeout)
        try:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            result = con.execute(sql)
            if result.description is None:
                return [], []
            columns = [d[0] for d in result.description]
            return columns, result.fetchmany(limit)
        except duckdb.Error as error:
            raise QueryError(f"sql: {str(error).splitlines()[0]}") from error
        finally:
            con.close()
