"""Export: the prompts a filter selects, as Parquet, JSONL, CSV or one markdown file each."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.db.database import Database
from storage.errors import TransferError
from storage.models import EXPORT_FORMATS, PromptFilter, Record, short_id
from storage.prompts.filters import filter_sql
from storage.transfer import frontmatter
from storage.transfer.cleaning import IMPORT_FIELDS
from storage.transfer.staging import staged_folder

# What an export holds: every field an import reads back, then where the prompt came from.
EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    *IMPORT_FIELDS,
    "source_type",
    "parent_id",
    "current_version",
    "usage_count",
    "created_at",
    "updated_at",
    "archived_at",
)
_SUFFIX = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
# Per format, how the in-memory copy is written: JSON stays an object in JSONL; in CSV the
# tags become a JSON array (a tag may hold ';'), which import reads back as a list.
_COPY = {
    "parquet": ("* REPLACE (metadata::JSON AS metadata)", "FORMAT parquet, COMPRESSION zstd"),
    "jsonl": ("* REPLACE (metadata::JSON AS metadata)", "FORMAT json"),
    "csv": ("* REPLACE (to_json(tags)::VARCHAR AS tags)", "FORMAT csv, HEADER true"),
}
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class ExportResult(Record):
    path: str
    format: str
    prompts: int


def export_format(path: Path, given: str | None) -> str:
    if given:
        if given not in EXPORT_FORMATS:
            raise TransferError(
                f"format: must be one of {', '.join(EXPORT_FORMATS)} (got {given!r})"
            )
        return given
    found = _SUFFIX.get(path.suffix.lower())
    if found is None:
        raise TransferError(
            f"{path}: cannot tell the format from the name; give --format "
            f"{'|'.join(EXPORT_FORMATS)}",
            file=str(path),
        )
    return found


class ExportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(
        self, path: str | Path, fmt: str | None = None, where: PromptFilter = PromptFilter()
    ) -> ExportResult:
        """Write the prompts `where` selects (oldest first) to `path`, which must not exist
        (for md: a folder, new or empty). Parquet and JSONL exports import back losslessly."""
        target = Path(path).expanduser()
        fmt = export_format(target, fmt)
        if target.exists() and not (fmt == "md" and target.is_dir() and not any(target.iterdir())):
            raise TransferError(f"{target}: already exists; export to a new path", file=str(target))
        clause, params = filter_sql(where)
        columns = ", ".join(f'p."{c}"' for c in EXPORT_COLUMNS)
        with self._db.read() as con:
            table = con.execute(
                f"SELECT {columns} FROM prompts p WHERE {clause} ORDER BY p.created_at, p.id",
                params,
            ).to_arrow_table()
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "md":
            _write_markdown(table, target)
        else:
            _write_file(table, target, fmt)
        return ExportResult(str(target), fmt, table.num_rows)


def _write_file(table: pa.Table, target: Path, fmt: str) -> None:
    """Written beside the target and renamed: an interrupted export leaves no partial file."""
    select, options = _COPY[fmt]
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    work = Path(name)
    try:
        con = duckdb.connect()
        try:
            con.register("_export", table)
            literal = "'" + str(work).replace("'", "''") + "'"
            # the work file is already the temporary one: no second one from DuckDB
            copy = (
                f"COPY (SELECT {select} FROM _export) TO {literal} ({options}, USE_TMP_FILE false)"
            )
            con.execute(copy)
        except duckdb.Error as error:  # a full disk, say
            first = str(error).splitlines()[0]
            raise TransferError(f"{target}: cannot write: {first}", file=str(target)) from error
        finally:
            con.close()
        work.rename(target)
    except BaseException:
        work.unlink(missing_ok=True)
        raise


def _write_markdown(table: pa.Table, target: Path) -> None:
    with staged_folder(target) as work:
        for row in table.to_pylist():
            file = _markdown_file(work, target, row)
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(frontmatter.render(_front(row), row["content"]), encoding="utf-8")


def _markdown_file(work: Path, target: Path, row: dict[str, Any]) -> Path:
    """work/<folder>/<slug>-<short id>.md, refused unless it lies inside `work`: saves refuse
    such folders, but a library written before they did may hold one."""
    file: Path = work / row["folder"] / f"{_slug(row['name'])}-{short_id(row['id'])}.md"
    if not file.resolve().is_relative_to(work.resolve()):
        raise TransferError(
            f"{target}: prompt {row['name']!r} ({short_id(row['id'])}): folder "
            f"{row['folder']!r} leads outside the export folder; nothing exported",
            field="folder",
            file=str(target),
        )
    return file


def _front(row: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if k != "content"}
    values["metadata"] = json.loads(row["metadata"]) if row["metadata"] else {}
    for key in ("created_at", "updated_at", "archived_at"):
        if values[key] is not None:
            values[key] = values[key].isoformat(sep=" ")
    return values


def _slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:60].strip("-") or "prompt"
