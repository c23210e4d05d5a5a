"""Files that are broken or hostile: an import reads every row or refuses naming the line,
nothing is written outside its folder, and a backup verifies and restores only what it holds.
Every refusal leaves the library exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.db.connection import connect
from storage.errors import BackupError, ImportRejected, TransferError, ValidationError
from storage.models import short_id
from storage.transfer import restore_backup, verify_backup

UNCLOSED = 'name,content\nR1,a\nR2,b\nR3,"unterminated\nR4,d\nR5,e\n'
UNCLOSED_GENERATIONS = (
    "prompt,provider,model,tokens_in,tokens_out\n"
    "Summarise,openai,gpt-4o,1,2\n"
    'Summarise,"openai,gpt-4o,1,2\n'
    "Summarise,openai,gpt-4o,3,4\n"
)


def _one_prompt(library: Library) -> None:
    library.prompts.create("Summarise", "Summarise {{topic}}.")


@pytest.fixture
def one(library_from: Callable[..., Library]) -> Library:
    return library_from(_one_prompt)


# -- 1. a quote never closed ---------------------------------------------------------------------


def test_an_unclosed_quote_refuses_the_prompt_import_naming_its_line(
    library: Library, tmp_path: Path
) -> None:
    source = tmp_path / "u.csv"
    source.write_text(UNCLOSED, "utf-8")
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(source)
    assert str(caught.value) == (
        f"{source}: line 4: a quoted field is never closed (it runs to the end of the file); "
        "nothing imported"
    )
    assert (caught.value.file, caught.value.row) == (str(source), 4)
    assert library.db.table_counts() == before


def test_an_unclosed_quote_refuses_the_generation_import(one: Library, tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(UNCLOSED_GENERATIONS, "utf-8")
    before = one.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        one.generation_imports.run(source)
    assert (caught.value.file, caught.value.row) == (str(source), 3)
    assert "line 3: a quoted field is never closed" in str(caught.value)
    assert one.db.table_counts() == before


@pytest.mark.parametrize(
    "text",
    [
        'name,content\nR1,5" screen\nR2,"unclosed\nR3,c\n',  # a quote inside a plain field
        'name,content\r\nR1,a\r\nR2,"b""c\r\n',  # CRLF, an escaped quote, no closing one
        'name,content\nR1,a\nR2,"',  # the file's last character opens the quote
    ],
)
def test_an_unclosed_last_quote_is_found_however_the_file_ends(
    library: Library, tmp_path: Path, text: str
) -> None:
    source = tmp_path / "u.csv"
    source.write_bytes(text.encode())
    before = library.db.table_counts()
    with pytest.raises(ImportRejected, match="line 3: a quoted field is never closed"):
        library.imports.run(source)
    assert library.db.table_counts() == before


def test_quotes_that_close_still_import_every_row(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "ok.csv"
    source.write_text('name,content\nR1,5" screen\nR2,"two\nlines"\nR3,"say ""hi"""\n', "utf-8")
    summary = library.imports.run(source)
    assert (summary.imported, summary.rejected) == (3, 0)
    assert library.prompts.get("R3").content == 'say "hi"'


# -- 2. folders that lead out of their folder ----------------------------------------------------

BAD_FOLDERS = [
    ("../../../../tmp/x", "must not have . or .. segments"),
    ("a/../../b", "must not have . or .. segments"),
    ("./a", "must not have . or .. segments"),
    ("/etc/cron.d", "must be relative, not start with /"),
    (" /", "must be relative, not start with /"),
    ("a\\..\\..\\b", "must separate folders with /, not \\"),
    ("a//b", "must not have empty segments"),
    ("a/ /b", "must not have empty segments"),
]


@pytest.mark.parametrize(("folder", "reason"), BAD_FOLDERS)
def test_create_update_and_derive_refuse_a_folder_that_leads_out(
    one: Library, folder: str, reason: str
) -> None:
    before = one.db.table_counts()
    attempts: list[Callable[[], Any]] = [
        lambda: one.prompts.create("Escape", "Escape {{x}}.", folder=folder),
        lambda: one.prompts.update("Summarise", {"folder": folder}),
        lambda: one.lineage.derive("Summarise", content="Derived {{x}}.", folder=folder),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.field == "folder"
        assert str(caught.value) == f"folder: {reason} (got {folder!r})"
    assert one.db.table_counts() == before
    assert one.prompts.get("Summarise").folder == ""


@pytest.mark.parametrize(
    ("given", "saved"), [(" writing / short ", "writing/short"), ("eng/", "eng"), ("  ", "")]
)
def test_folders_are_still_cleaned_as_before(library: Library, given: str, saved: str) -> None:
    assert library.prompts.create("Fine", "Fine {{x}}.", folder=given).folder == saved


def _rows_with_folder(folder: str) -> list[dict[str, str]]:
    return [
        {"name": "Good", "content": "Good {{x}}.", "folder": "writing"},
        {"name": "Bad", "content": "Bad {{x}}.", "folder": folder},
    ]


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".csv":
        lines = ["name,content,folder", *(",".join(r.values()) for r in rows)]
        path.write_text("\n".join(lines) + "\n", "utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), "utf-8")
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.mark.parametrize(("folder", "reason"), BAD_FOLDERS)
@pytest.mark.parametrize(
    ("name", "where"),
    [("p.csv", "line 3"), ("p.json", "item 2"), ("p.jsonl", "line 2"), ("p.parquet", "row 2")],
)
def test_every_import_format_refuses_such_a_folder_naming_the_row(
    library: Library, tmp_path: Path, folder: str, reason: str, name: str, where: str
) -> None:
    source = _write_rows(tmp_path / name, _rows_with_folder(folder))
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(source)
    assert str(caught.value) == (
        f"{source}: {where}: folder: {reason} (got {folder!r}); nothing imported"
    )
    assert library.db.table_counts() == before


def test_a_markdown_pack_with_folder_dot_dot_is_refused_naming_the_file(
    library: Library, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    (pack / "sub").mkdir(parents=True)
    (pack / "good.md").write_text("Good {{x}}.", "utf-8")
    (pack / "sub" / "evil.md").write_text("---\nfolder: ../..\n---\nEvil {{x}}.", "utf-8")
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(pack)
    assert str(caught.value) == (
        f"{pack}: sub/evil.md: folder: must not have . or .. segments (got '../..'); "
        "nothing imported"
    )
    assert library.db.table_counts() == before


@pytest.mark.parametrize("folder", ["../../escaped", "{tmp}/escaped", "a/../../escaped"])
def test_markdown_export_refuses_a_folder_written_before_the_check(
    one: Library, tmp_path: Path, folder: str
) -> None:
    folder = folder.format(tmp=tmp_path / "deep")  # an absolute path, inside tmp_path
    con = connect(one.db.path)  # a library from before folders were checked
    try:
        con.execute("UPDATE prompts SET folder = ?", [folder])
    finally:
        con.close()
    target = tmp_path / "deep" / "er" / "out"
    prompt = one.prompts.get("Summarise")
    with pytest.raises(TransferError) as caught:
        one.exports.write(target, "md")
    assert str(caught.value) == (
        f"{target}: prompt 'Summarise' ({short_id(prompt.id)}): folder {folder!r} leads outside "
        "the export folder; nothing exported"
    )
    assert caught.value.field == "folder"
    assert not target.exists()
    assert sorted(p.name for p in (tmp_path / "deep").rglob("*")) == ["er"]


# -- 4. a backup under a folder that looks like a Hive partition ---------------------------------


@pytest.mark.parametrize("place", ["date=2026-12-02/backup", "backups/date=2026-12-02"])
def test_a_backup_verifies_and_restores_wherever_it_lies(
    sample_library: Library, tmp_path: Path, place: str
) -> None:
    folder = tmp_path / place
    written = sample_library.backups.write(folder)
    assert verify_backup(folder) == written
    restored = tmp_path / "restored.duckdb"
    assert restore_backup(folder, restored) == written
    with Library(restored) as library:
        assert library.db.table_counts() == sample_library.db.table_counts()


def test_a_parquet_import_under_such_a_folder_reads_only_the_file_columns(
    library: Library, tmp_path: Path
) -> None:
    source = tmp_path / "folder=shadow" / "prompts.parquet"
    source.parent.mkdir()
    pq.write_table(pa.Table.from_pylist([{"name": "A", "content": "From the file."}]), source)
    assert library.imports.preview(source).columns == ("name", "content")
    summary = library.imports.run(source)
    assert (summary.imported, summary.ignored_columns) == (1, ())
    assert library.prompts.get("A").folder == ""


# -- 5. manifest.json's sequences are not trusted ------------------------------------------------


def _edit_manifest(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    edit(data)
    path.write_text(json.dumps(data), "utf-8")


def _set_sequence(value: object) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["sequences"].update(audit_log_seq=value)


@pytest.mark.parametrize("claimed", [1, 10_000_000])
def test_restore_continues_the_audit_log_from_its_rows_not_the_manifest(
    sample_library: Library, tmp_path: Path, claimed: int
) -> None:
    folder = tmp_path / "backup"
    sample_library.backups.write(folder)
    _edit_manifest(folder, _set_sequence(claimed))
    verify_backup(folder)
    restore_backup(folder, tmp_path / "restored.duckdb")
    with Library(tmp_path / "restored.duckdb") as restored:
        last = max(entry.id for entry in restored.audit.entries(limit=1_000_000))
        restored.tags.set_colour("fresh", "green")  # a write: its audit row takes the next id
        assert restored.audit.entries(limit=1)[0].id == last + 1
        assert restored.backups.write(tmp_path / "again").sequences == {"audit_log_seq": last + 2}
    assert [p.name for p in tmp_path.iterdir() if "restor" in p.name] == ["restored.duckdb"]


def test_an_empty_audit_log_starts_its_sequence_at_one(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    assert library.backups.write(folder).tables["audit_log"].rows == 0
    _edit_manifest(folder, _set_sequence(50))
    restore_backup(folder, tmp_path / "restored.duckdb")
    with Library(tmp_path / "restored.duckdb") as restored:
        restored.tags.set_colour("fresh", "green")
        assert restored.audit.entries(limit=1)[0].id == 1


WRONG_TYPES: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (
        _set_sequence("12"),
        "sequences.audit_log_seq: must be a whole number of at least 0 (got '12')",
    ),
    (_set_sequence(1.5), "sequences.audit_log_seq: must be a whole number of at least 0 (got 1.5)"),
    (
        _set_sequence(True),
        "sequences.audit_log_seq: must be a whole number of at least 0 (got True)",
    ),
    (
        _set_sequence(None),
        "sequences.audit_log_seq: must be a whole number of at least 0 (got None)",
    ),
    (lambda d: d.update(sequences=[88]), "sequences: must be a JSON object (got [88])"),
    (
        lambda d: d.update(schema_version="3"),
        "schema_version: must be a whole number of at least 0 (got '3')",
    ),
    (lambda d: d.update(created_at=5), "created_at: must be a string (got 5)"),
    (lambda d: d.update(tables=[]), "tables: must be a JSON object (got [])"),
    (
        lambda d: d["tables"]["prompts"].update(bytes="x"),
        "tables.prompts.bytes: must be a whole number of at least 0 (got 'x')",
    ),
    (
        lambda d: d["tables"]["prompts"].update(file=5),
        "tables.prompts.file: must be a string (got 5)",
    ),
    (
        lambda d: d["tables"]["prompts"].update(rows=-1),
        "tables.prompts.rows: must be a whole number of at least 0 (got -1)",
    ),
    (
        lambda d: d["tables"]["prompts"].update(key="id"),
        "tables.prompts.key: must be a list of column names (got 'id')",
    ),
    (lambda d: d["tables"].update(prompts=[]), "tables.prompts: must be a JSON object (got [])"),
]


@pytest.mark.parametrize(("edit", "reason"), WRONG_TYPES)
def test_a_wrong_typed_manifest_field_is_refused_in_one_line(
    sample_library: Library, tmp_path: Path, edit: Callable[[dict[str, Any]], None], reason: str
) -> None:
    folder = tmp_path / "backup"
    sample_library.backups.write(folder)
    _edit_manifest(folder, edit)
    manifest = folder / "manifest.json"
    with pytest.raises(BackupError) as caught:
        verify_backup(folder)
    assert str(caught.value) == f"{manifest}: {reason}"
    assert caught.value.file == str(manifest)
    with pytest.raises(BackupError):
        restore_backup(folder, tmp_path / "restored.duckdb")
    assert [p.name for p in tmp_path.iterdir() if "restored" in p.name] == []
