"""CaseService: a prompt's test cases: added one by one, from a run (its variables, with the
checks the user gives), or imported from a JSONL or CSV file (all or nothing); listed, read,
changed and removed. A prompt's cases are unique: the same variables and assertions again are kept
once (an import skips them, `add` refuses them)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from storage.db.database import Database
from storage.errors import PromptdeckError, ValidationError
from storage.evals import case_files, rows
from storage.evals.case_files import CaseSpec
from storage.evals.models import CaseImport, EvalCase
from storage.models import short_id
from storage.prompts import references as refs


class CaseService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        ref: str,
        values: Mapping[str, Any],
        asserts: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        description: str = "",
    ) -> EvalCase:
        """A case for REF's prompt; assertions as a case file writes them (checked here)."""
        given = {"vars": dict(values), "assert": asserts, "description": description}
        for tx in self._db.write_attempts("add case"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                spec = case_files.spec(_plain(given), _rubric_names(con))
                case = self._insert_new(con, prompt.id, spec, "manual")
        return case

    def add_from_run(
        self,
        run_id: str,
        asserts: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        description: str = "",
    ) -> EvalCase:
        """A case from a recorded run: its prompt and variables, and the checks given."""
        select = "SELECT r.prompt_id, r.variables FROM runs r"
        for tx in self._db.write_attempts("add case from run"):
            with tx as con:
                prompt_id, variables = rows.find_one(con, select, "r", run_id, "run")
                given = {
                    "vars": json.loads(variables),
                    "assert": asserts,
                    "description": description,
                }
                spec = case_files.spec(_plain(given), _rubric_names(con))
                case = self._insert_new(con, prompt_id, spec, "run")
        return case

    def update(
        self,
        case_id: str,
        values: Mapping[str, Any],
        asserts: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        description: str = "",
    ) -> EvalCase:
        """Change a case's variables, assertions and description (checked as `add` checks
        them; its past results stay as they were)."""
        given = {"vars": dict(values), "assert": asserts, "description": description}
        select = f"SELECT {_prefixed('c')} FROM eval_cases c"
        for tx in self._db.write_attempts("update case"):
            with tx as con:
                before = rows.case(rows.find_one(con, select, "c", case_id, "case"))
                spec = case_files.spec(_plain(given), _rubric_names(con))
                digest = rows.case_hash(spec.vars, spec.asserts)
                same = _known_hashes(con, before.prompt_id).get(digest)
                if same is not None and same != before.id:
                    raise PromptdeckError(f"an identical case is already kept ({short_id(same)})")
                con.execute(
                    "UPDATE eval_cases SET description = ?, vars = ?, asserts = ?, case_hash = ? "
                    "WHERE id = ?",
                    [spec.description, json.dumps(spec.vars, ensure_ascii=False),
                     json.dumps([a.spec() for a in spec.asserts], ensure_ascii=False), digest,
                     before.id],
                )  # fmt: skip
                after = replace(before, description=spec.description, vars=spec.vars,
                                asserts=spec.asserts)  # fmt: skip
                self._db.audit(con, "case_update", f"prompt:{before.prompt_id}",
                               before=before.to_dict(), after=after.to_dict())  # fmt: skip
        return after

    def import_file(self, ref: str, path: Path | str) -> CaseImport:
        """Every case of a JSONL or CSV file, for REF's prompt, in one transaction; a bad line
        is refused with its number and nothing is kept. Cases already kept are skipped."""
        source = Path(path).expanduser()
        for tx in self._db.write_attempts("import cases"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                specs = case_files.read(source, _rubric_names(con))
                known = _known_hashes(con, prompt.id)
                ids: list[str] = []
                added = 0
                for spec in specs:
                    digest = rows.case_hash(spec.vars, spec.asserts)
                    if digest not in known:
                        known[digest] = self._insert(con, prompt.id, spec, digest, "import").id
                        added += 1
                    ids.append(known[digest])
                self._db.audit(
                    con, "cases_import", f"prompt:{prompt.id}",
                    after={"file": str(source), "added": added, "skipped": len(specs) - added},
                )  # fmt: skip
        return CaseImport(prompt.id, str(source), added, len(specs) - added, tuple(ids))

    def list_cases(self, ref: str) -> list[EvalCase]:
        """REF's cases, oldest first (the order they were added in)."""
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            return cases_of(con, prompt.id)

    def get(self, case_id: str) -> EvalCase:
        """A case by its id or a unique start or end of it."""
        select = f"SELECT {_prefixed('c')} FROM eval_cases c"
        with self._db.read() as con:
            return rows.case(rows.find_one(con, select, "c", case_id, "case"))

    def remove(self, case_ids: Sequence[str]) -> list[EvalCase]:
        """Remove cases (their past results stay in the eval runs that have them)."""
        select = f"SELECT {_prefixed('c')} FROM eval_cases c"
        for tx in self._db.write_attempts("remove cases"):
            with tx as con:
                found = [rows.case(rows.find_one(con, select, "c", i, "case")) for i in case_ids]
                for case in found:
                    con.execute("DELETE FROM eval_cases WHERE id = ?", [case.id])
                    self._db.audit(con, "case_remove", f"prompt:{case.prompt_id}",
                                   before=case.to_dict())  # fmt: skip
        return found

    def _insert_new(
        self, con: duckdb.DuckDBPyConnection, prompt_id: str, spec: CaseSpec, source: str
    ) -> EvalCase:
        digest = rows.case_hash(spec.vars, spec.asserts)
        same = _known_hashes(con, prompt_id).get(digest)
        if same is not None:
            raise PromptdeckError(f"an identical case is already kept ({short_id(same)})")
        case = self._insert(con, prompt_id, spec, digest, source)
        self._db.audit(con, "case_add", f"prompt:{prompt_id}", after=case.to_dict())
        return case

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        prompt_id: str,
        spec: CaseSpec,
        digest: str,
        source: str,
    ) -> EvalCase:
        case = EvalCase(
            self._db.new_id(), prompt_id, spec.description, spec.vars, spec.asserts, source,
            self._db.clock(),
        )  # fmt: skip
        con.execute(
            f"INSERT INTO eval_cases ({rows.CASE_COLUMNS}, case_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                case.id,
                prompt_id,
                case.description,
                json.dumps(case.vars, ensure_ascii=False),
                json.dumps([a.spec() for a in case.asserts], ensure_ascii=False),
                source,
                case.created_at,
                digest,
            ],
        )
        return case


def cases_of(con: duckdb.DuckDBPyConnection, prompt_id: str) -> list[EvalCase]:
    found = con.execute(
        f"SELECT {rows.CASE_COLUMNS} FROM eval_cases WHERE prompt_id = ? ORDER BY created_at, id",
        [prompt_id],
    ).fetchall()
    return [rows.case(row) for row in found]


def _known_hashes(con: duckdb.DuckDBPyConnection, prompt_id: str) -> dict[str, str]:
    found = con.execute(
        "SELECT case_hash, id FROM eval_cases WHERE prompt_id = ?", [prompt_id]
    ).fetchall()
    return {digest: case_id for digest, case_id in found}


def _rubric_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT name FROM rubrics").fetchall()}


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in rows.CASE_COLUMNS.split(","))


def _plain(given: dict[str, Any]) -> dict[str, Any]:
    """A case given in Python, as JSON would give it (tuples as lists), checked as a file's."""
    try:
        return dict(json.loads(json.dumps(given)))
    except (TypeError, ValueError) as error:
        raise ValidationError("case", given, f"must be JSON values: {error}") from None
