"""Restore a backup into an empty team library (DuckLake): how a file library becomes a
team library. The whole restore is one transaction under the lake's write lock: the lake is
checked to be empty, every table is loaded from its Parquet file, and each table's row
checksum is compared with the manifest's before the commit; any failure leaves the lake as
it was. No audit entry: the restored library is the backed-up one, row for row."""

from __future__ import annotations

from pathlib import Path

import duckdb

from storage.db.clock import Clock, utc_now
from storage.db.lake import DuckLake
from storage.db.paths import data_home
from storage.db.rollups import rebuild
from storage.db.schema import APP_VERSION, SCHEMA_VERSION
from storage.errors import BackupError
from storage.transfer.backup import BackupProgress, ProgressCallback
from storage.transfer.checksum import quoted, row_checksum
from storage.transfer.manifest import Manifest, library_tables, parquet_source, verify_backup

# What a new lake holds before anything is saved in it: these do not make it "not empty".
_SEEDED = ("config", "schema_migrations")


def restore_into_lake(
    folder: str | Path,
    where: str,
    *,
    lake_data: str | None = None,
    clock: Clock = utc_now,
    progress: ProgressCallback | None = None,
) -> Manifest:
    """Verify `folder`, then load it into the team library `where` (created if new),
    which must hold nothing yet."""
    folder = Path(folder).expanduser()
    manifest = verify_backup(folder, checksums=False)  # the loaded rows are checked below
    lake = DuckLake(where, data=lake_data, home=data_home(), clock=clock)
    lake.open()
    try:
        with lake.write() as con:
            _refuse_used(con, lake.label)
            for table in library_tables(con):
                con.execute(f"DELETE FROM {quoted(table)}")
            for done, (table, entry) in enumerate(manifest.tables.items(), 1):
                path = folder / entry.file
                try:
                    con.execute(
                        f"INSERT INTO {quoted(table)} BY NAME SELECT * FROM {parquet_source(path)}"
                    )
                except duckdb.Error as error:
                    first = lake.spec.redact(str(error)).splitlines()[0]
                    raise BackupError(f"{path}: cannot restore: {first}", file=str(path)) from error
                rows, checksum = row_checksum(
                    con, quoted(table), entry.key, manifest.checksum_algorithm
                )
                same = manifest.schema_version == SCHEMA_VERSION
                if rows != entry.rows or (same and checksum != entry.checksum):
                    raise BackupError(
                        f"{lake.label}: table {table} restored {rows} rows whose checksum "
                        f"differs from the manifest's ({entry.rows} rows); nothing was written",
                        file=str(path),
                    )
                if progress is not None:
                    progress(BackupProgress(table, entry.rows, done, len(manifest.tables)))
            if manifest.schema_version < SCHEMA_VERSION:
                rebuild(con)  # a backup older than the rollups has none
                con.execute(
                    "INSERT INTO schema_migrations SELECT v, ?, ? FROM range(?, ?) t(v)",
                    [APP_VERSION, clock(), manifest.schema_version + 1, SCHEMA_VERSION + 1],
                )
    finally:
        lake.close()
    return manifest


def _refuse_used(con: duckdb.DuckDBPyConnection, label: str) -> None:
    for table in library_tables(con):
        if table in _SEEDED:
            continue
        found = con.execute(f"SELECT count(*) FROM {quoted(table)}").fetchone()
        if found and found[0]:
            raise BackupError(
                f"{label}: already holds {table}; restore into an empty team library "
                "(a new PostgreSQL database)",
                file=label,
            )
