"""Import: a csv, json, jsonl, markdown or Parquet file into the library in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from storage.db import rollups
from storage.db.database import Database
from storage.errors import ImportRejected, TransferError
from storage.models import SNAPSHOT_FIELDS, Record
from storage.transfer.bulk_ids import new_ids
from storage.transfer.cleaning import IMPORT_FIELDS, clean_batch
from storage.transfer.mapping import parse_pairs, resolve_columns
from storage.transfer.readers import Source, detect_format, read_source

# Column names taken for a field when no --map names one (compared case-insensitively).
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "act", "title"),
    "content": ("content", "prompt", "text", "body", "template"),
    "format_type": ("format_type", "format"),
}
_FIELD_NAMES = {"format": "format_type"}


@dataclass(frozen=True, slots=True)
class ImportPreview(Record):
    """What an import of `file` would read: its format, columns, rows and column mapping."""

    file: str
    format: str
    columns: tuple[str, ...]
    rows: int
    mapping: dict[str, str]  # field -> column


@dataclass(frozen=True, slots=True)
class ImportSummary(Record):
    """One import_sessions row: what was imported, and skipped as duplicate content."""

    session_id: str
    source: str
    file: str
    imported: int
    skipped: int
    rejected: int
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()


def parse_mapping(pairs: Mapping[str, str] | list[str] | tuple[str, ...]) -> dict[str, str]:
    """`["name=act", "content=prompt"]` (or a dict) as {field: column}; fields are checked."""
    return parse_pairs(pairs, IMPORT_FIELDS, "prompt", _FIELD_NAMES)


def resolve_mapping(
    columns: tuple[str, ...], explicit: Mapping[str, str], file: str
) -> dict[str, str]:
    """Explicit pairs, then each remaining field from a column named like it."""
    return resolve_columns(columns, explicit, file, IMPORT_FIELDS, _ALIASES)


class ImportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def preview(
        self, path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None
    ) -> ImportPreview:
        """Read a file (nothing is written) and say how its columns would be mapped."""
        source = _read(Path(path).expanduser(), fmt)
        resolved = resolve_mapping(source.columns, parse_mapping(mapping or {}), str(path))
        return ImportPreview(
            str(source.path), source.format, source.columns, source.table.num_rows, resolved
        )

    def run(
        self, path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None
    ) -> ImportSummary:
        """Import every row as a prompt (version 1, source_type 'import'), or nothing at all.

        `mapping` is {field: column}; other fields come from columns named like them. Content
        identical to a live prompt's, or to an earlier row's, is skipped and counted. One
        invalid row rejects the whole file with ImportRejected (its line and the reason)."""
        path = Path(path).expanduser()
        con = duckdb.connect()
        try:
            source = _read(path, fmt, con)
            resolved = resolve_mapping(source.columns, parse_mapping(mapping or {}), str(path))
            for needed in ("name", "content"):
                if needed not in resolved:
                    raise TransferError(
                        f"{path}: no column for {needed} (columns: {', '.join(source.columns)}); "
                        f"name one with --map {needed}=COLUMN",
                        file=str(path),
                    )
            kinds = {f: source.kinds[c] for f, c in resolved.items() if c in source.kinds}
            cleaned, rejected, first, reason = clean_batch(con, source.table, resolved, kinds)
        finally:
            con.close()
        if rejected:
            assert first is not None
            number, where = source.locate(int(first))
            more = f" ({rejected} rows rejected)" if rejected > 1 else ""
            raise ImportRejected(
                f"{path}: {where}: {reason}; nothing imported{more}",
                file=str(path),
                row=number,
                rejected=rejected,
            )
        ignored = tuple(c for c in source.columns if c not in resolved.values())
        return self._insert_batch(source, cleaned, resolved, ignored)

    def _insert_batch(
        self,
        source: Source,
        cleaned: pa.Table,
        mapping: dict[str, str],
        ignored: tuple[str, ...],
    ) -> ImportSummary:
        for tx in self._db.write_attempts("import"):
            with tx as con:
                started = self._db.clock()
                con.register("_batch", cleaned)
                # The rows to import, in file order: the first with each content, unless a live
                # prompt already has it. They are taken out of the batch in Arrow, with their ids.
                fresh = con.execute(
                    "SELECT _row FROM _batch b WHERE NOT EXISTS (SELECT 1 FROM prompts p "
                    "WHERE p.content_hash = b.content_hash AND p.archived_at IS NULL) "
                    "QUALIFY row_number() OVER (PARTITION BY content_hash ORDER BY _row) = 1 "
                    "ORDER BY _row"
                ).to_arrow_table()
                con.unregister("_batch")
                positions = pc.index_in(fresh.column("_row"), value_set=cleaned.column("_row"))
                new = cleaned.take(positions)
                imported = new.num_rows
                con.register("_new", new.append_column("id", new_ids(self._db.new_id, imported)))
                columns = ", ".join(IMPORT_FIELDS)
                con.execute(
                    f"INSERT INTO prompts (id, {columns}, content_hash, source_type, "
                    "current_version, created_at, updated_at) "
                    f"SELECT id, {columns}, content_hash, 'import', 1, $now, $now FROM _new",
                    {"now": started},
                )
                rollups.regroup(con, "id IN (SELECT id FROM _new)", [], sign=1, history=False)
                rollups.authored(con, started, created=imported)
                snapshot = ", ".join(f"'{f}', {f}" for f in SNAPSHOT_FIELDS if f != "metadata")
                con.execute(
                    "INSERT INTO prompt_versions (prompt_id, version, name, content, content_hash, "
                    '"metadata", change_message, created_at) '
                    f"SELECT id, 1, name, content, content_hash, "
                    f"json_object({snapshot}, 'metadata', metadata::JSON), $message, $now "
                    "FROM _new",
                    {"now": started, "message": f"imported from {source.path.name}"},
                )
                con.unregister("_new")
                summary = ImportSummary(
                    session_id=self._db.new_id(),
                    source=source.format,
                    file=str(source.path),
                    imported=imported,
                    skipped=cleaned.num_rows - imported,
                    rejected=0,
                    mapping=mapping,
                    ignored_columns=ignored,
                )
                record_session(self._db, con, summary, started, "import")
        return summary


def record_session(
    db: Database,
    con: duckdb.DuckDBPyConnection,
    summary: ImportSummary,
    started: datetime,
    action: str,
) -> None:
    """The import_sessions row and the audit entry of an import, in its transaction."""
    con.execute(
        "INSERT INTO import_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            summary.session_id,
            summary.source,
            summary.file,
            summary.imported,
            summary.skipped,
            summary.rejected,
            started,
            db.clock(),
        ],
    )
    db.audit(
        con,
        action,
        f"import:{summary.session_id}",
        after={k: v for k, v in summary.to_dict().items() if k != "session_id"},
    )


def _read(path: Path, fmt: str | None, con: duckdb.DuckDBPyConnection | None = None) -> Source:
    fmt = detect_format(path, fmt)
    if con is not None:
        return read_source(con, path, fmt)
    own = duckdb.connect()
    try:
        return read_source(own, path, fmt)
    finally:
        own.close()
