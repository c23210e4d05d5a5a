"""Export: filters as in `list`, every format, and exports that import back losslessly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library, PromptFilter
from storage.errors import TransferError
from storage.models import EDITABLE_FIELDS


def _fields(library: Library) -> dict[str, dict[str, object]]:
    """Every live prompt's editable fields, by content (ids differ between libraries)."""
    prompts = [library.prompts.get(p.id) for p in library.prompts.list_prompts()]
    return {p.content: p.editable() for p in prompts}


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("parquet", "out.parquet"), ("jsonl", "out.jsonl"), ("csv", "out.csv"), ("md", "out")],
)
def test_an_export_imports_back_losslessly(
    sample_library: Library,
    new_library: Callable[..., Library],
    tmp_path: Path,
    fmt: str,
    name: str,
) -> None:
    target = tmp_path / name
    result = sample_library.exports.write(target, fmt)
    assert result.prompts == sample_library.prompts.count_prompts()
    fresh = new_library(tmp_path / "fresh.duckdb")
    summary = fresh.imports.run(target)
    assert (summary.imported, summary.skipped) == (result.prompts, 0)
    assert _fields(fresh) == _fields(sample_library)
    assert set(EDITABLE_FIELDS) <= set(next(iter(_fields(fresh).values())))


def test_export_takes_the_filters_of_list(sample_library: Library, tmp_path: Path) -> None:
    where = PromptFilter(folder="writing")
    result = sample_library.exports.write(tmp_path / "writing.parquet", where=where)
    names = pq.read_table(tmp_path / "writing.parquet").column("name").to_pylist()
    assert sorted(names) == sorted(p.name for p in sample_library.prompts.list_prompts(where))
    assert result.prompts == len(names) > 0
    archived = sample_library.exports.write(
        tmp_path / "archived.jsonl", where=PromptFilter(archived=True)
    )
    lines = (tmp_path / "archived.jsonl").read_text("utf-8").splitlines()
    assert archived.prompts == len(lines) == 1
    assert json.loads(lines[0])["archived_at"] is not None


def test_markdown_export_is_one_file_per_prompt_with_front_matter(
    sample_library: Library, tmp_path: Path
) -> None:
    result = sample_library.exports.write(tmp_path / "md", "md")
    files = sorted((tmp_path / "md").rglob("*.md"))
    assert len(files) == result.prompts
    text = files[0].read_text("utf-8")
    assert text.startswith('---\nid: "')
    assert '\nname: "' in text and "\ntags: [" in text


def test_export_never_overwrites(sample_library: Library, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("mine", "utf-8")
    with pytest.raises(TransferError, match="already exists; export to a new path"):
        sample_library.exports.write(target)
    assert target.read_text("utf-8") == "mine"
    with pytest.raises(TransferError, match="cannot tell the format"):
        sample_library.exports.write(tmp_path / "out.txt")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("out", "."))) == [
        "out.csv"
    ]
