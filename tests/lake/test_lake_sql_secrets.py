"""`promptdeck sql` on a team library cannot reach the catalog's password, however the query
takes it apart: the query runs on a copy that never saw the conninfo (storage/db/
lake_query.py), so there is nothing to take apart, and no postgres_* function to call."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from storage import Library
from storage.errors import QueryError
from tests.lake.conftest import Lake

META = "__ducklake_metadata_lake"  # where DuckLake attaches the catalog database
BYPASSES = [
    "SELECT path, reverse(path) FROM duckdb_databases()",
    "SELECT replace(replace(path, 'password', 'p'), '=', ' ') FROM duckdb_databases()",
    "SELECT substr(path, i, 4) FROM duckdb_databases(), range(1, 200, 4) t(i)",
    "SELECT hex(path), to_base64(encode(path)) FROM duckdb_databases()",
    "SELECT string_split(path, ' ') FROM duckdb_databases()",
    "SELECT name, reverse(value::VARCHAR), hex(value::VARCHAR) FROM duckdb_settings()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT current_setting('ducklake_default_data_path')",
    f"SELECT * FROM postgres_query('{META}', 'SELECT current_setting(''data_directory'')')",
    f"CALL postgres_execute('{META}', 'DROP TABLE ducklake_snapshot')",
    "SELECT * FROM postgres_attach('host=127.0.0.1 dbname=postgres')",
    f"SELECT * FROM {META}.ducklake_metadata",
    "SELECT * FROM lake.options()",
    "SELECT * FROM read_text('~/.pgpass')",
    "SELECT * FROM read_csv('{pgpass}', header = false, sep = '|')",
    "SELECT * FROM duckdb_extensions() WHERE loaded",
    "LOAD postgres_scanner",
    "ATTACH '{conninfo}' AS again (TYPE postgres)",
    "SET enable_external_access = true",
]


def pieces(secret: str) -> set[str]:
    """Every 6 characters of the password, as written and reversed, and of its hex and base64
    forms the windows that spell 6 of its characters (shorter ones match any hex output)."""
    forms = [(secret, 6), (secret[::-1], 6), (secret.encode().hex(), 12)]
    forms.append((base64.b64encode(secret.encode()).decode(), 8))
    return {text[i : i + n].lower() for text, n in forms for i in range(len(text) - n + 1)}


def test_no_query_gets_any_piece_of_the_password(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgpass = tmp_path / "home" / ".pgpass"
    pgpass.parent.mkdir()
    pgpass.write_text(f"127.0.0.1:*:*:promptdeck:{lake.password}\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(pgpass.parent))
    monkeypatch.setenv("PGPASSWORD", lake.password)
    conninfo = lake.db.removeprefix("ducklake:postgres:")
    told: list[str] = []
    with Library(lake.db, lake_data=str(lake.data)) as lib:
        lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        for sql in BYPASSES:
            try:
                columns, rows = lib.db.query(sql.format(pgpass=pgpass, conninfo=conninfo))
                told.append(f"{columns} {rows}")
            except QueryError as refused:
                told.append(str(refused))
        assert lib.db.query("SELECT name FROM prompts") == (["name"], [("Haiku",)])
    seen = "\n".join(told).lower()
    assert not [piece for piece in pieces(lake.password) if piece in seen]
    assert seen.count("sql: ") >= 10  # most are refused outright, not answered


def test_the_copy_answers_as_the_lake_would(lake: Lake) -> None:
    with Library(lake.db, lake_data=str(lake.data), actor="ana") as lib:
        lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        lib.prompts.create("Limerick", "Write a limerick about {{topic}}.")
        lib.usage.rate("Haiku", 4)
        assert lib.db.query("SELECT count(*) AS n FROM config") == (["n"], [(6,)])  # no seed twice
        _, rated = lib.db.query("SELECT name, avg_rating FROM mart.prompt_ratings r "
                                "JOIN prompts p ON p.id = r.prompt_id")  # fmt: skip
        assert rated == [("Haiku", 4.0)]
        _, actors = lib.db.query(
            "SELECT actor, ratings FROM mart.actor_activity(DATE '2000-01-01')"
        )
        assert actors == [("ana", 1)]
        _, limited = lib.db.query("SELECT name FROM prompts ORDER BY name", limit=1)
        assert limited == [("Haiku",)]
        with pytest.raises(
            QueryError, match=r"^sql: a team library takes queries that read \(got DELETE\)$"
        ):
            lib.db.query("DELETE FROM prompts")
        with pytest.raises(QueryError, match="^sql: empty statement"):
            lib.db.query("  ")
        assert len(lib.prompts.list_prompts()) == 2
