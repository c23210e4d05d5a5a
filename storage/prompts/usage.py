"""Using a prompt: render it, record its uses, rate it, read its feedback."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from storage.db import rollups, rows
from storage.db.database import Database
from storage.models import USAGE_EVENT_TYPES, Feedback, Resolved, UsageEvent
from storage.prompts import references as refs
from storage.prompts import templates
from storage.prompts.uses import insert_use
from storage.prompts.validation import clean_choice, clean_rating, clean_unit


class UsageService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def render(self, ref: str, values: Mapping[str, str]) -> str:
        """The content (of the pinned version, for `ID@label`) with its variables filled in."""
        with self._db.read() as con:
            return templates.render(refs.resolve(con, ref).content, values)

    def record(
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
        for tx in self._db.write_attempts("record use"):
            with tx as con:
                event = self._record(con, refs.resolve(con, ref), kind, values, score)
        return event

    def _record(
        self,
        con: duckdb.DuckDBPyConnection,
        resolved: Resolved,
        kind: str,
        values: Mapping[str, str] | None,
        score: float | None,
    ) -> UsageEvent:
        prompt = resolved.prompt
        event = UsageEvent(
            self._db.new_id(), prompt.id, resolved.number, kind, score, self._db.clock()
        )
        insert_use(con, event, values, self._db.actor)
        self._db.declare_changed([prompt.id])  # its usage_count and last use
        self._db.audit(
            con, kind, f"prompt:{prompt.id}", after={"event": event.id, "version": event.version}
        )
        return event

    def use(
        self, ref: str, values: Mapping[str, str] | None = None, *, event_type: str = "used"
    ) -> str:
        """Render and record the event ('used', or 'rendered' for a print) together; a missing
        variable records nothing."""
        kind = clean_choice("event_type", event_type, USAGE_EVENT_TYPES)
        for tx in self._db.write_attempts("use"):
            with tx as con:
                resolved = refs.resolve(con, ref)
                text = templates.render(resolved.content, values or {})
                self._record(con, resolved, kind, values, None)
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
        for tx in self._db.write_attempts("rate"):
            with tx as con:
                resolved = refs.resolve(con, ref)
                prompt = resolved.prompt
                number = resolved.number
                item = Feedback(
                    self._db.new_id(),
                    prompt.id,
                    number,
                    score,
                    helpful,
                    met_expectations,
                    suggestion,
                    comment,
                    self._db.clock(),
                )
                con.execute(
                    f"INSERT INTO feedback ({rows.select_list(rows.FEEDBACK_COLUMNS)}, actor) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*(getattr(item, c) for c in rows.FEEDBACK_COLUMNS), self._db.actor],
                )
                rollups.add(con, "feedback", "id = ?", [item.id])
                self._db.audit(con, "rate", f"prompt:{prompt.id}", after=item.to_dict())
                self._db.declare_changed([], feedback=True)  # no prompt row changes
        return item

    def feedback(self, ref: str) -> list[Feedback]:
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.FEEDBACK_COLUMNS)} FROM feedback "
                "WHERE prompt_id = ? ORDER BY created_at DESC",
                [prompt.id],
            ).fetchall()
        return [rows.feedback(row) for row in found]

    def rating(self, ref: str) -> tuple[float | None, int]:
        """Average rating and number of ratings."""
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            row = con.execute(
                "SELECT avg_rating, ratings FROM mart.prompt_ratings WHERE prompt_id = ?",
                [prompt.id],
            ).fetchone()
        return (float(row[0]), int(row[1])) if row else (None, 0)
