"""Restore: a verified backup into a new library file, written beside it, renamed at the end
(or into an empty team library: restore_lake.py)."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import duckdb

from storage.db.clock import Clock, utc_now
from storage.db.connection import connect
from storage.db.lake_spec import is_lake
from storage.db.rollups import rebuild
from storage.db.schema import APP_VERSION, SCHEMA_VERSION, ensure_schema
from storage.errors import BackupError
from storage.transfer.backup import BackupProgress, ProgressCallback
from storage.transfer.checksum import quoted, row_checksum
from storage.transfer.manifest import (
    Manifest,
    TableEntry,
    library_tables,
    parquet_source,
    schema_sequences,
    verify_backup,
)

LANES = 2  # tables loaded at once


def restore_backup(
    folder: str | Path,
    target: str | Path,
    *,
    clock: Clock = utc_now,
    progress: ProgressCallback | None = None,
    lake_data: str | None = None,
) -> Manifest:
    """Verify `folder`, then restore it into the new library file `target` (refused if it
    exists), or into an empty team library (`ducklake:postgres:...`: restore_lake.py, its
    data folder `lake_data` when it is new). The rows are loaded into a hidden file beside
    `target`, a table at a time, their checksums are compared with the manifest's, and only
    then is the file renamed to `target`: the hidden file, not a transaction, is what makes a
    failed restore leave nothing behind. A restore adds no audit entry: the restored library
    is the backed-up one, row for row."""
    if isinstance(target, str) and is_lake(target):
        from storage.transfer.restore_lake import restore_into_lake  # the lake's extensions

        return restore_into_lake(
            folder, target, lake_data=lake_data, clock=clock, progress=progress
        )
    folder = Path(folder).expanduser()
    target = Path(target).expanduser()
    _refuse_existing(target)
    manifest = verify_backup(folder, checksums=False)  # the loaded rows are checked below
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    _remove(work)
    try:
        con = connect(work)
        try:
            _create_sequences(con, folder, manifest)
            ensure_schema(con, str(target), clock())
            _load(con, folder, manifest, target, progress)
            if manifest.schema_version < SCHEMA_VERSION:
                rebuild(con)  # a backup older than the rollups has none
                con.execute(
                    "INSERT INTO schema_migrations SELECT v, ?, ? FROM range(?, ?) t(v)",
                    [APP_VERSION, clock(), manifest.schema_version + 1, SCHEMA_VERSION + 1],
                )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _move_into_place(work, target)
    except BaseException:
        _remove(work)
        raise
    return manifest


def _load(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    manifest: Manifest,
    target: Path,
    progress: ProgressCallback | None,
) -> None:
    tables = library_tables(con)  # verify_backup's check_tables refused any other table
    for table in tables:  # a new library holds its default config and schema versions
        con.execute(f"DELETE FROM {quoted(table)}")
    same_schema = manifest.schema_version == SCHEMA_VERSION
    algorithm = manifest.checksum_algorithm
    checks: list[tuple[str, TableEntry, Future[tuple[int, str]]]] = []
    # A table is read back and hashed as soon as its lane has committed it.
    with (
        closing(_load_in_lanes(con, folder, manifest)) as loaded,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="restore-check") as hashing,
    ):
        reader = con.cursor()
        try:
            for done, (table, entry) in enumerate(loaded, 1):
                check = hashing.submit(row_checksum, reader, quoted(table), entry.key, algorithm)
                checks.append((table, entry, check))
                if progress is not None:
                    progress(BackupProgress(table, entry.rows, done, len(manifest.tables)))
            for table, entry, check in checks:
                rows, checksum = check.result()
                if rows != entry.rows or (same_schema and checksum != entry.checksum):
                    raise BackupError(
                        f"{target}: table {table} restored {rows} rows whose checksum differs "
                        f"from the manifest's ({entry.rows} rows); nothing was written",
                        file=str(folder / entry.file),
                    )
        finally:
            for _, _, check in checks:
                check.cancel()
            hashing.shutdown(wait=True)
            reader.close()


def _load_in_lanes(
    con: duckdb.DuckDBPyConnection, folder: Path, manifest: Manifest
) -> Generator[tuple[str, TableEntry], None, None]:
    """Load the tables in LANES threads, each with its own cursor, committing a table at a
    time (one DuckDB insert runs on about one core); the largest files go first and a free lane
    takes the next. Yields each table once it is committed; the first error stops the lanes."""
    waiting: queue.SimpleQueue[tuple[str, TableEntry]] = queue.SimpleQueue()
    for table, entry in sorted(manifest.tables.items(), key=lambda item: -item[1].bytes):
        waiting.put((table, entry))
    loaded: queue.SimpleQueue[tuple[str, TableEntry] | BaseException] = queue.SimpleQueue()
    stop = threading.Event()

    def lane(cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            while not stop.is_set():
                try:
                    table, entry = waiting.get_nowait()
                except queue.Empty:
                    return
                _insert(cursor, table, folder / entry.file)
                loaded.put((table, entry))
        except BaseException as error:  # handed to the caller's thread
            loaded.put(error)
        finally:
            cursor.close()

    lanes = [
        threading.Thread(target=lane, args=(con.cursor(),), name=f"restore-{n}")
        for n in range(LANES)
    ]
    for thread in lanes:
        thread.start()
    try:
        for _ in manifest.tables:
            item = loaded.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for thread in lanes:
            thread.join()


def _insert(cursor: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    try:
        cursor.execute(f"INSERT INTO {quoted(table)} BY NAME SELECT * FROM {parquet_source(path)}")
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise BackupError(f"{path}: cannot restore: {first}", file=str(path)) from error


def _create_sequences(con: duckdb.DuckDBPyConnection, folder: Path, manifest: Manifest) -> None:
    """Each sequence of the schema, created before the schema (whose CREATE SEQUENCE IF NOT
    EXISTS then keeps it) to start one past the largest value the rows to load hold in the
    columns it fills (audit_log.id), or at 1. Not from manifest.sequences: a wrong value there
    made every later write clash, or the restore count for hours; and a DuckDB sequence
    cannot be moved once a column uses it."""
    starts: dict[str, tuple[int, Path]] = {}
    for sequence, table, column in schema_sequences():
        entry = manifest.tables.get(table)
        if entry is not None:
            path = folder / entry.file
            after = _one_past_max(con, path, column)
            if after > starts.get(sequence, (1, path))[0]:
                starts[sequence] = (after, path)
    for sequence, (start, path) in starts.items():
        try:
            con.execute(f"CREATE SEQUENCE {quoted(sequence)} START WITH {start}")
        except duckdb.Error as error:
            first = str(error).splitlines()[0]
            raise BackupError(f"{path}: cannot restore: {first}", file=str(path)) from error


def _one_past_max(con: duckdb.DuckDBPyConnection, path: Path, column: str) -> int:
    try:
        top = con.execute(f"SELECT max({quoted(column)}) FROM {parquet_source(path)}").fetchone()
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise BackupError(f"{path}: cannot restore: {first}", file=str(path)) from error
    return int(top[0]) + 1 if top and top[0] is not None else 1


def _refuse_existing(target: Path) -> None:
    if target.exists() or target.with_name(target.name + ".wal").exists():
        raise BackupError(
            f"{target}: already exists; restore writes a new library, choose a path that "
            "does not exist",
            file=str(target),
        )


def _move_into_place(work: Path, target: Path) -> None:
    """A hard link fails if `target` appeared meanwhile; rename where links are not possible."""
    try:
        os.link(work, target)
    except FileExistsError as error:
        raise BackupError(f"{target}: already exists", file=str(target)) from error
    except OSError:
        _refuse_existing(target)
        work.rename(target)
        return
    work.unlink()


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
