"""Bad input that used to end in a traceback: one line on stderr, exit 1, library unchanged."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage.transfer.checksum import arrow_checksum
from storage.transfer.manifest import sha256_of
from tests.cli.conftest import Cli
from tui.shared.settings import ConfigError, Settings


@pytest.mark.parametrize("statement", ["", ";", "  ; ;", "/* only a comment */"])
def test_sql_refuses_an_empty_statement(cli: Cli, statement: str) -> None:
    cli.add("One", "Some content.")
    line = cli.fails("sql", statement)
    assert "sql: " in line and "empty" in line


@pytest.mark.parametrize("depth", [65, 5_000])
@pytest.mark.parametrize("verb", ["add", "edit"])
def test_deeply_nested_metadata_is_refused(cli: Cli, verb: str, depth: int) -> None:
    cli.add("One", "Some content.")
    before = cli.counts()
    nested = '{"a": ' * depth + "1" + "}" * depth
    target = ("add", "--name", "Two") if verb == "add" else ("edit", "One")
    line = cli.fails(*target, "--metadata", nested, stdin="Other content.")
    assert "metadata: nests" in line
    assert cli.counts() == before


def test_a_64_level_metadata_object_is_kept(cli: Cli) -> None:
    nested = '{"a": ' * 64 + "1" + "}" * 64
    cli.add("Deep", "Some content.", "--metadata", nested)


@pytest.mark.parametrize("depth", [65, 5_000])
def test_a_deeply_nested_config_is_a_config_error(tmp_path: Path, depth: int) -> None:
    config = tmp_path / "config.toml"
    config.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml: .*nest more than 64"):
        Settings.load(config)


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-0.5", "1e400"])
def test_a_lock_timeout_that_is_not_a_finite_wait_is_a_usage_error(cli: Cli, seconds: str) -> None:
    """Like every bad option value: exit 2 before the library file is opened."""
    assert "--lock-timeout" in cli.fails("--lock-timeout", seconds, "list", code=2)
    assert not cli.db.exists()


def test_a_byte_order_mark_before_a_csv_header_is_not_part_of_the_first_column(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "prompts.csv"
    source.write_bytes("\ufeffname,content\nGreet,Say hello.\n".encode())
    cli.ok("import", str(source))
    assert [p["name"] for p in cli.json("list")] == ["Greet"]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("prompts.csv", "name,,content\nGreet,x,Say hello.\n", "line 1: column 2 has no name"),
        ("prompts.csv", "name, ,content\nGreet,x,Say hello.\n", "line 1: column 2 has no name"),
        ("prompts.jsonl", '{"name": "Greet", "": 1, "content": "Hi."}\n', "a key has no name"),
    ],
)
def test_an_unnamed_column_is_refused(
    cli: Cli, tmp_path: Path, name: str, text: str, where: str
) -> None:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert f"{name}: {where}" in line
    assert cli.counts() == before


def test_a_time_in_the_future_is_shown_as_written(cli: Cli) -> None:
    cli.add("One", "Some content.")
    before = cli.counts()
    line = cli.fails(*_LOG, "--at", "2999-01-01")
    assert line.endswith("at: must be a time no later than now (got 2999-01-01T00:00:00)")
    assert "datetime" not in line
    assert cli.counts() == before


def test_a_time_with_an_offset_is_taken_as_that_instant(cli: Cli) -> None:
    cli.add("One", "Some content.")
    cli.ok(*_LOG, "--at", "2020-01-01T02:00+02:00")
    assert "2999" in cli.fails(*_LOG, "--at", "2999-01-01T00:00+02:00")


_LOG: tuple[str, ...] = ("log-generation", "One", "--provider", "p", "--model", "m")
_LOG += ("--tokens-in", "1", "--tokens-out", "1")


@pytest.fixture
def backup(cli: Cli, tmp_path: Path) -> Path:
    cli.add("One", "Some content.", "--tag", "news")
    folder = tmp_path / "backup"
    cli.ok("backup", str(folder))
    return folder


def _edit(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data), "utf-8")


def _refused(cli: Cli, folder: Path, tmp_path: Path, words: str) -> None:
    """verify and restore refuse the backup alike, and restore writes nothing."""
    assert words in cli.fails("verify", str(folder))
    target = tmp_path / "restored.duckdb"
    assert words in cli.fails("restore", str(folder), "--db", str(target))
    assert not target.exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("file", 7, "tables.prompts.file: must be a string (got 7)"),
        ("file", None, "tables.prompts.file: must be a string (got None)"),
        ("bytes", "abc", "tables.prompts.bytes: must be a whole number of at least 0 (got 'abc')"),
        ("rows", True, "tables.prompts.rows: must be a whole number"),
        ("key", "id", "tables.prompts.key: must be a list of column names (got 'id')"),
        ("key", ["no_such_column"], "tables.prompts.key: column 'no_such_column' is not in"),
    ],
)
def test_a_manifest_field_of_the_wrong_type_is_named(
    cli: Cli, backup: Path, tmp_path: Path, field: str, value: object, words: str
) -> None:
    _edit(backup, lambda data: data["tables"]["prompts"].update({field: value}))
    _refused(cli, backup, tmp_path, f"manifest.json: {words}")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda data: data.update(tables=[]), "tables: must be a JSON object (got [])"),
        (lambda data: data.update(schema_version="3"), "schema_version: must be a whole number"),
        (lambda data: data.pop("sequences"), "sequences: missing"),
        (lambda data: data["sequences"].update(audit_log_seq=1.5), "sequences.audit_log_seq: "),
        (lambda data: data["tables"].update(prompts=3), "tables.prompts: must be a JSON object"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_named(
    cli: Cli, backup: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    _edit(backup, change)
    _refused(cli, backup, tmp_path, f"manifest.json: {words}")


def _older_without(table: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["schema_version"] = 2
        del data["tables"][table]

    return change


def _extra_table(data: dict[str, Any]) -> None:
    data["tables"]["notes"] = data["tables"]["tags"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_extra_table, "table 'notes' is not in this promptdeck's schema"),
        (_older_without("tags"), "table 'tags' is missing from the manifest (schema version 2"),
        (lambda data: data.update(schema_version=2), "schema_version is 2, but"),
    ],
)
def test_verify_refuses_what_restore_refuses(
    cli: Cli, backup: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    _edit(backup, change)
    _refused(cli, backup, tmp_path, f"manifest.json: {words}")


def test_an_older_backup_without_the_later_tables_is_restored(cli: Cli, tmp_path: Path) -> None:
    """A version 2 backup has no prices or lifecycle_runs: verify and restore take it."""
    folder = tmp_path / "old"
    cli.add("One", "Some content.")
    cli.ok("backup", str(folder))

    def older(data: dict[str, Any]) -> None:
        data["schema_version"] = 2
        for table in ("prices", "lifecycle_runs"):
            (folder / data["tables"].pop(table)["file"]).unlink()
        entry = data["tables"]["schema_migrations"]
        path = folder / entry["file"]
        rows = pq.read_table(path).filter(pc.field("version") <= 2)
        pq.write_table(rows, path)
        checksum = arrow_checksum(rows, entry["key"])
        entry.update(rows=2, sha256=sha256_of(path), bytes=path.stat().st_size, checksum=checksum)

    _edit(folder, older)
    cli.ok("verify", str(folder))
    target = tmp_path / "restored.duckdb"
    cli.ok("restore", str(folder), "--db", str(target))
    assert "One" in cli.ok("--db", str(target), "list")


def test_a_dropped_table_is_named_in_one_line(cli: Cli) -> None:
    cli.add("One", "Some content.")
    with duckdb.connect(str(cli.db)) as con:
        con.execute("DROP TABLE feedback CASCADE")
    for verb in (("stats",), ("list",)):
        line = cli.fails(*verb)
        assert f"{cli.db}: damaged library: Catalog Error: " in line
        assert "feedback" in line


def test_a_library_missing_a_table_is_not_backed_up(cli: Cli, tmp_path: Path) -> None:
    """Such a backup would verify as broken and not restore: refused when it is made."""
    cli.add("One", "Some content.")
    with duckdb.connect(str(cli.db)) as con:
        con.execute("DROP TABLE feedback CASCADE")
    line = cli.fails("backup", str(tmp_path / "backup"))
    assert f"{cli.db}: damaged library: table 'feedback' is missing" in line
    assert not (tmp_path / "backup").exists()


def test_a_corrupt_data_page_is_one_line_wherever_it_is(cli: Cli, tmp_path: Path) -> None:
    """The content's bytes are in several blocks (the table, the index, the text index);
    whichever is corrupt, each verb works or says so in one line, and export leaves no file."""
    cli.add("One", "MARKER" + secrets.token_hex(3000))
    original = cli.db.read_bytes()
    places = [m.start() for m in re.finditer(b"MARKER", original)]
    failures = 0
    for n, place in enumerate(places):
        damaged = bytearray(original)
        damaged[place + 100 : place + 150] = bytes(50)
        cli.db.write_bytes(bytes(damaged))
        out = tmp_path / f"export-{n}.csv"
        for verb in (
            ("stats",),
            ("list",),
            ("show", "One"),
            ("backup", str(tmp_path / f"backup-{n}")),
            ("embed",),
            ("export", str(out)),
        ):
            result = cli(*verb)
            if result.exit_code:
                failures += 1
                assert "Corrupt database file" in cli.fails(*verb)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []
    assert failures, "no corruption was noticed: the test no longer damages what it reads"


def test_a_full_disk_is_one_line_and_leaves_no_file(cli: Cli, tiny_disk: Path) -> None:
    cli.add("Big", secrets.token_hex(200_000))
    filler = tiny_disk / "filler"
    with filler.open("wb") as stream, contextlib.suppress(OSError):
        stream.write(bytes(1024 * 1024))
    for fmt in ("csv", "jsonl", "parquet"):
        out = tiny_disk / f"out.{fmt}"
        assert f"{out}: cannot write: " in cli.fails("export", str(out))
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]


def test_a_full_disk_on_commit_is_one_line(tmp_path: Path, tiny_disk: Path) -> None:
    disk = Cli(tiny_disk / "library.duckdb")
    disk.add("One", "Some content.")
    before = disk.counts()
    filler = tiny_disk / "filler"
    with filler.open("wb") as stream, contextlib.suppress(OSError):
        stream.write(bytes(1024 * 1024))
    line = disk.fails("add", "--name", "Two", stdin=secrets.token_hex(100_000))
    assert str(disk.db) in line
    filler.unlink()
    assert disk.counts() == before


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ({"team": "ops"}, '{"team":"ops"}'),
        (["ok", {"team": "ops"}], '{"team":"ops"}'),
        (["ok", ["nested"]], '["nested"]'),
    ],
)
def test_tags_given_as_json_objects_are_refused(
    cli: Cli, tmp_path: Path, tags: object, shown: str
) -> None:
    source = tmp_path / "prompts.jsonl"
    rows = [{"name": "Fine", "content": "Fine."}, {"name": "Odd", "content": "Hi.", "tags": tags}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert (
        f"prompts.jsonl: line 2: tag: must be text, not a JSON object or list (got '{shown}')"
        in line
    )
    assert cli.counts() == before


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("name", pa.array([7, 8], pa.int64())),
        ("content", pa.array([1.5, 2.5], pa.float64())),
        ("content", pa.array([{"a": 1}, {"a": 2}])),
    ],
)
def test_non_text_names_and_contents_in_parquet_are_refused(
    cli: Cli, tmp_path: Path, column: str, values: pa.Array
) -> None:
    text = {"name": pa.array(["A", "B"]), "content": pa.array(["One.", "Two."])}
    text[column] = values
    source = tmp_path / "prompts.parquet"
    pq.write_table(pa.table(text), source)
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert f"prompts.parquet: row 1: {column}: must be text (the column is " in line
    assert "2 rows rejected" in line
    assert cli.counts() == before


@pytest.mark.parametrize("depth", [65, 5_000])
def test_imported_metadata_nested_too_deeply_is_refused(
    cli: Cli, tmp_path: Path, depth: int
) -> None:
    nested = '{"a": ' * depth + "1" + "}" * depth
    source = tmp_path / "prompts.jsonl"
    rows = [
        '{"name": "Fine", "content": "Fine."}',
        '{"name": "Deep", "content": "Hi.", "metadata": ' + nested + "}",
    ]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert "prompts.jsonl: line 2: metadata: nests more than 64 levels" in line
    assert cli.counts() == before
