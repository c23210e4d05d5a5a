"""Derivation and relationships: derive, re-parent, link, unlink, with cycle refusal, and
the graph around a prompt.

parent_id is the source of truth for derivation; every derived_from relationship row mirrors
it (derive, set_parent and link write both, unlink removes both), and generation_count is the
parent's number of children, recounted in the transaction that changes them."""

from __future__ import annotations

from typing import Any

import duckdb

from storage.db import rows
from storage.db.database import Database
from storage.errors import AlreadyDerived, CycleError, NotFound, ValidationError
from storage.models import EDITABLE_FIELDS, LINEAGE_TYPES, RELATIONSHIP_TYPES, Prompt, Relationship
from storage.prompts import references as refs
from storage.prompts.lineage_graph import DEFAULT_MAX_NODES, LineageGraph, read_graph
from storage.prompts.validation import clean_choice, clean_fields, clean_unit
from storage.prompts.versions import VersionDiff, version_diff
from storage.prompts.writer import PromptWriter

# Everything a prompt was derived or enhanced from, transitively; UNION stops on any cycle.
# `edges` is MATERIALIZED and a UNION ALL: DuckDB 1.5 re-evaluating a de-duplicating subquery
# inside the recursion returned too few ancestors about one run in ten (on several threads),
# which let cycles through.
_ANCESTORS = """
WITH RECURSIVE edges(child, parent) AS MATERIALIZED (
    SELECT source_id, target_id FROM relationships WHERE type IN ('derived_from', 'enhanced_from')
    UNION ALL
    SELECT id, parent_id FROM prompts WHERE parent_id IS NOT NULL
), up(id) AS (
    SELECT ?::VARCHAR
    UNION
    SELECT e.parent FROM edges e JOIN up ON e.child = up.id
)
SELECT id FROM up
"""


class LineageService:
    def __init__(self, db: Database, writer: PromptWriter) -> None:
        self._db = db
        self._writer = writer

    def _refuse_cycle(self, con: duckdb.DuckDBPyConnection, child: Prompt, parent: Prompt) -> None:
        """child -> parent may not close a loop: parent must not descend from child."""
        if child.id == parent.id:
            raise CycleError(f"prompt {child.name!r} cannot derive from itself")
        found = con.execute(
            f"SELECT count(*) FROM ({_ANCESTORS}) WHERE id = ?", [parent.id, child.id]
        )
        row = found.fetchone()
        if row and row[0]:
            raise CycleError(
                f"cycle: {parent.name!r} already derives from {child.name!r}, "
                f"so {child.name!r} cannot derive from it"
            )

    def derive(
        self,
        parent_ref: str,
        *,
        message: str = "derived",
        method: str = "manual",
        improvement_score: float | None = None,
        **changes: Any,
    ) -> Prompt:
        """A child prompt: the parent's fields overridden by `changes` (content must differ),
        with parent_id, a derived_from relationship and an enhancement_history row."""
        score = clean_unit("improvement_score", improvement_score)
        for tx in self._db.write_attempts("derive"):
            with tx as con:
                parent = refs.resolve(con, parent_ref).prompt
                inherited = {f: getattr(parent, f) for f in EDITABLE_FIELDS}
                inherited["name"] = changes.pop("name", None) or f"{parent.name} (derived)"
                values = clean_fields(
                    {**inherited, **changes, "source_type": "derived", "enhancement_method": method}
                )
                child = self._writer.insert(con, values, message=message, parent_id=parent.id)
                self._writer.add_derivation(con, child, parent, method, score)
                self._db.audit(
                    con,
                    "derive",
                    f"prompt:{child.id}",
                    after={"parent_id": parent.id, "method": method, **child.editable()},
                )
        return child

    def set_parent(self, child_ref: str, parent_ref: str, *, method: str = "manual") -> Prompt:
        """Mark an existing prompt as derived from another; refused if it would make a cycle."""
        for tx in self._db.write_attempts("set parent"):
            with tx as con:
                child = refs.resolve(con, child_ref).prompt
                parent = refs.resolve(con, parent_ref).prompt
                if child.parent_id == parent.id:
                    raise ValidationError(
                        "parent", parent.name, f"is already the parent of {child.name!r}"
                    )
                self._refuse_cycle(con, child, parent)
                if child.parent_id:
                    self._detach_parent(con, child)
                con.execute("UPDATE prompts SET parent_id = ? WHERE id = ?", [parent.id, child.id])
                self._db.declare_changed([child.id])
                self._writer.add_derivation(con, child, parent, method, None)
                self._db.audit(
                    con,
                    "set_parent",
                    f"prompt:{child.id}",
                    before={"parent_id": child.parent_id},
                    after={"parent_id": parent.id},
                )
                updated = refs.prompt_by_id(con, child.id)
        assert updated is not None
        return updated

    def _detach_parent(self, con: duckdb.DuckDBPyConnection, child: Prompt) -> None:
        assert child.parent_id is not None
        con.execute(
            "DELETE FROM relationships "
            "WHERE source_id = ? AND target_id = ? AND type = 'derived_from'",
            [child.id, child.parent_id],
        )
        con.execute("UPDATE prompts SET parent_id = NULL WHERE id = ?", [child.id])
        self._db.declare_changed([child.id])
        self._writer.recount_children(con, child.parent_id)

    def link(
        self,
        source_ref: str,
        target_ref: str,
        kind: str,
        *,
        strength: float = 1.0,
        context: str | None = None,
    ) -> Relationship:
        """`source type target`, e.g. A depends_on B. derived_from/enhanced_from refuse cycles."""
        kind = clean_choice("type", kind, RELATIONSHIP_TYPES)
        weight = clean_unit("strength", strength)
        for tx in self._db.write_attempts("link"):
            with tx as con:
                source = refs.resolve(con, source_ref).prompt
                target = refs.resolve(con, target_ref).prompt
                if source.id == target.id:
                    raise ValidationError(
                        "target", target.name, "a prompt cannot be linked to itself"
                    )
                if kind in LINEAGE_TYPES:
                    self._refuse_cycle(con, source, target)
                exists = con.execute(
                    "SELECT 1 FROM relationships "
                    "WHERE source_id = ? AND target_id = ? AND type = ?",
                    [source.id, target.id, kind],
                ).fetchone()
                if exists or (kind == "derived_from" and source.parent_id == target.id):
                    raise ValidationError(
                        "type",
                        kind,
                        f"{source.name!r} is already linked to {target.name!r} this way",
                    )
                if kind == "derived_from":
                    self._link_parent(con, source, target, weight or 0.0, context)
                else:
                    con.execute(
                        "INSERT INTO relationships VALUES (?, ?, ?, ?, ?, ?)",
                        [source.id, target.id, kind, weight, context, self._db.clock()],
                    )
                found = con.execute(
                    f"SELECT {rows.select_list(rows.RELATIONSHIP_COLUMNS)} FROM relationships "
                    "WHERE source_id = ? AND target_id = ? AND type = ?",
                    [source.id, target.id, kind],
                ).fetchone()
                assert found is not None
                relationship = rows.relationship(found)
                self._db.audit(con, "link", f"prompt:{source.id}", after=relationship.to_dict())
        return relationship

    def _link_parent(
        self,
        con: duckdb.DuckDBPyConnection,
        child: Prompt,
        parent: Prompt,
        strength: float,
        context: str | None,
    ) -> None:
        """`child derived_from parent` as a link: the same as set_parent, but a prompt that
        already has another parent is refused rather than moved."""
        if child.parent_id is not None:
            current = refs.prompt_by_id(con, child.parent_id)
            raise AlreadyDerived(child.name, current.name if current else child.parent_id)
        con.execute("UPDATE prompts SET parent_id = ? WHERE id = ?", [parent.id, child.id])
        self._db.declare_changed([child.id])
        self._writer.add_derivation(
            con, child, parent, "manual", None, strength=strength, context=context
        )

    def unlink(self, source_ref: str, target_ref: str, kind: str) -> None:
        kind = clean_choice("type", kind, RELATIONSHIP_TYPES)
        for tx in self._db.write_attempts("unlink"):
            with tx as con:
                source = refs.resolve(con, source_ref).prompt
                target = refs.resolve(con, target_ref).prompt
                if kind == "derived_from" and source.parent_id == target.id:
                    self._detach_parent(con, source)
                    gone = [(source.id, target.id, kind)]
                else:
                    gone = con.execute(
                        "DELETE FROM relationships "
                        "WHERE source_id = ? AND target_id = ? AND type = ? "
                        "RETURNING source_id, target_id, type",
                        [source.id, target.id, kind],
                    ).fetchall()
                if not gone:
                    raise NotFound(f"no {kind} link from {source.name!r} to {target.name!r}")
                self._db.audit(
                    con,
                    "unlink",
                    f"prompt:{source.id}",
                    before={"source_id": source.id, "target_id": target.id, "type": kind},
                )

    def relationships(self, ref: str) -> list[Relationship]:
        """Every edge touching the prompt, in either direction."""
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.RELATIONSHIP_COLUMNS)} FROM relationships "
                "WHERE source_id = ? OR target_id = ? ORDER BY type, created_at",
                [prompt.id, prompt.id],
            ).fetchall()
        return [rows.relationship(row) for row in found]

    def children(self, ref: str) -> list[Prompt]:
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.PROMPT_COLUMNS)} FROM prompts "
                "WHERE parent_id = ? ORDER BY created_at, id",
                [prompt.id],
            ).fetchall()
        return [rows.prompt(row) for row in found]

    def graph(
        self, ref: str, *, depth: int | None = None, max_nodes: int = DEFAULT_MAX_NODES
    ) -> LineageGraph:
        """The derivation tree around a prompt: its ancestors (all, or `depth` generations up),
        every descendant of the top one (down to `depth` generations below the prompt), the
        relationships touching them with the prompts at their other ends, and their
        enhancement history. Past `max_nodes`, the path to the prompt and its descendants
        are kept first."""
        if depth is not None and depth < 0:
            raise ValidationError("depth", depth, "must be 0 or more")
        if max_nodes < 1:
            raise ValidationError("max_nodes", max_nodes, "must be 1 or more")
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            return read_graph(con, prompt.id, depth, max_nodes)

    def parent_diff(self, ref: str) -> VersionDiff:
        """The parent's current version against the prompt's current version."""
        with self._db.read() as con:
            child = refs.resolve(con, ref).prompt
            parent = refs.prompt_by_id(con, child.parent_id) if child.parent_id else None
            if parent is None:
                raise NotFound(f"prompt {child.name!r} has no parent to compare with")
            old = refs.version(con, parent, parent.current_version)
            new = refs.version(con, child, child.current_version)
        return version_diff(old, new)
