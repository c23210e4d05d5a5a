"""DuckLake: a team library whose catalog is a PostgreSQL database and whose rows are Parquet
files in a shared folder (or s3://). Many clients read and write it at once.

DuckLake has no PRIMARY KEY, UNIQUE, CHECK or sequences, and two transactions that insert
into one table both commit. So every write takes the lake's write lock first (a PostgreSQL
advisory lock, held by the transaction of a second cursor until the write ends): writers
from every client run one at a time, each starting from the snapshot the previous one left,
and the checks storage makes before it writes (a live prompt with the same content, the next
version number, a derivation cycle, the key of the row a label or price replaces) hold until
its commit. Audit ids are the next number under that lock. DuckLake retries a commit whose
catalog moved under it up to COMMIT_RETRIES times; an action whose commit changed rows another
client (writing without the lock) changed is run again whole (`write_attempts`, retry.py), and
after the last attempt reported in one line. Nothing here shows the
conninfo: see lake_spec."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from storage.db import retry, tables
from storage.db.background import Background
from storage.db.clock import Clock, utc_now
from storage.db.connection import load_extension
from storage.db.database import Rows, to_json, user_name
from storage.db.ids import IdFactory, uuid7
from storage.db.lake_query import isolated_query
from storage.db.lake_schema import lake_schema
from storage.db.lake_spec import LakeSpec, parse_lake
from storage.db.retry import RetryPolicy
from storage.db.schema import AFTER_SCHEMA, APP_VERSION, MIGRATIONS, SCHEMA_VERSION, schema_sql
from storage.db.schema import refuse_newer as refuse_newer_version
from storage.db.write_journal import Declared
from storage.errors import (
    LibraryLocked,
    PromptdeckError,
    QueryError,
    SchemaError,
    WriteConflict,
)

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

ALIAS = "lake"
LOCK = "lake_lock"  # the catalog database again, through the postgres extension
LOCK_KEY = 0x70726F6D70746B  # the advisory lock's number ("promptk"), one per catalog database
COMMIT_RETRIES = 10
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
}


class DuckLake:
    def __init__(
        self,
        where: str,
        *,
        data: str | None = None,
        home: Path,
        clock: Clock = utc_now,
        new_id: IdFactory = uuid7,
        actor: str | None = None,
        lock_timeout: float = 5.0,
        read_only: bool = False,
        interactive: bool = False,
        write_attempts: int = RetryPolicy.attempts,
    ) -> None:
        self.spec: LakeSpec = parse_lake(where)
        self.data = data
        # A local folder for what a library writes beside itself (exports, purged rows).
        self.path = home / "lakes" / f"{self.spec.name}-{self.spec.key[:8]}" / "library"
        self.clock = clock
        self.new_id = new_id
        self.actor = actor or user_name()
        self.lock_timeout = lock_timeout
        self.read_only = read_only
        self.created = False
        self.retry = RetryPolicy(write_attempts)
        self.conflicts_retried = 0
        self._interactive = interactive
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writing = threading.Lock()  # one writer per process; the advisory lock across
        self._idle: list[duckdb.DuckDBPyConnection] = []  # cursors that did USE lake, free
        self._pool_lock = threading.Lock()
        self.background = Background()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def interactive(self) -> bool:
        return self._interactive

    # -- life cycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Attach the lake (creating its tables on first use: then `created` is True)."""
        try:
            with self._typed_errors():
                self._con = self._attach(read_only=self.read_only)
                self._ensure_schema()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for cursor in idle:
            with suppress(duckdb.Error):
                cursor.close()
        if self._con is not None:
            with suppress(duckdb.Error):
                self._con.close()
            self._con = None

    def _attach(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config=_CONFIG)
        try:
            for extension in ("postgres_scanner", "ducklake"):
                if not load_extension(con, extension):
                    raise SchemaError(
                        f"{self.label}: the {extension} extension is not installed "
                        f"(pip install duckdb-extension-{extension.replace('_', '-')})",
                        file=self.label,
                    )
            options = ["READ_ONLY"] if read_only else []
            if self.data and not read_only:
                if self.data.startswith("s3://") and not load_extension(con, "httpfs"):
                    raise SchemaError(
                        f"{self.data}: an s3:// data folder needs the httpfs extension "
                        "(pip install duckdb-extension-httpfs)",
                        field="lake_data",
                    )
                options.append(f"DATA_PATH {_literal(self.data)}")
            attach = _literal("ducklake:postgres:" + self.spec.conninfo)
            con.execute(f"ATTACH {attach} AS {ALIAS} ({', '.join(options)})".replace(" ()", ""))
            if not read_only:
                con.execute(f"ATTACH {_literal(self.spec.conninfo)} AS {LOCK} (TYPE postgres)")
                con.execute(f"SET ducklake_max_retry_count = {COMMIT_RETRIES}")
            con.execute(f"USE {ALIAS}")
        except BaseException:
            con.close()
            raise
        return con

    def _ensure_schema(self) -> None:
        with self.read() as con:
            found = _version(con, self.label)
        if found is not None:
            refuse_newer_version(found, self.label)
        if found == SCHEMA_VERSION:
            return
        if self.read_only:
            raise SchemaError(f"{self.label}: not a promptdeck library", file=self.label)
        with self.write() as con:
            found = _version(con, self.label)  # another client may have created it meanwhile
            if found == SCHEMA_VERSION:
                return
            for version in range((found or 0) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(version, ()) if found else ():
                    con.execute(statement)
            for statement in lake_schema(schema_sql()).statements:
                con.execute(statement)
            for version in range((found or 0) + 1, SCHEMA_VERSION + 1):
                for statement in AFTER_SCHEMA.get(version, ()) if found else ():
                    con.execute(statement)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, APP_VERSION, self.clock()],
                )
        self.created = found is None

    # -- connections ------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise PromptdeckError(f"{self.label}: library is not open", file=self.label)
        cursor = self._con.cursor()
        cursor.execute(f"USE {ALIAS}")
        return cursor

    @contextmanager
    def _pooled(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the lake for one action: an idle one when there is one (its `USE` is a
        catalog round trip, paid once), kept for the next action when this one ends cleanly."""
        with self._pool_lock:
            cursor = self._idle.pop() if self._idle else None
        if cursor is None:
            cursor = self._cursor()
        try:
            yield cursor
        except BaseException:
            cursor.close()
            raise
        with self._pool_lock:
            self._idle.append(cursor)

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._typed_errors(), self._pooled() as cursor, self.background.watching(cursor):
            yield cursor

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise PromptdeckError(f"{self.label}: library is open read-only", file=self.label)
        with self._typed_errors(), self._writing, self._write_lock(), self._pooled() as cursor:
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield cursor
            except BaseException:
                with suppress(duckdb.Error):
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def write_attempts(
        self, action: str
    ) -> Iterator[AbstractContextManager[duckdb.DuckDBPyConnection]]:
        return retry.attempts(self.write, action, self.label, self.retry, self._retried)

    def _retried(self) -> None:
        self.conflicts_retried += 1

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Hold the lake's advisory lock (waiting up to lock_timeout) through one write."""
        if self._con is None:
            raise PromptdeckError(f"{self.label}: library is not open", file=self.label)
        holder = self._con.cursor()  # reaches the catalog database by name: no USE
        try:
            holder.execute("BEGIN TRANSACTION")
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.005
            while not _try_lock(holder):
                if time.monotonic() >= deadline:
                    raise LibraryLocked(self.label, None, self.lock_timeout)
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
            yield
        finally:
            with suppress(duckdb.Error):
                holder.execute("ROLLBACK")  # ends the PostgreSQL transaction: the lock goes
            holder.close()

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Nothing to hold: the lake stays attached while the library is open."""
        yield

    def release(self) -> None:
        """Nothing to let go: a lake has no file lock."""

    @contextmanager
    def _typed_errors(self) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as error:
            raise self.typed_error(error) from error

    def typed_error(self, error: duckdb.Error) -> PromptdeckError:
        text = self.spec.redact(str(error))
        first = next((line for line in text.splitlines() if line.strip()), type(error).__name__)
        if "conflict" in text.lower() and isinstance(error, duckdb.TransactionException):
            return WriteConflict(self.label)
        if "data_path is not set" in text:
            return SchemaError(
                f"{self.label}: a new team library needs a data folder: set "
                "PROMPTDECK_LAKE_DATA (a path or s3:// URL) or lake_data in the config file",
                field="lake_data",
            )
        if isinstance(error, duckdb.IOException | duckdb.CatalogException):
            return SchemaError(f"{self.label}: cannot use the team library: {first}")
        return QueryError(f"{self.label}: {first}", file=self.label)

    # -- what every library does ------------------------------------------------------------

    def audit(
        self,
        con: duckdb.DuckDBPyConnection,
        action: str,
        entity: str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        self.audit_select(
            con,
            "SELECT ?, ?, ?, ?, ?, ?",
            [self.clock(), self.actor, action, entity, to_json(before), to_json(after)],
        )

    def audit_select(self, con: duckdb.DuckDBPyConnection, select: str, params: list[Any]) -> None:
        """Audit rows (ts, actor, action, entity, before, after) numbered after the last one:
        no sequence on a lake, and the write lock keeps the numbers unique."""
        con.execute(
            'INSERT INTO audit_log (id, ts, actor, action, entity, "before", "after") '
            "SELECT (SELECT coalesce(max(id), 0) FROM audit_log) + row_number() OVER (), * "
            f"FROM ({select})",
            params,
        )

    def change_stamp(self) -> tuple[int, ...]:
        """The lake's latest snapshot: every commit, of any client, makes a new one."""
        with self.read() as con:
            row = con.execute(f"SELECT id FROM {ALIAS}.current_snapshot()").fetchone()
        return (int(row[0]) if row else 0,)

    def declare_changed(
        self, prompt_ids: Iterable[str], *, feedback: bool = False, embedded: Iterable[str] = ()
    ) -> None:
        """Other clients write the lake at any time: what ours declare tells nothing alone."""

    def changed_since(self, stamp: tuple[int, ...] | None) -> Declared | None:
        return None

    def query(self, sql: str, limit: int = 10_000) -> Rows:
        """A read-only query, run on a copy of the tables it reads in a database that never
        saw the conninfo and reaches no file (lake_query.py)."""
        return isolated_query(self.read, sql, limit)

    def table_counts(self) -> dict[str, int]:
        return tables.table_counts(self)

    def bulk_insert(self, data: dict[str, pa.Table]) -> dict[str, int]:
        return tables.bulk_insert(self, data)


def _try_lock(holder: duckdb.DuckDBPyConnection) -> bool:
    row = holder.execute(
        f"SELECT * FROM postgres_query('{LOCK}', 'SELECT pg_try_advisory_xact_lock({LOCK_KEY})')"
    ).fetchone()
    return bool(row and row[0])


def _version(con: duckdb.DuckDBPyConnection, label: str) -> int | None:
    """The schema version in the lake; None for an empty lake; a lake of other tables is
    refused."""
    with suppress(duckdb.CatalogException):  # first the quick way: a catalog scan costs
        found = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(found[0]) if found and found[0] is not None else None
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ?", [ALIAS])
    if row.fetchone() != (0,):
        raise SchemaError(f"{label}: holds tables but is not a promptdeck library", file=label)
    return None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
