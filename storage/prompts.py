"""Prompts and their versions: create, edit, list, diff, restore, labels and tags."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from storage import rows
from storage.core import LibraryCore
from storage.errors import DuplicateContent, NotFound, NothingToSave, ValidationError
from storage.models import (
    EDITABLE_FIELDS,
    SNAPSHOT_FIELDS,
    SORT_KEYS,
    Label,
    Prompt,
    PromptFilter,
    PromptPage,
    PromptSummary,
    PromptVersion,
    Tag,
)
from storage.validation import (
    clean_colour,
    clean_fields,
    clean_folder,
    clean_label,
    clean_tag,
    content_hash,
)

_SORT_SQL = {
    "updated": "p.updated_at",
    "created": "p.created_at",
    "name": "lower(p.name)",
    "folder": "lower(p.folder)",
    "uses": "p.usage_count",
    "rating": "r.avg_rating",
    "model": "lower(p.model)",
    "relevance": "p.relevance_score",
}
_TEXT_COLUMNS = ("name", "description", "folder", "content")
_SUMMARY_SELECT = (
    "SELECT p.id, p.name, p.folder, p.tags, p.phase, p.provider, p.model, "
    "p.usage_count AS uses, r.avg_rating AS rating, p.updated_at, "
    "p.archived_at IS NOT NULL AS archived "
    "FROM prompts p LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id"
)


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Two versions compared: a unified diff of the content and the other fields that changed."""

    old: PromptVersion
    new: PromptVersion
    unified: str
    changed_fields: dict[str, tuple[Any, Any]]

    def as_text(self) -> str:
        lines = [f"# {f}: {a!r} -> {b!r}" for f, (a, b) in self.changed_fields.items()]
        return "\n".join([*lines, self.unified]).strip("\n") + "\n"


def version_diff(a: PromptVersion, b: PromptVersion) -> VersionDiff:
    """The content as a unified diff, and every other field that differs, from a to b."""
    unified = "\n".join(
        difflib.unified_diff(
            a.content.splitlines(),
            b.content.splitlines(),
            fromfile=f"{a.name}@{a.version}",
            tofile=f"{b.name}@{b.version}",
            lineterm="",
        )
    )
    old_fields = {"name": a.name, **a.metadata}
    new_fields = {"name": b.name, **b.metadata}
    changed = {
        f: (old_fields.get(f), new_fields.get(f))
        for f in dict.fromkeys([*old_fields, *new_fields])
        if old_fields.get(f) != new_fields.get(f)
    }
    return VersionDiff(a, b, unified, changed)


def filter_sql(where: PromptFilter) -> tuple[str, list[Any]]:
    """WHERE clause (over alias p) and parameters for a prompt filter."""
    clauses = ["p.archived_at IS NOT NULL" if where.archived else "p.archived_at IS NULL"]
    params: list[Any] = []
    folder = clean_folder(where.folder)  # "eng/" and " eng " mean the saved folder "eng"
    if folder:
        clauses.append("(p.folder = ? OR starts_with(p.folder, ?))")
        params += [folder, folder + "/"]
    for tag in where.tags:
        clauses.append("list_contains(p.tags, ?)")
        params.append(tag)
    for column in ("phase", "provider", "model"):
        value = getattr(where, column)
        if value:
            clauses.append(f"p.{column} = ?")
            params.append(value)
    if where.text:
        # Every word must appear (any case) in the name, description, folder or content.
        # RE2 (regexp_matches) scans content about 15x faster than ILIKE; the pattern is a
        # literal, not a parameter, so that it is compiled once rather than once per row.
        for word in where.text.split():
            pattern = "'" + re.escape(word).replace("'", "''") + "'"
            matches = [f"regexp_matches(p.{c}, {pattern}, 'i')" for c in _TEXT_COLUMNS]
            clauses.append("(" + " OR ".join(matches) + ")")
    return " AND ".join(clauses), params


def order_sql(sort: str, descending: bool) -> str:
    if sort not in _SORT_SQL:
        raise ValidationError("sort", sort, f"must be one of {', '.join(SORT_KEYS)}")
    direction = "DESC" if descending else "ASC"
    return f"ORDER BY {_SORT_SQL[sort]} {direction} NULLS LAST, p.id {direction}"


class PromptsMixin(LibraryCore):
    # -- writing ---------------------------------------------------------------------------

    def create(self, name: str, content: str, *, message: str = "created", **fields: Any) -> Prompt:
        """A new prompt at version 1. Exact duplicate content of a live prompt is refused."""
        values = clean_fields({"name": name, "content": content, **fields})
        with self._write() as con:
            prompt = self._insert_prompt(con, values, message=message)
            self._audit(con, "create", f"prompt:{prompt.id}", after=prompt.editable())
        self._after_save(prompt)
        return prompt

    def _after_save(self, prompt: Prompt) -> None:
        """Runs once a save has committed; EmbeddingsMixin embeds the prompt here."""

    def _insert_prompt(
        self,
        con: duckdb.DuckDBPyConnection,
        values: dict[str, Any],
        *,
        message: str,
        parent_id: str | None = None,
    ) -> Prompt:
        digest = content_hash(values["content"])
        self._refuse_duplicate(con, digest)
        now = self.clock()
        record: dict[str, Any] = {
            **values,
            "id": self.new_id(),
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
        prompt = self._prompt_by_id(con, record["id"])
        assert prompt is not None
        self._insert_version(con, prompt, message)
        return prompt

    def _refuse_duplicate(
        self, con: duckdb.DuckDBPyConnection, digest: str, except_id: str | None = None
    ) -> None:
        row = con.execute(
            "SELECT id, name FROM prompts WHERE content_hash = ? AND archived_at IS NULL "
            "AND id IS DISTINCT FROM ? LIMIT 1",
            [digest, except_id],
        ).fetchone()
        if row:
            raise DuplicateContent(row[0], row[1])

    def _insert_version(self, con: duckdb.DuckDBPyConnection, prompt: Prompt, message: str) -> None:
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

    def update(self, ref: str, changes: Mapping[str, Any], message: str = "") -> Prompt:
        """Apply field changes as a new version; a change that changes nothing is refused."""
        values = clean_fields(changes)
        unknown = set(values) - set(EDITABLE_FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(field, values[field], "cannot be edited")
        with self._write() as con:
            before = self._resolve(con, ref).prompt
            after = self._apply_update(con, before, values, message)
        self._after_save(after)
        return after

    def _apply_update(
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
                self._refuse_duplicate(con, record["content_hash"], except_id=before.id)
        record["current_version"] = before.current_version + 1
        record["updated_at"] = self.clock()
        assignments = ", ".join(f'"{c}" = ?' for c in record)
        con.execute(
            f"UPDATE prompts SET {assignments} WHERE id = ?",
            [*(rows.db_value(c, v) for c, v in record.items()), before.id],
        )
        after = self._prompt_by_id(con, before.id)
        assert after is not None
        self._insert_version(con, after, message)
        self._audit(
            con,
            action,
            f"prompt:{before.id}",
            before={f: getattr(before, f) for f in changed},
            after={**changed, "version": after.current_version, "message": message},
        )
        return after

    # -- reading ---------------------------------------------------------------------------

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
        with self._read() as con:
            found = con.execute(
                f"{_SUMMARY_SELECT} WHERE {clause} {order_sql(sort, descending)}{page}", params
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
        # The total comes from the same scan (a window over the filtered rows).
        select = _SUMMARY_SELECT.replace(" FROM ", ", count(*) OVER () AS total FROM ", 1)
        with self._read() as con:
            table = con.execute(
                f"{select} WHERE {clause} {order_sql(sort, descending)}{page}", params
            ).to_arrow_table()
        if table.num_rows:
            total = int(table.column("total")[0].as_py())
        else:  # past the end: the window function saw no rows to count
            total = self.count_prompts(where) if offset else 0
        return PromptPage(table.drop_columns(["total"]), total, offset)

    def count_prompts(self, where: PromptFilter = PromptFilter()) -> int:
        clause, params = filter_sql(where)
        with self._read() as con:
            row = con.execute(f"SELECT count(*) FROM prompts p WHERE {clause}", params).fetchone()
        return int(row[0]) if row else 0

    def folders(self, archived: bool = False) -> list[tuple[str, int]]:
        """Every folder (and parent folder) with the number of prompts under it."""
        with self._read() as con:
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
        with self._read() as con:
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

    # -- versions --------------------------------------------------------------------------

    def versions(self, ref: str) -> list[PromptVersion]:
        with self._read() as con:
            prompt = self._resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.VERSION_COLUMNS)} FROM prompt_versions "
                "WHERE prompt_id = ? ORDER BY version",
                [prompt.id],
            ).fetchall()
        return [rows.version(row) for row in found]

    def version(self, ref: str, number: int) -> PromptVersion:
        with self._read() as con:
            return self._version(con, self._resolve(con, ref).prompt, number)

    def diff(self, ref: str, old: int | None = None, new: int | None = None) -> VersionDiff:
        """`diff(ref)`: previous vs current; `diff(ref, a)`: a vs current; `diff(ref, a, b)`."""
        with self._read() as con:
            prompt = self._resolve(con, ref).prompt
            new_number = new if new is not None else prompt.current_version
            old_number = old if old is not None else max(1, prompt.current_version - 1)
            a = self._version(con, prompt, old_number)
            b = self._version(con, prompt, new_number)
        return version_diff(a, b)

    def restore(self, ref: str, number: int, message: str | None = None) -> Prompt:
        """Make an old version current again, as a new version (history is never rewritten)."""
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            old = self._version(con, prompt, number)
            values = clean_fields(
                {
                    "name": old.name,
                    "content": old.content,
                    **{f: old.metadata.get(f) for f in SNAPSHOT_FIELDS},
                }
            )
            return self._apply_update(
                con, prompt, values, message or f"restored version {number}", action="restore"
            )

    # -- labels ----------------------------------------------------------------------------

    def set_label(self, ref: str, label: str, version: int | None = None) -> Label:
        """Point `label` at a version (default: the current one), moving it if it exists."""
        label = clean_label(label)
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            number = self._version(con, prompt, version or prompt.current_version).version
            old = con.execute(
                "SELECT version FROM prompt_labels WHERE prompt_id = ? AND label = ?",
                [prompt.id, label],
            ).fetchone()
            now = self.clock()
            con.execute(
                "INSERT OR REPLACE INTO prompt_labels VALUES (?, ?, ?, ?)",
                [prompt.id, label, number, now],
            )
            self._audit(
                con,
                "label",
                f"prompt:{prompt.id}",
                before={label: old[0]} if old else None,
                after={label: number},
            )
        return Label(prompt.id, label, number, now)

    def remove_label(self, ref: str, label: str) -> None:
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            old = con.execute(
                "DELETE FROM prompt_labels WHERE prompt_id = ? AND label = ? RETURNING version",
                [prompt.id, label],
            ).fetchone()
            if old is None:
                raise NotFound(f"prompt {prompt.name!r} has no label {label!r}")
            self._audit(con, "unlabel", f"prompt:{prompt.id}", before={label: old[0]})

    def labels(self, ref: str) -> list[Label]:
        with self._read() as con:
            prompt = self._resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.LABEL_COLUMNS)} FROM prompt_labels "
                "WHERE prompt_id = ? ORDER BY label",
                [prompt.id],
            ).fetchall()
        return [rows.label(row) for row in found]

    # -- tags ------------------------------------------------------------------------------

    def add_tags(self, ref: str, tags: Iterable[str], message: str = "") -> Prompt:
        new = [clean_tag(t) for t in tags]
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            merged = tuple(dict.fromkeys([*prompt.tags, *new]))
            note = message or "tagged " + ", ".join(t for t in new if t not in prompt.tags)
            return self._apply_update(con, prompt, {"tags": merged}, note)

    def remove_tags(self, ref: str, tags: Iterable[str], message: str = "") -> Prompt:
        gone = {clean_tag(t) for t in tags}
        with self._write() as con:
            prompt = self._resolve(con, ref).prompt
            missing = sorted(gone - set(prompt.tags))
            if missing:
                raise NotFound(f"prompt {prompt.name!r} has no tag {missing[0]!r}")
            kept = tuple(t for t in prompt.tags if t not in gone)
            note = message or "untagged " + ", ".join(sorted(gone))
            return self._apply_update(con, prompt, {"tags": kept}, note)

    def set_tag_colour(self, tag: str, colour: str) -> Tag:
        name, colour = clean_tag(tag), clean_colour(colour)
        with self._write() as con:
            old = con.execute("SELECT colour FROM tags WHERE name = ?", [name]).fetchone()
            if old:
                con.execute("UPDATE tags SET colour = ? WHERE name = ?", [colour, name])
            else:
                con.execute("INSERT INTO tags VALUES (?, ?, ?)", [name, colour, self.clock()])
            self._audit(
                con,
                "tag_colour",
                f"tag:{name}",
                before={"colour": old[0]} if old else None,
                after={"colour": colour},
            )
            count = con.execute(
                "SELECT count(*) FROM prompts WHERE list_contains(tags, ?) AND archived_at IS NULL",
                [name],
            ).fetchone()
        return Tag(name, colour, int(count[0]) if count else 0)

    def tags(self) -> list[Tag]:
        """Every tag in use or given a colour, with its number of live prompts."""
        with self._read() as con:
            found = con.execute(
                "WITH used AS (SELECT unnest(tags) AS name FROM prompts WHERE archived_at IS NULL) "
                "SELECT coalesce(u.name, t.name) AS name, any_value(t.colour), count(u.name) "
                "FROM used u FULL OUTER JOIN tags t ON t.name = u.name GROUP BY 1 ORDER BY 1"
            ).fetchall()
        return [Tag(name, colour, int(count)) for name, colour, count in found]
