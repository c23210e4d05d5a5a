"""`--db` names the file the CLI works on: a DuckDB file that is not a promptdeck library is
refused and left byte for byte as it was, and a path with no file yet is created with a note on
stderr, so that a typo does not pass for an empty library."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
from click.testing import CliRunner, Result

from storage import default_library_path
from tui.main import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_foreign_duckdb_file_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "invoices.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (id INTEGER, total DOUBLE)")
    con.execute("INSERT INTO invoices VALUES (1, 12.5), (2, 40.0)")
    con.close()
    before = digest(path)
    for verb in (["list"], ["add", "--name", "X"], ["--read-only", "list"]):
        result = run("--db", str(path), *verb)
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            f"promptdeck: {path}: is a DuckDB database but not a promptdeck library\n"
        )
        assert result.stdout == ""
        assert digest(path) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["invoices.duckdb"]


def test_a_new_path_is_created_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "libary.duckdb"  # a typo of library.duckdb
    first = run("--db", str(path), "list")
    assert first.exit_code == 0
    assert first.stderr == f"promptdeck: created a new library at {path}\n"
    assert first.stdout == "(no prompts)\n"
    assert path.is_file()
    again = run("--db", str(path), "list")
    assert (again.exit_code, again.stderr, again.stdout) == (0, "", "(no prompts)\n")


def test_a_write_to_a_new_path_notes_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.duckdb"
    added = CliRunner().invoke(main, ["--db", str(path), "add", "--name", "Tweet"], input="Hi.")
    assert added.exit_code == 0
    assert added.stderr == f"promptdeck: created a new library at {path}\n"
    listed = run("--db", str(path), "list")
    assert listed.stderr == "" and "Tweet" in listed.stdout


def test_the_default_library_is_created_with_the_same_note() -> None:
    path = default_library_path()  # inside tmp_path: tests/cli/conftest.py points HOME there
    assert isinstance(path, Path)
    assert not path.exists()
    first = run("list")
    assert first.exit_code == 0
    assert first.stderr == f"promptdeck: created a new library at {path}\n"
    assert run("list").stderr == ""


def test_read_only_never_creates(tmp_path: Path) -> None:
    path = tmp_path / "missing.duckdb"
    result = run("--db", str(path), "--read-only", "list")
    assert result.exit_code == 1
    assert result.stderr == f"promptdeck: {path}: no such library\n"
    assert not path.exists()
