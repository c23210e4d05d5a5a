"""Import: the awesome-chatgpt CSV, every format, duplicates, and whole-or-nothing rejection
with the line and the reason (worded as storage/validation.py words it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import Library
from storage.errors import ImportRejected, TransferError, ValidationError
from storage.models import SNAPSHOT_FIELDS
from storage.prompts.validation import clean_fields

AWESOME = (
    Path(__file__).resolve().parents[3] / "shared" / "datasets" / "awesome-chatgpt-prompts.csv"
)


def _sessions(library: Library) -> list[tuple[object, ...]]:
    _, rows = library.db.query(
        "SELECT source, imported, skipped, errors FROM import_sessions ORDER BY started_at"
    )
    return rows


@pytest.mark.skipif(not AWESOME.is_file(), reason=f"{AWESOME} is not there")
def test_awesome_chatgpt_prompts_import_then_skip_as_duplicates(library: Library) -> None:
    first = library.imports.run(AWESOME, mapping={"name": "act", "content": "prompt"})
    assert (first.imported, first.skipped, first.rejected) == (197, 0, 0)
    assert library.prompts.count_prompts() == 197
    again = library.imports.run(AWESOME, mapping={"name": "act", "content": "prompt"})
    assert (again.imported, again.skipped) == (0, 197)
    assert library.prompts.count_prompts() == 197
    assert _sessions(library) == [("csv", 197, 0, 0), ("csv", 0, 197, 0)]
    counts = library.db.table_counts()
    assert counts["prompt_versions"] == 197
    assert counts["audit_log"] == 2  # one entry per import, not per row
    prompt = library.prompts.get("Linux Terminal")
    assert prompt.source_type == "import"
    assert prompt.content.startswith("I want you to act as a linux terminal.")


def test_a_broken_row_imports_nothing_and_names_its_line(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "prompts.csv"
    source.write_text(
        'act,prompt\nOne,"first"\nTwo,"second, with\na newline"\nThree,third,extra\nFour,fourth\n',
        "utf-8",
    )
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(source, mapping={"name": "act", "content": "prompt"})
    assert str(caught.value) == (f"{source}: line 5: expected 2 fields, found 3; nothing imported")
    assert (caught.value.row, caught.value.file) == (5, str(source))
    assert library.db.table_counts() == before


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        ('Hot,"warm up",7', "temperature", "7"),
        ('Hot,"warm up",x', "temperature", "x"),
        ('"","warm up",1', "name", ""),
        ('Hot,"  ",1', "content", "  "),
    ],
)
def test_an_invalid_value_is_reported_as_validation_words_it(
    library: Library, tmp_path: Path, row: str, field: str, value: str
) -> None:
    source = tmp_path / "prompts.csv"
    source.write_text(f"name,content,temperature\nFine,fine,0.5\n{row}\nBad,,9\n", "utf-8")
    with pytest.raises(ValidationError) as expected:
        clean_fields({field: value})
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(source)
    assert str(caught.value) == (
        f"{source}: line 3: {expected.value}; nothing imported (2 rows rejected)"
    )
    assert caught.value.rejected == 2
    assert library.db.table_counts() == before


def test_fields_are_cleaned_as_create_cleans_them(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "prompts.csv"
    source.write_text(
        "title,body,folder,tags,temperature,max_tokens,format,metadata,model\n"
        '" Summary ","Summarise {{x}}.", writing / short ,"news; short,news",0.25,300,'
        'markdown,"{""team"": ""docs""}",gpt-4o\n',
        "utf-8",
    )
    summary = library.imports.run(source)
    assert summary.mapping["name"] == "title" and summary.mapping["content"] == "body"
    imported = library.prompts.get("Summary")
    created = library.prompts.create(
        " Summary ",
        "Summarise {{x}} now.",
        folder=" writing / short ",
        tags=["news", "short"],
        temperature="0.25",
        max_tokens="300",
        format_type="markdown",
        metadata={"team": "docs"},
        model="gpt-4o",
    )
    for field in SNAPSHOT_FIELDS:
        assert getattr(imported, field) == getattr(created, field), field
    assert imported.name == created.name == "Summary"
    version = library.versions.history(imported.id)[0]
    assert version.metadata == library.versions.history(created.id)[0].metadata
    assert version.change_message == "imported from prompts.csv"


def test_duplicates_in_the_file_and_in_the_library_are_skipped(
    library: Library, tmp_path: Path
) -> None:
    library.prompts.create("Existing", "Same as the library.")
    archived = library.prompts.create("Old", "Only in the archive.")
    library.prompts.archive(archived.id)
    source = tmp_path / "prompts.jsonl"
    lines = [
        {"name": "A", "content": "Same as the library."},
        {"name": "B", "content": "New."},
        {"name": "C", "content": "New."},
        {"name": "D", "content": "Only in the archive."},
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n", "utf-8")
    summary = library.imports.run(source)
    assert (summary.imported, summary.skipped) == (2, 2)
    assert sorted(p.name for p in library.prompts.list_prompts()) == ["B", "D", "Existing"]


def test_json_list_and_jsonl_rows_are_named_by_item_and_line(
    library: Library, tmp_path: Path
) -> None:
    listed = tmp_path / "prompts.json"
    listed.write_text(
        json.dumps([{"name": "A", "content": "a"}, {"name": "B", "content": "b", "tags": [1, ""]}]),
        "utf-8",
    )
    with pytest.raises(ImportRejected, match=r"prompts.json: item 2: tag: must not be empty"):
        library.imports.run(listed)
    lines = tmp_path / "prompts.jsonl"
    lines.write_text('{"name": "A", "content": "a"}\n\n{"name": "B", "content": }\n', "utf-8")
    with pytest.raises(ImportRejected, match=r"prompts.jsonl: line 3: not valid JSON"):
        library.imports.run(lines)
    assert library.prompts.count_prompts() == 0


def test_a_markdown_folder_with_front_matter(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "writing" / "blog").mkdir(parents=True)
    (folder / "writing" / "blog" / "outline.md").write_text(
        "---\nname: Blog outline\ntags:\n  - writing\n  - 'outline'\ntemperature: 0.7\n---\n"
        "Outline a post about {{topic}}.\n",
        "utf-8",
    )
    (folder / "plain.md").write_text("Just a prompt, no front matter.", "utf-8")
    summary = library.imports.run(folder)
    assert (summary.source, summary.imported) == ("md", 2)
    outline = library.prompts.get("Blog outline")
    assert (outline.folder, outline.tags, outline.temperature) == (
        "writing/blog",
        ("writing", "outline"),
        0.7,
    )
    assert outline.content == "Outline a post about {{topic}}.\n"
    assert library.prompts.get("plain").content == "Just a prompt, no front matter."


def test_bad_mappings_are_refused_before_anything_is_read(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "prompts.csv"
    source.write_text("act,prompt\nOne,first\n", "utf-8")
    before = library.db.table_counts()
    with pytest.raises(TransferError, match="map: 'nmae' is not a prompt field"):
        library.imports.run(source, mapping={"nmae": "act"})
    with pytest.raises(TransferError, match="has no column 'title' \\(columns: act, prompt\\)"):
        library.imports.run(source, mapping={"name": "title"})
    other = tmp_path / "other.csv"
    other.write_text("who,what\nOne,first\n", "utf-8")
    with pytest.raises(TransferError, match="no column for name .*--map name=COLUMN"):
        library.imports.run(other)
    with pytest.raises(TransferError, match="cannot tell the format"):
        library.imports.run(tmp_path / "prompts.txt")
    assert library.db.table_counts() == before


def test_preview_suggests_the_mapping(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "prompts.csv"
    source.write_text("act,prompt,notes\nOne,first,x\n", "utf-8")
    preview = library.imports.preview(source)
    assert (preview.format, preview.columns, preview.rows) == ("csv", ("act", "prompt", "notes"), 1)
    assert preview.mapping == {"name": "act", "content": "prompt"}


def test_whitespace_is_stripped_as_python_strips_it(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "prompts.jsonl"
    source.write_text(
        json.dumps({"name": "\tTabbed\u00a0", "content": "x", "phase": " \n", "tags": "a;\tb"})
        + "\n",
        "utf-8",
    )
    library.imports.run(source)
    prompt = library.prompts.get("Tabbed")
    assert (prompt.phase, prompt.tags) == (None, ("a", "b"))
    blank = tmp_path / "blank.jsonl"
    blank.write_text(json.dumps({"name": "Blank", "content": "\n\t\u3000"}) + "\n", "utf-8")
    with pytest.raises(ImportRejected, match="line 1: content: must not be empty"):
        library.imports.run(blank)
