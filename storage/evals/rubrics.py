"""RubricService: the rubrics a judge scores answers by, library objects any prompt's cases may
name. A rubric is a name, a description and weighted criteria; names are unique."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from storage.db.database import Database
from storage.errors import NotFound, PromptdeckError, ValidationError
from storage.evals.models import Criterion, Rubric
from storage.prompts.validation import clean_name

_COLUMNS = "id, name, description, criteria, created_at, updated_at"
MAX_CRITERIA = 20


class RubricService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        name: str,
        criteria: Sequence[Criterion | Mapping[str, Any]],
        *,
        description: str = "",
        replace: bool = False,
    ) -> Rubric:
        """A new rubric; one of the same name is refused, or replaced (its criteria and
        description) when `replace`."""
        cleaned = clean_name(name)
        kept = clean_criteria(criteria)
        if not isinstance(description, str) or "\x00" in description:
            raise ValidationError("description", description, "must be text")
        now = self._db.clock()
        stored = json.dumps([c.to_dict() for c in kept], ensure_ascii=False)
        for tx in self._db.write_attempts("add rubric"):
            with tx as con:
                before = _by_name(con, cleaned)
                if before is not None and not replace:
                    raise PromptdeckError(
                        f"rubric {cleaned!r} already exists; --replace to change its criteria",
                        field="name",
                    )
                if before is None:
                    rubric = Rubric(self._db.new_id(), cleaned, description, kept, now, now)
                    con.execute(
                        f"INSERT INTO rubrics ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                        [rubric.id, cleaned, description, stored, now, now],
                    )
                else:
                    rubric = Rubric(before.id, cleaned, description, kept, before.created_at, now)
                    con.execute(
                        "UPDATE rubrics SET description = ?, criteria = ?, updated_at = ? "
                        "WHERE id = ?",
                        [description, stored, now, before.id],
                    )
                self._db.audit(
                    con, "rubric" if before is None else "rubric_replace", f"rubric:{rubric.id}",
                    before=before.to_dict() if before else None, after=rubric.to_dict(),
                )  # fmt: skip
        return rubric

    def list_rubrics(self) -> list[Rubric]:
        with self._db.read() as con:
            found = con.execute(f"SELECT {_COLUMNS} FROM rubrics ORDER BY name").fetchall()
        return [rubric_of(row) for row in found]

    def get(self, name: str) -> Rubric:
        with self._db.read() as con:
            return find(con, name)

    def remove(self, name: str) -> Rubric:
        """Remove a rubric no case names (a case that does would no longer run)."""
        for tx in self._db.write_attempts("remove rubric"):
            with tx as con:
                rubric = find(con, name)
                users = con.execute(
                    "SELECT count(*), any_value(p.name) FROM eval_cases c "
                    "LEFT JOIN prompts p ON p.id = c.prompt_id "
                    "WHERE EXISTS (SELECT 1 FROM unnest(CAST(c.asserts AS JSON[])) AS a(x) "
                    "WHERE x->>'type' = 'judge' AND coalesce(x->>'rubric', x->>'value') = ?)",
                    [rubric.name],
                ).fetchone()
                if users and users[0]:
                    raise PromptdeckError(
                        f"rubric {rubric.name!r} is used by {users[0]} case(s) (of {users[1]!r}); "
                        "remove those cases first",
                        field="name",
                    )
                con.execute("DELETE FROM rubrics WHERE id = ?", [rubric.id])
                self._db.audit(con, "rubric_remove", f"rubric:{rubric.id}", before=rubric.to_dict())
        return rubric


def clean_criteria(criteria: Sequence[Criterion | Mapping[str, Any]]) -> tuple[Criterion, ...]:
    if not criteria:
        raise ValidationError("criteria", criteria, "a rubric needs at least one criterion")
    if len(criteria) > MAX_CRITERIA:
        raise ValidationError("criteria", len(criteria), f"at most {MAX_CRITERIA} criteria")
    kept: list[Criterion] = []
    for item in criteria:
        given = item.to_dict() if isinstance(item, Criterion) else dict(item)
        name = given.get("name")
        if not isinstance(name, str) or not name.strip() or "\n" in name or len(name) > 80:
            raise ValidationError("criterion", name, "needs a one-line name of 80 characters")
        weight = given.get("weight", 1.0)
        numeric = isinstance(weight, int | float) and not isinstance(weight, bool)
        if not numeric or not math.isfinite(weight) or weight <= 0:
            raise ValidationError(f"criterion {name.strip()!r}", weight, "weight must be > 0")
        about = given.get("description", "") or ""
        if not isinstance(about, str):
            raise ValidationError(f"criterion {name.strip()!r}", about, "must be described in text")
        if any(c.name.casefold() == name.strip().casefold() for c in kept):
            raise ValidationError("criterion", name, "is named twice")
        kept.append(Criterion(name.strip(), float(weight), about.strip()))
    return tuple(kept)


def find(con: duckdb.DuckDBPyConnection, name: str) -> Rubric:
    """A rubric by its name (or id)."""
    found = _by_name(con, name.strip()) if isinstance(name, str) else None
    if found is None:
        raise NotFound(f"no rubric named {name!r}; `rubrics add NAME --criterion ...` adds one")
    return found


def _by_name(con: duckdb.DuckDBPyConnection, name: str) -> Rubric | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM rubrics WHERE name = ? OR id = ? ORDER BY name = ? DESC LIMIT 1",
        [name, name, name],
    ).fetchone()
    return rubric_of(row) if row else None


def rubric_of(row: Sequence[Any]) -> Rubric:
    rubric_id, name, description, criteria, created, updated = row
    kept = tuple(Criterion(**c) for c in json.loads(criteria))
    return Rubric(rubric_id, name, description, kept, created, updated)
