"""The file itself: plain DuckDB can read it, old libraries migrate, newer and foreign ones are
refused clearly, and storage never imports the UI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import storage
from storage import Library, LocalProvider
from storage.db.database import TABLES
from storage.db.schema import SCHEMA_VERSION, schema_sql
from storage.errors import PromptdeckError, SchemaError

SCHEMA_TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema_sql())
SCHEMA_VIEWS = re.findall(r"CREATE OR REPLACE VIEW mart\.(\w+)", schema_sql())


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def test_schema_sql_and_storage_agree_on_the_tables() -> None:
    assert len(SCHEMA_TABLES) >= 15 and len(SCHEMA_VIEWS) >= 5
    assert sorted(TABLES) == sorted(SCHEMA_TABLES)  # table_counts() covers every table
    assert {"daily_activity", "usage_by_model", "tag_stats", "prompt_scorecard", "lineage"} <= set(
        SCHEMA_VIEWS
    )


def test_plain_duckdb_in_another_process_sees_every_table_and_view(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    library = Library(path).open()
    library.prompts.create("A", "a", tags=["t"])
    library.usage.record("A")
    library.close()
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        'rows = con.execute("SELECT table_schema, table_name, table_type '
        'FROM information_schema.tables ORDER BY 1, 2").fetchall()\n'
        "views = {r[1]: con.execute(f'SELECT count(*) FROM mart.{r[1]}').fetchone()[0] "
        "for r in rows if r[0] == 'mart'}\n"
        "print(json.dumps({'rows': rows, 'views': views}))\n"
    )
    done = run_python(script, str(path))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    tables = {name for schema, name, kind in found["rows"] if schema == "main"}
    views = {name for schema, name, kind in found["rows"] if schema == "mart"}
    assert tables == set(SCHEMA_TABLES)
    assert views == set(SCHEMA_VIEWS)
    assert all(kind == "VIEW" for schema, _, kind in found["rows"] if schema == "mart")
    assert found["views"]["prompt_scorecard"] == 1 and found["views"]["lineage"] == 1


def _make_version_one(path: Path) -> str:
    library = Library(path).open()
    prompt = library.prompts.create("Kept", "kept across the migration", tags=["old"])
    library.prompts.update(prompt.id, {"content": "kept, version 2"})
    library.close()
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE prompt_labels")
    con.execute("DELETE FROM schema_migrations WHERE version >= 2")
    con.close()
    return prompt.id


def test_a_version_one_library_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    prompt_id = _make_version_one(path)
    library = Library(path).open()
    assert library.prompts.get(prompt_id).content == "kept, version 2"
    assert len(library.versions.history(prompt_id)) == 2
    assert library.versions.set_label(prompt_id, "production", 1).version == 1
    assert library.prompts.resolve("Kept@production").content == "kept across the migration"
    _, migrations = library.db.query(
        "SELECT version, app_version FROM schema_migrations ORDER BY 1"
    )
    assert [row[0] for row in migrations] == list(range(1, SCHEMA_VERSION + 1))
    library.close()
    assert Library(path).open().versions.labels(prompt_id)[0].label == "production"  # idempotent


def test_a_newer_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    Library(path).open().close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (99, '9.0.0', now())")
    con.close()
    for read_only in (False, True):
        with pytest.raises(SchemaError) as caught:
            Library(path, read_only=read_only).open()
        message = str(caught.value)
        assert "version 99" in message and f"up to {SCHEMA_VERSION}" in message
        assert "upgrade promptdeck" in message
        assert caught.value.file == str(path)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (99,)
    con.close()


def test_a_file_that_is_not_duckdb_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "random.duckdb"
    path.write_bytes(bytes(range(256)) * 64)
    for read_only in (False, True):
        with pytest.raises(SchemaError) as caught:
            Library(path, read_only=read_only).open()
        message = str(caught.value)
        assert message.startswith(str(path))
        assert "\n" not in message
        assert caught.value.file == str(path)
    assert path.read_bytes() == bytes(range(256)) * 64  # left as it was


def test_a_duckdb_file_of_something_else_is_not_a_library_read_only(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    with pytest.raises(SchemaError, match="not a promptdeck library"):
        Library(path, read_only=True).open()


def test_a_missing_file_read_only_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PromptdeckError, match="no such library"):
        Library(tmp_path / "missing.duckdb", read_only=True).open()
    assert not (tmp_path / "missing.duckdb").exists()


def test_a_read_only_library_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    Library(path).open().prompts.create("A", "a")
    library = Library(path, read_only=True).open()
    assert library.prompts.get("A").name == "A"
    with pytest.raises(PromptdeckError, match="read-only"):
        library.prompts.create("B", "b")


def test_an_unopened_library_refuses_to_work(tmp_path: Path) -> None:
    with pytest.raises(PromptdeckError, match="not open"):
        Library(tmp_path / "closed.duckdb").prompts.get("A")


def test_storage_never_imports_textual() -> None:
    """Like an import-linter contract: storage is importable without the UI."""
    code = (
        "import pkgutil, sys, importlib, storage\n"
        "names = sorted(m.name for m in pkgutil.walk_packages(storage.__path__, 'storage.'))\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        # (rich may come in through httpx, whose own command-line module imports it)
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui'))\n"
        "print(len(names), bad)\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    count, bad = done.stdout.split(" ", 1)
    assert int(count) >= 15
    assert bad.strip() == "[]"
    assert Path(storage.__file__).parent.name == "storage"


def test_a_version_three_library_keeps_its_vectors_without_the_key(tmp_path: Path) -> None:
    """Version 4 drops prompt_embeddings' primary key (a checkpoint rewrote the whole index):
    the vectors move across, search answers as before, and a re-embed still keeps one row."""
    path = tmp_path / "v3.duckdb"
    with Library(path, embedder=LocalProvider()) as library:
        prompt = library.prompts.create("Kept", "a vector kept across the migration")
        library.embeddings.after_save(prompt)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE prompt_embeddings RENAME TO old")
    con.execute(
        "CREATE TABLE prompt_embeddings (prompt_id VARCHAR NOT NULL, model VARCHAR NOT NULL, "
        "provider VARCHAR NOT NULL, dims INTEGER NOT NULL, embedding FLOAT[] NOT NULL, "
        "content_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, "
        "PRIMARY KEY (prompt_id, model))"
    )
    con.execute("INSERT INTO prompt_embeddings SELECT * FROM old")
    con.execute("DROP TABLE old")
    con.execute("DELETE FROM schema_migrations WHERE version >= 4")
    con.close()
    with Library(path, embedder=LocalProvider()) as library:
        hits = library.search.search("vector kept", "semantic").hits
        assert [hit.prompt_id for hit in hits] == [prompt.id]
        library.prompts.update(prompt.id, {"content": "a vector made again after the edit"})
        library.embeddings.embed_missing(LocalProvider())
        _, rows = library.db.query("SELECT count(*) FROM prompt_embeddings")
        assert rows == [(1,)]
        _, keys = library.db.query(
            "SELECT count(*) FROM duckdb_constraints() "
            "WHERE table_name = 'prompt_embeddings' AND constraint_type = 'PRIMARY KEY'"
        )
        assert keys == [(0,)]


def test_a_version_four_library_gains_every_later_table_and_column(tmp_path: Path) -> None:
    """A library from before runs (version 4): every migration since runs against tables as
    they were then, so one that alters a later table must not assume it exists."""
    path = tmp_path / "v4.duckdb"
    with Library(path) as library:
        prompt = library.prompts.create("Kept", "a prompt from version 4")
        library.usage.record(prompt.id)
    con = duckdb.connect(str(path))
    later = [t for t, v in storage.db.schema.TABLE_ADDED_IN.items() if v > 4]
    for view in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart' AND NOT internal"
    ).fetchall():
        con.execute(f"DROP VIEW mart.{view[0]}")
    for macro in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE schema_name = 'mart' AND function_type = 'table_macro'"
    ).fetchall():
        con.execute(f"DROP MACRO TABLE mart.{macro[0]}")
    for table in later:
        con.execute(f"DROP TABLE {table}")
    for table in ("usage_events", "feedback", "generations"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN actor")
    con.execute("ALTER TABLE enhancement_history DROP COLUMN run_id")
    con.execute("DELETE FROM schema_migrations WHERE version > 4")
    con.close()
    with Library(path) as library:
        assert library.prompts.get(prompt.id).usage_count == 1
        _, found = library.db.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        )
        assert set(later) <= {name for (name,) in found}
        _, actors = library.db.query("SELECT actor FROM usage_events")
        assert actors == [(None,)]
        _, versions = library.db.query("SELECT max(version) FROM schema_migrations")
        assert versions == [(SCHEMA_VERSION,)]
