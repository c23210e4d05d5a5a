"""Broken and hostile files from the command line: one line naming what and where, exit 1,
and the library exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

from storage.db.connection import connect
from tests.cli.conftest import Cli
from tests.storage.test_bad_transfers import UNCLOSED, UNCLOSED_GENERATIONS


def test_an_unclosed_quote_is_one_line_naming_it(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "u.csv"
    source.write_text(UNCLOSED, "utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert line == (
        f"promptdeck: {source}: line 4: a quoted field is never closed (it runs to the end "
        "of the file); nothing imported"
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(UNCLOSED_GENERATIONS, "utf-8")
    line = cli.fails("import", str(calls), "--generations")
    assert line.startswith(f"promptdeck: {calls}: line 3: a quoted field is never closed")
    assert cli.counts() == before


def test_a_folder_leading_out_is_refused_by_every_verb_that_saves(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    before = cli.counts()
    folder = "../../../../tmp/x"
    expected = f"promptdeck: folder: must not have . or .. segments (got {folder!r})"
    assert cli.fails("add", "--name", "Escape", "--folder", folder, stdin="Escape.") == expected
    assert cli.fails("edit", "Summarise", "--folder", folder) == expected
    assert cli.fails("derive", "Summarise", "--folder", folder, stdin="Derived.") == expected
    line = cli.fails("add", "--name", "Abs", "--folder", "/etc/x", stdin="Abs.")
    assert line == "promptdeck: folder: must be relative, not start with / (got '/etc/x')"
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "evil.md").write_text("---\nfolder: ../..\n---\nEvil {{x}}.", "utf-8")
    assert cli.fails("import", str(pack)) == (
        f"promptdeck: {pack}: evil.md: folder: must not have . or .. segments (got '../..'); "
        "nothing imported"
    )
    assert cli.counts() == before


def test_markdown_export_stays_inside_its_folder(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    con = connect(cli.db)  # a library written before folders were checked
    try:
        con.execute("UPDATE prompts SET folder = '../../outside' WHERE name = 'Explain'")
    finally:
        con.close()
    target = tmp_path / "exports" / "md"
    line = cli.fails("export", str(target), "--format", "md")
    explain = sample["Explain"]
    assert line == (
        f"promptdeck: {target}: prompt 'Explain' ({explain[-8:]}): folder '../../outside' "
        "leads outside the export folder; nothing exported"
    )
    assert not target.exists() and not (tmp_path / "outside").exists()
    assert list((tmp_path / "exports").iterdir()) == []


def test_backup_verify_restore_under_a_folder_named_like_a_partition(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "backups" / "date=2026-12-02"
    cli.ok("backup", str(folder))
    assert cli.ok("verify", str(folder)).startswith(f"{folder}: ok, ")
    restored = Cli(tmp_path / "restored.duckdb")
    assert "row checksums match" in restored.ok("restore", str(folder))
    assert restored.counts() == cli.counts()


def test_a_doctored_sequence_restores_and_the_library_stays_writable(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    cli.ok("backup", str(folder))
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["sequences"]["audit_log_seq"] = 1
    manifest.write_text(json.dumps(data), "utf-8")
    assert cli.ok("verify", str(folder)).startswith(f"{folder}: ok, ")
    restored = Cli(tmp_path / "restored.duckdb")
    restored.ok("restore", str(folder))
    restored.add("After restore", "Written after the restore.")
    assert restored.counts()["prompts"] == cli.counts()["prompts"] + 1


def test_a_wrong_typed_manifest_is_one_line(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    cli.ok("backup", str(folder))
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["sequences"]["audit_log_seq"] = "many"
    manifest.write_text(json.dumps(data), "utf-8")
    expected = (
        f"promptdeck: {manifest}: sequences.audit_log_seq: must be a whole number of at "
        "least 0 (got 'many')"
    )
    assert cli.fails("verify", str(folder)) == expected
    assert cli.fails("restore", str(folder), "--db", str(tmp_path / "new.duckdb")) == expected
    data["sequences"]["audit_log_seq"] = 5
    data["tables"]["prompts"]["bytes"] = "big"
    manifest.write_text(json.dumps(data), "utf-8")
    assert cli.fails("verify", str(folder)) == (
        f"promptdeck: {manifest}: tables.prompts.bytes: must be a whole number of at least 0 "
        "(got 'big')"
    )
    assert not (tmp_path / "new.duckdb").exists()
