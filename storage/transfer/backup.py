"""Backup: every table of the library to Parquet, from one snapshot, plus manifest.json."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import platformdirs

from storage.core import LibraryCore
from storage.errors import BackupError
from storage.paths import APP_NAME
from storage.schema import APP_VERSION, library_version
from storage.transfer.checksum import row_checksum
from storage.transfer.manifest import Manifest, TableEntry, iso_now, library_tables, sha256_of

_NEXTVAL = re.compile(r"nextval\('([^']+)'")


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


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class BackupMixin(LibraryCore):
    def backup(self, folder: str | Path, *, progress: ProgressCallback | None = None) -> Manifest:
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
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            with self._read() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    manifest = self._snapshot(con, work, progress)
                finally:
                    con.execute("ROLLBACK")  # nothing was written: just end the snapshot
            manifest.write(work)
            if target.exists():
                target.rmdir()
            work.rename(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return manifest

    def _snapshot(
        self, con: duckdb.DuckDBPyConnection, work: Path, progress: ProgressCallback | None
    ) -> Manifest:
        tables = library_tables(con)
        entries: dict[str, TableEntry] = {}
        for done, table in enumerate(tables, 1):
            path = work / f"{table}.parquet"
            con.execute(
                f"COPY (SELECT * FROM {quoted(table)} ORDER BY {_sort_key(con, table)}) "
                f"TO {sql_path(path)} (FORMAT parquet, COMPRESSION zstd)"
            )
            rows, checksum = row_checksum(con, quoted(table))
            entries[table] = TableEntry(
                rows, path.name, sha256_of(path), checksum, path.stat().st_size
            )
            if progress is not None:
                progress(BackupProgress(table, rows, done, len(tables)))
        return Manifest(
            app_version=APP_VERSION,
            schema_version=library_version(con) or 0,
            created_at=iso_now(self.clock()),
            library=str(self.path),
            tables=entries,
            sequences=_next_values(con),
        )


def _next_values(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per sequence, the value it hands out next: one past the largest value in the columns it
    fills (audit_log.id). Computed from the rows, so a restored library records the same."""
    found = con.execute(
        "SELECT table_name, column_name, column_default FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "AND column_default LIKE 'nextval(%'"
    ).fetchall()
    values: dict[str, int] = {}
    for table, column, default in found:
        match = _NEXTVAL.search(default)
        if match:
            top = con.execute(f"SELECT max({quoted(column)}) FROM {quoted(table)}").fetchone()
            after = int(top[0]) + 1 if top and top[0] is not None else 1
            values[match.group(1)] = max(values.get(match.group(1), 1), after)
    return values


def _sort_key(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The primary key (so that the same rows give the same file), else every column."""
    found = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? "
        "AND schema_name = 'main' AND database_name = current_database() "
        "AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchone()
    return ", ".join(quoted(c) for c in found[0]) if found else "ALL"
