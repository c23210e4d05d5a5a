"""Prompts: create, edit, find, list, archive and delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.db import rollups, rows
from storage.db.database import Database
from storage.errors import HasChildren, ValidationError
from storage.models import (
    EDITABLE_FIELDS,
    Prompt,
    PromptFilter,
    PromptPage,
    PromptSummary,
    Resolved,
)
from storage.prompts import references as refs
from storage.prompts.filters import (
    SUMMARY_SELECT,
    cut_sql,
    filter_sql,
    order_sql,
    page_sql,
    within_cut,
)
from storage.prompts.validation import clean_fields
from storage.prompts.writer import PromptWriter

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
    ("runs", "prompt_id"),
    ("eval_cases", "prompt_id"),
    ("eval_runs", "prompt_id"),
    ("eval_results", "prompt_id"),
    ("analysis_results", "prompt_id"),
)


class PromptService:
    def __init__(self, db: Database, writer: PromptWriter) -> None:
        self._db = db
        self._writer = writer

    # -- writing ---------------------------------------------------------------------------

    def create(self, name: str, content: str, *, message: str = "created", **fields: Any) -> Prompt:
        """A new prompt at version 1. Exact duplicate content of a live prompt is refused."""
        values = clean_fields({"name": name, "content": content, **fields})
        for tx in self._db.write_attempts("add"):
            with tx as con:
                prompt = self._writer.insert(con, values, message=message)
                self._db.audit(con, "create", f"prompt:{prompt.id}", after=prompt.editable())
        return prompt

    def update(self, ref: str, changes: Mapping[str, Any], message: str = "") -> Prompt:
        """Apply field changes as a new version; a change that changes nothing is refused."""
        values = clean_fields(changes)
        unknown = set(values) - set(EDITABLE_FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(field, values[field], "cannot be edited")
        for tx in self._db.write_attempts("edit"):
            with tx as con:
                before = refs.resolve(con, ref).prompt
                after = self._writer.update(con, before, values, message)
        return after

    # -- reading ---------------------------------------------------------------------------

    def resolve(self, ref: str) -> Resolved:
        """The prompt a reference names, with the version it pins (see references.resolve)."""
        with self._db.read() as con:
            return refs.resolve(con, ref)

    def get(self, ref: str) -> Prompt:
        return self.resolve(ref).prompt

    def list_prompts(
        self,
        where: PromptFilter = PromptFilter(),
        *,
        sort: str = "updated",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PromptSummary]:
        clause, params = filter_sql(where)
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self._db.read() as con:
            found = con.execute(
                f"{SUMMARY_SELECT} WHERE {clause} {order_sql(sort, descending)}{page}", params
            ).fetchall()
        return [rows.summary(row) for row in found]

    def prompt_table(
        self,
        where: PromptFilter = PromptFilter(),
        *,
        sort: str = "updated",
        descending: bool = True,
        offset: int = 0,
        limit: int | None = None,
    ) -> PromptPage:
        """One page of the prompt list as Arrow (columns of PromptSummary), with the number of
        prompts the filter matches: virtual tables page through very large libraries."""
        clause, params = filter_sql(where)
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        order = order_sql(sort, descending)
        if sort != "rating":  # the page first, then its ratings; the count on its own
            with self._db.read() as con:
                narrowed, narrowing = clause, params
                if limit and not where.text:  # a text filter would scan the content twice
                    cut = con.execute(cut_sql(clause, sort, descending, offset + limit), params)
                    value = cut.fetchone()
                    if value is not None and value[0] is not None:
                        narrowed = within_cut(clause, sort, descending)
                        narrowing = [*params, value[0]]
                table = con.execute(page_sql(narrowed, order, page), narrowing).to_arrow_table()
                found = con.execute(
                    f"SELECT count(*) FROM prompts p WHERE {clause}", params
                ).fetchone()
            return PromptPage(table, int(found[0]) if found else 0, offset)
        # Ordered by every prompt's rating: one scan, the total counted by a window over it.
        select = SUMMARY_SELECT.replace(" FROM ", ", count(*) OVER () AS total FROM ", 1)
        with self._db.read() as con:
            table = con.execute(f"{select} WHERE {clause} {order}{page}", params).to_arrow_table()
        if table.num_rows:
            total = int(table.column("total")[0].as_py())
        else:  # past the end: the window function saw no rows to count
            total = self.count_prompts(where) if offset else 0
        return PromptPage(table.drop_columns(["total"]), total, offset)

    def starting_with(
        self, prefix: str, *, archived: bool = False, limit: int = 100
    ) -> list[tuple[str, str]]:
        """(name, id) of the live (or archived) prompts named by the first `limit` names (by
        name) that start with `prefix` in any case, and of the first `limit` whose short id
        does. What a shell completes a REF from: two columns, quick on any library."""
        state = "NOT NULL" if archived else "NULL"
        with self._db.read() as con:
            found = con.execute(
                f"""
                WITH p AS (SELECT name, id FROM prompts WHERE archived_at IS {state}),
                named AS (
                    SELECT name FROM p WHERE starts_with(lower(name), lower($prefix))
                    GROUP BY name ORDER BY lower(name), name LIMIT $limit
                ),
                by_id AS (
                    SELECT id FROM p
                    WHERE $prefix <> '' AND starts_with(right(id, 8), lower($prefix))
                    ORDER BY id LIMIT $limit
                )
                SELECT name, id FROM p
                WHERE name IN (SELECT name FROM named) OR id IN (SELECT id FROM by_id)
                ORDER BY lower(name), name, id
                """,
                {"prefix": prefix, "limit": int(limit)},
            ).fetchall()
        return [(name, prompt_id) for name, prompt_id in found]

    def count_prompts(self, where: PromptFilter = PromptFilter()) -> int:
        clause, params = filter_sql(where)
        with self._db.read() as con:
            row = con.execute(f"SELECT count(*) FROM prompts p WHERE {clause}", params).fetchone()
        return int(row[0]) if row else 0

    def folders(self, archived: bool = False) -> list[tuple[str, int]]:
        """Every folder (and parent folder) with the number of prompts under it."""
        with self._db.read() as con:
            found = con.execute(
                "SELECT folder, count(*) FROM prompts WHERE folder <> '' AND "
                f"archived_at IS {'NOT ' if archived else ''}NULL GROUP BY folder"
            ).fetchall()
        totals: dict[str, int] = {}
        for folder, count in found:
            parts = folder.split("/")
            for depth in range(1, len(parts) + 1):
                key = "/".join(parts[:depth])
                totals[key] = totals.get(key, 0) + count
        return sorted(totals.items())

    def facets(self) -> dict[str, list[str]]:
        """Distinct phases, providers and models of live prompts: the values filters offer."""
        with self._db.read() as con:
            return {
                column: [
                    row[0]
                    for row in con.execute(
                        f"SELECT DISTINCT {column} FROM prompts "
                        f"WHERE {column} IS NOT NULL AND archived_at IS NULL ORDER BY 1"
                    ).fetchall()
                ]
                for column in ("phase", "provider", "model")
            }

    # -- archive and delete ----------------------------------------------------------------

    def archive(self, ref: str) -> Prompt:
        for tx in self._db.write_attempts("archive"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                if prompt.archived:
                    raise ValidationError(
                        "archived", True, f"prompt {prompt.name!r} is already archived"
                    )
                now = self._db.clock()
                rollups.regroup(con, "id = ?", [prompt.id], sign=-1, history=False)
                con.execute("UPDATE prompts SET archived_at = ? WHERE id = ?", [now, prompt.id])
                rollups.regroup(con, "id = ?", [prompt.id], sign=1, history=False)
                self._db.audit(con, "archive", f"prompt:{prompt.id}", after={"archived_at": now})
                self._db.declare_changed([prompt.id])
                archived = refs.prompt_by_id(con, prompt.id)
        assert archived is not None
        return archived

    def unarchive(self, ref: str) -> Prompt:
        for tx in self._db.write_attempts("unarchive"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                if not prompt.archived:
                    raise ValidationError(
                        "archived", False, f"prompt {prompt.name!r} is not archived"
                    )
                self._writer.refuse_duplicate(con, prompt.content_hash, except_id=prompt.id)
                rollups.regroup(con, "id = ?", [prompt.id], sign=-1, history=False)
                con.execute("UPDATE prompts SET archived_at = NULL WHERE id = ?", [prompt.id])
                rollups.regroup(con, "id = ?", [prompt.id], sign=1, history=False)
                self._db.audit(
                    con,
                    "unarchive",
                    f"prompt:{prompt.id}",
                    before={"archived_at": prompt.archived_at},
                )
                self._db.declare_changed([prompt.id])
                restored = refs.prompt_by_id(con, prompt.id)
        assert restored is not None
        return restored

    def delete(self, ref: str, *, force: bool = False) -> Prompt:
        """Remove a prompt and everything attached to it; the audit log keeps its before state.
        A prompt others derive from is refused unless forced (its children become roots)."""
        for tx in self._db.write_attempts("delete"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                children = con.execute(
                    "SELECT name FROM prompts WHERE parent_id = ? ORDER BY created_at", [prompt.id]
                ).fetchall()
                if children and not force:
                    names = ", ".join(repr(c[0]) for c in children[:3])
                    raise HasChildren(
                        f"prompt {prompt.name!r} has {len(children)} derived prompt(s) ({names}); "
                        "delete it with --force (its children become roots)"
                    )
                versions = con.execute(
                    "SELECT version, name, content, change_message FROM prompt_versions "
                    "WHERE prompt_id = ? ORDER BY version",
                    [prompt.id],
                ).fetchall()
                rollups.forget_prompts(con, "id = ?", [prompt.id])
                for table, column in _PROMPT_REFERENCES:
                    con.execute(f"DELETE FROM {table} WHERE {column} = ?", [prompt.id])
                con.execute(
                    "DELETE FROM relationships WHERE source_id = ? OR target_id = ?",
                    [prompt.id] * 2,
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
                self._db.audit(con, "delete", f"prompt:{prompt.id}", before=before)
        return prompt
