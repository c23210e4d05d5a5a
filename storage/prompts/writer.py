"""The rows a save writes: a new prompt with its first version, an update as a new version,
the refusal of live duplicate content, and a derivation (its relationship, its history row,
the parent's count of children). Callers hold the transaction; the writer writes inside it
(PromptService, VersionService, TagService, LineageService and EnhanceService share it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb

from storage.db import rollups, rows
from storage.db.database import Database
from storage.errors import DuplicateContent, NothingToSave
from storage.models import SNAPSHOT_FIELDS, Prompt
from storage.prompts import references as refs
from storage.prompts.validation import content_hash


@dataclass(frozen=True)
class Origin:
    """The run whose answer a prompt's content came from."""

    run_id: str
    provider: str
    model: str


class PromptWriter:
    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(
        self,
        con: duckdb.DuckDBPyConnection,
        values: dict[str, Any],
        *,
        message: str,
        parent_id: str | None = None,
    ) -> Prompt:
        digest = content_hash(values["content"])
        self.refuse_duplicate(con, digest)
        now = self._db.clock()
        record: dict[str, Any] = {
            "tags": (),  # given always: a team library's tables have no list defaults
            **values,
            "id": self._db.new_id(),
            "content_hash": digest,
            "parent_id": parent_id,
            "current_version": 1,
            "created_at": now,
            "updated_at": now,
        }
        columns = list(record)
        con.execute(
            f"INSERT INTO prompts ({rows.select_list(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [rows.db_value(c, record[c]) for c in columns],
        )
        rollups.regroup(con, "id = ?", [record["id"]], sign=1, history=False)
        rollups.authored(con, now, created=1)
        self._db.declare_changed([record["id"]])
        prompt = refs.prompt_by_id(con, record["id"])
        assert prompt is not None
        self.insert_version(con, prompt, message)
        return prompt

    def refuse_duplicate(
        self, con: duckdb.DuckDBPyConnection, digest: str, except_id: str | None = None
    ) -> None:
        row = con.execute(
            "SELECT id, name FROM prompts WHERE content_hash = ? AND archived_at IS NULL "
            "AND id IS DISTINCT FROM ? LIMIT 1",
            [digest, except_id],
        ).fetchone()
        if row:
            raise DuplicateContent(row[0], row[1])

    def insert_version(self, con: duckdb.DuckDBPyConnection, prompt: Prompt, message: str) -> None:
        snapshot = {f: rows.db_value(f, getattr(prompt, f)) for f in SNAPSHOT_FIELDS}
        snapshot["tags"] = list(prompt.tags)
        con.execute(
            f"INSERT INTO prompt_versions ({rows.select_list(rows.VERSION_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                prompt.id,
                prompt.current_version,
                prompt.name,
                prompt.content,
                prompt.content_hash,
                rows.db_value("metadata", {**snapshot, "metadata": prompt.metadata}),
                message,
                prompt.updated_at,
            ],
        )

    def update(
        self,
        con: duckdb.DuckDBPyConnection,
        before: Prompt,
        values: dict[str, Any],
        message: str,
        action: str = "update",
    ) -> Prompt:
        changed = {f: v for f, v in values.items() if getattr(before, f) != v}
        if not changed:
            raise NothingToSave(f"prompt {before.name!r}: nothing changed")
        record = dict(changed)
        if "content" in changed:
            record["content_hash"] = content_hash(changed["content"])
            if before.archived_at is None:
                self.refuse_duplicate(con, record["content_hash"], except_id=before.id)
        record["current_version"] = before.current_version + 1
        record["updated_at"] = self._db.clock()
        assignments = ", ".join(f'"{c}" = ?' for c in record)
        regroups = bool(changed.keys() & {"tags", "phase"})  # the groups its uses count in
        if regroups:
            rollups.regroup(con, "id = ?", [before.id], sign=-1)
        con.execute(
            f"UPDATE prompts SET {assignments} WHERE id = ?",
            [*(rows.db_value(c, v) for c, v in record.items()), before.id],
        )
        if regroups:
            rollups.regroup(con, "id = ?", [before.id], sign=1)
        self._db.declare_changed([before.id])
        # The row as the UPDATE left it, without reading it back: a scan of prompts is a
        # good part of a save on a lake (which has no UPDATE ... RETURNING).
        after = replace(before, **record)
        self.insert_version(con, after, message)
        rollups.authored(con, after.updated_at, edited=1)
        self._db.audit(
            con,
            action,
            f"prompt:{before.id}",
            before={f: getattr(before, f) for f in changed},
            after={**changed, "version": after.current_version, "message": message},
        )
        return after

    def add_derivation(
        self,
        con: duckdb.DuckDBPyConnection,
        child: Prompt,
        parent: Prompt,
        method: str,
        score: float | None,
        *,
        strength: float = 1.0,
        context: str | None = None,
        original: str | None = None,
        origin: Origin | None = None,
    ) -> None:
        """The derived_from row, the history row and the parent's count, for a child whose
        parent_id is (or is being) set to the parent. `original`: the content the child was
        made from, when not the parent's current one (an earlier version's)."""
        con.execute(  # delete and insert: a team library has no key to replace by
            "DELETE FROM relationships WHERE source_id = ? AND target_id = ? "
            "AND type = 'derived_from'",
            [child.id, parent.id],
        )
        con.execute(
            "INSERT INTO relationships VALUES (?, ?, 'derived_from', ?, ?, ?)",
            [child.id, parent.id, strength, context or method, self._db.clock()],
        )
        before = parent.content if original is None else original
        self.add_history(con, child.id, parent.id, method, before, child.content, score, origin)
        self.recount_children(con, parent.id)

    def add_history(
        self,
        con: duckdb.DuckDBPyConnection,
        prompt_id: str,
        parent_id: str,
        method: str,
        original: str,
        enhanced: str,
        score: float | None = None,
        origin: Origin | None = None,
    ) -> None:
        """An enhancement_history row: how `prompt_id`'s content came from `parent_id`'s (the
        same prompt for a new version), and the run that wrote it, when a model did."""
        con.execute(
            "INSERT INTO enhancement_history (id, prompt_id, parent_id, method, original_content, "
            "enhanced_content, improvement_score, provider, model, run_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self._db.new_id(),
                prompt_id,
                parent_id,
                method,
                original,
                enhanced,
                score,
                origin.provider if origin else None,
                origin.model if origin else None,
                origin.run_id if origin else None,
                self._db.clock(),
            ],
        )

    def recount_children(self, con: duckdb.DuckDBPyConnection, parent_id: str) -> None:
        con.execute(
            "UPDATE prompts SET generation_count = "
            "(SELECT count(*) FROM prompts c WHERE c.parent_id = $id) WHERE id = $id",
            {"id": parent_id},
        )
        self._db.declare_changed([parent_id])
