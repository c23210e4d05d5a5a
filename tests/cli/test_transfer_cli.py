"""backup, verify, restore, export, import from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.storage.test_transfer_import import AWESOME


def test_backup_verify_restore(cli: Cli, sample: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    out = cli.ok("backup", str(folder))
    assert "prompts" in out and f"written to {folder}" in out
    assert cli.ok("verify", str(folder)).startswith(f"{folder}: ok, ")
    restored = tmp_path / "restored.duckdb"
    out = cli.ok("restore", str(folder), "--db", str(restored))
    assert "row checksums match the manifest" in out
    # The global --db names the new library too.
    again = Cli(tmp_path / "again.duckdb")
    assert "row checksums match" in again.ok("restore", str(folder))
    assert again.counts() == Cli(restored).counts()
    listed = [p["name"] for p in Cli(restored).json("list")]
    assert sorted(listed) == sorted(sample)


def test_restore_refuses_an_existing_library(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    cli.ok("backup", str(folder))
    before = cli.counts()
    line = cli.fails("restore", str(folder), "--db", str(cli.db))
    assert line == (
        f"promptdeck: {cli.db}: already exists; restore writes a new library, "
        "choose a path that does not exist"
    )
    assert cli.counts() == before


def test_verify_names_the_corrupted_file(cli: Cli, sample: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    cli.ok("backup", str(folder))
    file = folder / "prompt_versions.parquet"
    data = bytearray(file.read_bytes())
    data[100] ^= 0xFF
    file.write_bytes(bytes(data))
    line = cli.fails("verify", str(folder))
    assert line.startswith(f"promptdeck: {file}: sha256 differs from the manifest")


def test_export_then_import_json(cli: Cli, sample: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    assert cli.ok("export", str(target)) == f"exported 2 prompts to {target} (jsonl)\n"
    other = Cli(tmp_path / "other.duckdb")
    summary = other.json("import", str(target))
    assert (summary["imported"], summary["skipped"], summary["source"]) == (2, 0, "jsonl")
    assert "id" in summary["ignored_columns"]
    filtered = cli.json("export", str(tmp_path / "some.csv"), "--search", "simply")
    assert filtered["prompts"] == 1


@pytest.mark.skipif(not AWESOME.is_file(), reason=f"{AWESOME} is not there")
def test_import_awesome_with_a_mapping(cli: Cli) -> None:
    args = ("import", str(AWESOME), "--map", "name=act", "--map", "content=prompt")
    assert cli.ok(*args) == (
        f"imported 197, skipped 0 as duplicates, rejected 0 from {AWESOME} "
        "(csv; name=act, content=prompt)\n"
        "embedded 197 prompts for semantic search\n"
    )
    assert cli.ok(*args).startswith("imported 0, skipped 197 as duplicates")


def test_import_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("act,prompt\nOne,first\nTwo,\n", "utf-8")
    line = cli.fails("import", str(source), "--map", "name=act", "--map", "content=prompt")
    assert line == (
        f"promptdeck: {source}: line 3: content: must not be empty (got ''); nothing imported"
    )
    assert cli.counts()["prompts"] == 0
    line = cli.fails("import", str(source), "--map", "title=act")
    assert line.startswith("promptdeck: map: 'title' is not a prompt field")
    assert json.loads(cli.ok("list", "--json")) == []
