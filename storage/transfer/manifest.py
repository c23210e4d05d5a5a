"""manifest.json of a backup folder, and verifying a folder against it."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from storage.db.schema import SCHEMA_VERSION, schema_sql
from storage.errors import BackupError
from storage.transfer.checksum import ALGORITHM, ALGORITHMS, LEGACY_ALGORITHM, row_checksum

MANIFEST = "manifest.json"
FORMAT = "promptdeck-backup"
_NEXTVAL = re.compile(r"nextval\('([^']+)'")


@dataclass(frozen=True, slots=True)
class TableEntry:
    """One table of a backup: its Parquet file, rows, file sha256 and row checksum, and the
    key its rows are sorted by (in the file and for the checksum)."""

    rows: int
    file: str
    sha256: str
    checksum: str
    bytes: int
    key: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Manifest:
    app_version: str
    schema_version: int
    created_at: str  # ISO 8601, UTC
    library: str  # the file backed up
    tables: dict[str, TableEntry]
    # The value each sequence hands out next (audit_log_seq), as the backup found it. A
    # restore works it out again from the rows it loads: this copy is not trusted.
    sequences: dict[str, int]
    checksum_algorithm: str = ALGORITHM  # how the row checksums were computed (checksum.py)
    format: str = FORMAT

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def size(self) -> int:
        return sum(t.bytes for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, folder: Path) -> None:
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        (folder / MANIFEST).write_text(text, encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not folder.is_dir():
            raise BackupError(f"{folder}: no such backup folder", file=str(folder))
        if not path.is_file():
            raise BackupError(f"{path}: missing; not a promptdeck backup", file=str(path))
        try:
            data = _object("manifest", json.loads(path.read_text(encoding="utf-8")))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {FORMAT!r}")
            # Backups made before checksums were named used md5 row text, and had no keys.
            algorithm = data.get("checksum_algorithm", LEGACY_ALGORITHM)
            algorithm = _text("checksum_algorithm", algorithm)
            if algorithm not in ALGORITHMS:
                raise BackupError(
                    f"{path}: row checksum algorithm {algorithm!r} is unknown to this promptdeck "
                    f"(knows {', '.join(ALGORITHMS)}); upgrade promptdeck to verify it",
                    file=str(path),
                )
            tables = _object("tables", data["tables"])
            sequences = _object("sequences", data["sequences"])
            return cls(
                app_version=_text("app_version", data["app_version"]),
                schema_version=_whole("schema_version", data["schema_version"], low=1),
                created_at=_text("created_at", data["created_at"]),
                library=_text("library", data["library"]),
                tables={name: _entry(name, raw, algorithm) for name, raw in tables.items()},
                sequences={k: _whole(f"sequences: {k}", v) for k, v in sequences.items()},
                checksum_algorithm=algorithm,
            )
        except (ValueError, KeyError) as error:
            raise BackupError(f"{path}: unreadable manifest: {error}", file=str(path)) from error


# Each field is checked for its JSON type: a wrong one is a line naming it, not a traceback later.
def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _object(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object (got {_shown(value)})")
    return value


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text (got {_shown(value)})")
    return value


def _whole(where: str, value: Any, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        floor = "" if low is None else f" >= {low}"
        raise ValueError(f"{where} must be a whole number{floor} (got {_shown(value)})")
    return value


def _entry(table: str, raw: Any, algorithm: str) -> TableEntry:
    where = f"tables: {table}"
    fields = _object(where, raw)
    key = fields.get("key", [])
    if not isinstance(key, list) or not all(isinstance(column, str) for column in key):
        raise ValueError(f"{where}: key must be a list of column names (got {_shown(key)})")
    if algorithm != LEGACY_ALGORITHM and not key:
        raise ValueError(f"table {table} has no key")
    return TableEntry(
        rows=_whole(f"{where}: rows", fields["rows"], low=0),
        file=_text(f"{where}: file", fields["file"]),
        sha256=_text(f"{where}: sha256", fields["sha256"]),
        checksum=_text(f"{where}: checksum", fields["checksum"]),
        bytes=_whole(f"{where}: bytes", fields["bytes"], low=0),
        key=tuple(key),
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def schema_tables() -> list[str]:
    """The tables this promptdeck's schema.sql creates (what a current backup must hold)."""
    con = duckdb.connect()
    try:
        con.execute(schema_sql())
        return library_tables(con)
    finally:
        con.close()


def schema_sequences() -> list[tuple[str, str, str]]:
    """sequence_columns of this promptdeck's schema.sql."""
    con = duckdb.connect()
    try:
        con.execute(schema_sql())
        return sequence_columns(con)
    finally:
        con.close()


def sequence_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(sequence, table, column) for each column a sequence fills (audit_log_seq: audit_log.id)."""
    found = con.execute(
        "SELECT table_name, column_name, column_default FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "AND column_default LIKE 'nextval(%' ORDER BY ALL"
    ).fetchall()
    return [
        (match.group(1), table, column)
        for table, column, default in found
        if (match := _NEXTVAL.search(default))
    ]


def library_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table of the main schema (views, such as the mart ones, are not data)."""
    found = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY 1"
    ).fetchall()
    return [row[0] for row in found]


def verify_backup(folder: str | Path, *, checksums: bool = True) -> Manifest:
    """Check a backup folder: manifest, schema version, every table present, every file's
    sha256, rows and (unless `checksums` is False) row checksum. Raises BackupError naming the
    first file that is wrong. Restore checks the row checksums of the tables it loaded
    instead: the sha256 already proves each file is the one the backup wrote."""
    folder = Path(folder).expanduser()
    manifest = Manifest.read(folder)
    where = folder / MANIFEST
    if manifest.schema_version > SCHEMA_VERSION:
        raise BackupError(
            f"{where}: schema version {manifest.schema_version} is newer than this promptdeck "
            f"(supports up to {SCHEMA_VERSION}); upgrade promptdeck to restore it",
            file=str(where),
        )
    if manifest.schema_version == SCHEMA_VERSION:
        missing = [t for t in schema_tables() if t not in manifest.tables]
        if missing:
            raise BackupError(
                f"{where}: table {missing[0]!r} is missing from the manifest "
                f"(schema version {SCHEMA_VERSION} has it)",
                file=str(where),
            )
    con = duckdb.connect()
    try:
        for table, entry in manifest.tables.items():
            _verify_table(con, folder, table, entry, manifest.checksum_algorithm, checksums)
    finally:
        con.close()
    return manifest


def _verify_table(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    table: str,
    entry: TableEntry,
    algorithm: str,
    checksums: bool,
) -> None:
    path = folder / entry.file
    if Path(entry.file).name != entry.file:
        where = str(folder / MANIFEST)
        raise BackupError(f"{where}: {table}: bad file name {entry.file!r}", file=where)
    if not path.is_file():
        raise BackupError(f"{path}: missing (table {table})", file=str(path))
    if sha256_of(path) != entry.sha256:
        raise BackupError(
            f"{path}: sha256 differs from the manifest: the file is corrupted or was changed",
            file=str(path),
        )
    try:
        if checksums:
            rows, checksum = row_checksum(con, parquet_source(path), entry.key, algorithm)
        else:
            found = con.execute(f"SELECT count(*) FROM {parquet_source(path)}").fetchone()
            rows, checksum = (int(found[0]) if found else 0), entry.checksum
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise BackupError(f"{path}: unreadable Parquet: {first}", file=str(path)) from error
    if rows != entry.rows:
        raise BackupError(
            f"{path}: {rows} rows, the manifest says {entry.rows}", file=str(path), row=rows
        )
    if checksum != entry.checksum:
        raise BackupError(f"{path}: row checksum differs from the manifest", file=str(path))


def parquet_source(path: Path) -> str:
    """One Parquet file as it is: a folder on its path named like `date=2026-12-02` is not
    a Hive partition (DuckDB would add its column to every row)."""
    literal = "'" + str(path).replace("'", "''") + "'"
    return f"read_parquet({literal}, hive_partitioning = false)"


def iso_now(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
