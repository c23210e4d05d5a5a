"""A DuckDB file that is not a promptdeck library is refused, byte for byte unchanged; an empty
one, or a path with no file yet, becomes a library, and the library says it made the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from storage import Library
from storage.errors import SchemaError

FOREIGN = "is a DuckDB database but not a promptdeck library"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in `folder` (the database and any .wal beside it) by its sha256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def duckdb_file(path: Path, *statements: str) -> Path:
    con = duckdb.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.close()
    return path


@pytest.mark.parametrize(
    "statements",
    [
        (
            "CREATE TABLE invoices (id INTEGER, amount DECIMAL(10, 2))",
            "INSERT INTO invoices VALUES (1, 9.5)",
        ),
        ("CREATE SCHEMA books", "CREATE TABLE books.ledger (id INTEGER)"),
        ("CREATE VIEW answer AS SELECT 42 AS n",),
        ("CREATE TABLE prompts (id VARCHAR)",),  # a table we also have is not our marker
    ],
    ids=["a table", "a table in another schema", "a view", "a table named like ours"],
)
@pytest.mark.parametrize("read_only", [False, True])
def test_a_foreign_database_is_refused_unchanged(
    tmp_path: Path, statements: tuple[str, ...], read_only: bool
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = duckdb_file(folder / "invoices.duckdb", *statements)
    before = snapshot(folder)
    library = Library(path, read_only=read_only)
    with pytest.raises(SchemaError) as caught:
        library.open()
    assert str(caught.value) == f"{path}: {FOREIGN}"
    assert caught.value.file == str(path)
    library.close()
    assert snapshot(folder) == before


def test_an_empty_duckdb_file_becomes_a_library(tmp_path: Path) -> None:
    path = duckdb_file(tmp_path / "empty.duckdb")
    with Library(path) as library:
        assert not library.db.created  # the file was there
        assert library.prompts.count_prompts() == 0
        library.prompts.create(name="Tweet", content="Write a tweet.")


def test_a_library_knows_it_made_its_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "library.duckdb"
    with Library(path) as library:
        assert library.db.created
        library.prompts.create(name="Tweet", content="Write a tweet.")
    with Library(path) as library:
        assert not library.db.created
        assert library.prompts.count_prompts() == 1
