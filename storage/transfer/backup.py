"""Backup: every table of the library to Parquet, from one snapshot, plus manifest.json."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import platformdirs
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from storage.db.database import ROW_KEYS, Database
from storage.db.paths import APP_NAME
from storage.db.schema import APP_VERSION, TABLE_ADDED_IN, library_version
from storage.errors import BackupError, SchemaError
from storage.transfer.checksum import arrow_checksum, quoted, sorted_rows
from storage.transfer.manifest import (
    Manifest,
    TableEntry,
    iso_now,
    library_tables,
    schema_tables,
    sequence_columns,
    sha256_of,
)
from storage.transfer.staging import staged_folder


@dataclass(frozen=True, slots=True)
class BackupProgress:
    """Reported after each table is written: `done` of `total` tables."""

    table: str
    rows: int
    done: int
    total: int


ProgressCallback = Callable[[BackupProgress], None]


def default_backup_folder(library_name: str, now: datetime) -> Path:
    """A dated folder under the platform's user data dir: .../promptdeck/backups/NAME-STAMP."""
    base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "backups"
    return base / f"{library_name}-{now:%Y%m%d-%H%M%S}"


class BackupService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, folder: str | Path, *, progress: ProgressCallback | None = None) -> Manifest:
        """Write every table to `folder` (new, or empty) as Parquet plus manifest.json.

        All tables come from one read transaction, so they agree even while the library is in
        use. Files are written into a hidden folder beside `folder` and renamed at the end:
        an interrupted backup leaves nothing that looks like a backup."""
        target = Path(folder).expanduser()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise BackupError(
                f"{target}: already exists and is not empty; back up into a new folder",
                file=str(target),
            )
        with staged_folder(target) as work, self._db.read() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                manifest = self._snapshot(con, work, progress)
            finally:
                con.execute("ROLLBACK")  # nothing was written: just end the snapshot
            manifest.write(work)
        return manifest

    def _snapshot(
        self, con: duckdb.DuckDBPyConnection, work: Path, progress: ProgressCallback | None
    ) -> Manifest:
        """Read each table (in the caller's transaction) while two threads checksum and write
        the tables already read: DuckDB, Arrow, hashlib and zstd release the GIL."""
        tables = library_tables(con)
        self._refuse_missing_tables(con, tables)
        entries: dict[str, TableEntry] = {}
        pending: list[_Pending] = []

        def report(wait: bool) -> None:
            while pending and (wait or pending[0].done()):
                done = pending.pop(0)
                entries[done.table] = done.entry()
                if progress is not None:
                    progress(BackupProgress(done.table, done.rows, len(entries), len(tables)))

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="backup") as pool:
            for table in tables:
                key = primary_key(con, table)
                rows = sorted_rows(
                    con.execute(f"SELECT * FROM {quoted(table)}").to_arrow_table(), key
                )
                path = work / f"{table}.parquet"
                checksum = pool.submit(arrow_checksum, rows, key)
                written = pool.submit(write_parquet, rows, path)
                pending.append(_Pending(table, rows.num_rows, key, path, checksum, written))
                report(wait=False)
            report(wait=True)
        return Manifest(
            app_version=APP_VERSION,
            schema_version=library_version(con) or 0,
            created_at=iso_now(self._db.clock()),
            library=self._db.label,
            tables=entries,
            sequences=_next_values(con),
        )

    def _refuse_missing_tables(self, con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
        """A library lacking a table of its schema version makes a backup restore refuses."""
        version = library_version(con) or 0
        missing = [
            t for t in schema_tables() if TABLE_ADDED_IN.get(t, 1) <= version and t not in tables
        ]
        if missing:
            path = self._db.label
            raise SchemaError(
                f"{path}: damaged library: table {missing[0]!r} is missing "
                f"(schema version {version} has it); a backup of it could not be restored",
                file=path,
            )


@dataclass(frozen=True, slots=True)
class _Pending:
    """A table read from the snapshot whose checksum and Parquet file are being made."""

    table: str
    rows: int
    key: tuple[str, ...]
    path: Path
    checksum: Future[str]
    written: Future[str]  # the file's sha256

    def done(self) -> bool:
        return self.checksum.done() and self.written.done()

    def entry(self) -> TableEntry:
        sha256 = self.written.result()
        checksum = self.checksum.result()
        size = self.path.stat().st_size
        return TableEntry(self.rows, self.path.name, sha256, checksum, size, self.key)


def write_parquet(rows: pa.Table, path: Path) -> str:
    """Write `rows` to `path` and return the file's sha256. Text is dictionary-encoded and
    zstd-compressed; lists of floats (embeddings), which neither shrinks, are stored plain and
    without statistics, which is most of the time saved."""
    plain = {f.name for f in rows.schema if _is_float_list(f.type)}
    others = [name for name in rows.column_names if name not in plain]
    pq.write_table(
        rows,
        path,
        compression={
            **dict.fromkeys(others, "zstd"),
            **{f"{n}.list.element": "none" for n in plain},
        },
        use_dictionary=[f.name for f in rows.schema if pa.types.is_string(f.type)],
        write_statistics=others,
    )
    return sha256_of(path)


def _is_float_list(kind: pa.DataType) -> bool:
    return bool(pa.types.is_list(kind) and pa.types.is_floating(kind.value_type))


def _next_values(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per sequence, the value it hands out next: one past the largest value in the columns it
    fills (audit_log.id). Computed from the rows, as a restore computes it again."""
    values: dict[str, int] = {}
    for sequence, table, column in sequence_columns(con):
        top = con.execute(f"SELECT max({quoted(column)}) FROM {quoted(table)}").fetchone()
        after = int(top[0]) + 1 if top and top[0] is not None else 1
        values[sequence] = max(values.get(sequence, 1), after)
    return values


def primary_key(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, ...]:
    """The primary key columns of `table` (or its declared ROW_KEYS): files are written, and
    checksums computed, in its order, so that the same rows always give the same file and
    checksum."""
    if table in ROW_KEYS:
        return ROW_KEYS[table]
    found = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? "
        "AND schema_name = 'main' AND database_name = current_database() "
        "AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchone()
    if not found:
        raise BackupError(f"table {table} has no primary key, so its rows have no order to back up")
    return tuple(found[0])
