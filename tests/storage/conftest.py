"""Storage test fixtures: libraries keep their connection open (`linger`, as in the TUI), and
raw SQL on the library file for setting up and checking what the facade cannot show.

Every facade action on a lingering library runs on a cursor of one connection instead of
opening the file: the suite runs several times faster. test_connections.py runs the same
scenario both ways (one connection per action, as in the CLI, and lingering) and compares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage import Library
from storage.db.connection import connect

LINGER = 60.0  # seconds: longer than any test

Sql = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def library_from(library_from: Callable[..., Library]) -> Callable[..., Library]:
    """The shared `library_from`, lingering unless a test asks otherwise (this also makes the
    `library` and `sample_library` fixtures linger in the storage tests)."""

    def make(builder: Any, path: Path | None = None, *, linger: float = LINGER) -> Library:
        return library_from(builder, path, linger=linger)

    return make


@pytest.fixture
def sql(library_path: Path) -> Sql:
    """`sql("SELECT ...", params)`: run SQL straight on the library file (no facade), for
    setting up states the facade cannot reach and for checking what it wrote."""

    def run(statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        # storage's own connect: the same configuration as the library's lingering
        # connection, so DuckDB shares the open database instead of refusing a second one.
        con = connect(library_path)
        try:
            result = con.execute(statement, params or [])
            return result.fetchall() if result.description else []
        finally:
            con.close()

    return run


@pytest.fixture
def references(library: Library) -> Callable[[str], dict[str, int]]:
    """`references(prompt_id)`: per table that can mention a prompt id, how many rows do."""
    return lambda prompt_id: _rows_referring_to(library, prompt_id)


def _rows_referring_to(library: Library, prompt_id: str) -> dict[str, int]:
    checks = {
        "prompts": "SELECT count(*) FROM prompts WHERE id = $id OR parent_id = $id",
        "prompt_versions": "SELECT count(*) FROM prompt_versions WHERE prompt_id = $id",
        "prompt_labels": "SELECT count(*) FROM prompt_labels WHERE prompt_id = $id",
        "prompt_embeddings": "SELECT count(*) FROM prompt_embeddings WHERE prompt_id = $id",
        "relationships": (
            "SELECT count(*) FROM relationships WHERE source_id = $id OR target_id = $id"
        ),
        "enhancement_history": (
            "SELECT count(*) FROM enhancement_history WHERE prompt_id = $id OR parent_id = $id"
        ),
        "generations": "SELECT count(*) FROM generations WHERE prompt_id = $id",
        "usage_events": "SELECT count(*) FROM usage_events WHERE prompt_id = $id",
        "feedback": "SELECT count(*) FROM feedback WHERE prompt_id = $id",
        "context": "SELECT count(*) FROM context WHERE prompt_id = $id",
        "runs": "SELECT count(*) FROM runs WHERE prompt_id = $id",
        "eval_cases": "SELECT count(*) FROM eval_cases WHERE prompt_id = $id",
        "eval_runs": "SELECT count(*) FROM eval_runs WHERE prompt_id = $id",
        "eval_results": "SELECT count(*) FROM eval_results WHERE prompt_id = $id",
        "analysis_results": "SELECT count(*) FROM analysis_results WHERE prompt_id = $id",
    }
    con = connect(library.db.path)
    try:
        found: dict[str, int] = {}
        for table, statement in checks.items():
            row = con.execute(statement, {"id": prompt_id}).fetchone()
            found[table] = int(row[0]) if row else 0
        return found
    finally:
        con.close()
