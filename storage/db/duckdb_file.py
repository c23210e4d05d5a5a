"""DuckDBFile: the library as one DuckDB file, opened per action so that several processes
(the CLI beside an open TUI) can share it; a held lock is waited for briefly."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from storage.db import tables
from storage.db.background import Background
from storage.db.clock import Clock, utc_now
from storage.db.connection import connect
from storage.db.database import Rows, to_json, user_name
from storage.db.ids import IdFactory, uuid7
from storage.db.schema import ensure_schema, library_version, refuse_foreign, refuse_newer
from storage.db.write_journal import Declared, WriteJournal
from storage.errors import PromptdeckError, QueryError, SchemaError, ValidationError

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

BURST_CHECKPOINT = "1GB"  # the log a burst may grow before DuckDB checkpoints on its own
# DuckDB's memory while an app keeps the file open (its cache of the file's blocks grows to
# 80% of RAM by default: 1.2 GB after one browse session at 1M prompts, on top of the search
# caches' 0.5 GB); what needs more spills to disk.
LINGERING_MEMORY_LIMIT = "768MB"


class DuckDBFile:
    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        new_id: IdFactory = uuid7,
        actor: str | None = None,
        lock_timeout: float = 5.0,
        read_only: bool = False,
        linger: float = 0.0,
        interactive: bool | None = None,
        background: Background | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.clock = clock
        self.new_id = new_id
        self.actor = actor or user_name()
        self.lock_timeout = _seconds("lock_timeout", lock_timeout)
        self.read_only = read_only
        self.linger = linger
        self._interactive = linger > 0 if interactive is None else interactive
        self.created = False  # open() made the file: it was not there before
        self.conflicts_retried = 0  # nobody else writes between our lock and our commit
        self._opened = False
        self._shared: duckdb.DuckDBPyConnection | None = None
        self._shared_users = 0
        self._shared_uses = 0  # actions that took the lingering connection, ever
        self._shared_lock = threading.Lock()
        self._open_close = threading.Lock()  # a one-shot connection opening or closing
        # Write transactions of this process take turns: two at once (the TUI's workers: two
        # runs recorded side by side, a save while an embedding batch is stored) would
        # otherwise make DuckDB refuse the second with "Conflict on update".
        self._write_turn = threading.RLock()
        self._journal = WriteJournal()
        self._declared: Declared | None = None  # what the write in progress declared
        self._release_timer: threading.Timer | None = None
        # (A lake's local mirror shares the lake's: a job stepping aside does on both.)
        self.background = background or Background()

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def interactive(self) -> bool:
        return self._interactive

    # -- life cycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Create the file if needed (then `created` is True) and bring its schema to this
        version. A DuckDB file of somebody else's tables is refused and left as it was."""
        try:
            self._open()
        except BaseException:
            self.close()  # a refused file is not held open by a lingering connection
            raise
        self._opened = True

    def _open(self) -> None:
        if self.read_only:
            if not self.path.is_file():
                raise PromptdeckError(f"{self.path}: no such library", file=str(self.path))
            with self._typed_errors(), self._connection() as con:
                refuse_foreign(con, str(self.path))
                version = library_version(con)
            if version is None:
                raise SchemaError(f"{self.path}: not a promptdeck library", file=str(self.path))
            refuse_newer(version, str(self.path))
        else:
            existed = self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._typed_errors(), self._connection() as con:
                ensure_schema(con, str(self.path), self.clock())
            self.created = not existed

    def close(self) -> None:
        self._opened = False
        with self._shared_lock:
            self._release_shared()

    # -- connections ------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one action. With `linger`, an interactive app keeps the file open
        (and its cache warm) through a burst of actions, and lets it go after `linger` idle
        seconds so that other processes can take it; each action gets its own cursor."""
        if self.linger <= 0:
            # Threads take turns to open and close: DuckDB refuses to open a file while
            # another thread of the process is closing it ("Unique file handle conflict").
            with self._open_close:
                con = connect(self.path, read_only=self.read_only, lock_timeout=self.lock_timeout)
            try:
                yield con
            finally:
                with self._open_close:
                    con.close()
            return
        with self._shared_lock:
            if self._release_timer is not None:
                self._release_timer.cancel()
                self._release_timer = None
            if self._shared is None:
                self._shared = connect(
                    self.path, read_only=self.read_only, lock_timeout=self.lock_timeout
                )
                # Set, not given as config: DuckDB refuses a second connection to the file in
                # this process (a one-shot action's) whose config differs.
                self._shared.execute(f"SET memory_limit = '{LINGERING_MEMORY_LIMIT}'")
            self._shared_users += 1
            self._shared_uses += 1
            cursor = self._shared.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._shared_lock:
                self._shared_users -= 1
                if self._shared_users == 0:
                    self._start_release_timer()

    def _start_release_timer(self) -> None:
        """Close after `linger` idle seconds (caller holds _shared_lock)."""
        self._release_timer = threading.Timer(self.linger, self._release_when_idle)
        self._release_timer.daemon = True
        self._release_timer.start()

    def _release_when_idle(self) -> None:
        """Close the idle lingering connection. What the writes left in DuckDB's log is
        checkpointed first, on a cursor and with no lock held: actions go on meanwhile (reads
        alongside, writes after it). Closing checkpoints under the lock, which held the next
        keystroke 1-2 s after an edit at 1M prompts; after this it has nothing to write."""
        with self._shared_lock:
            if self._release_timer is not threading.current_thread():
                return  # superseded: used since, and a newer timer runs
            self._release_timer = None
            if self._shared_users or self._shared is None:
                return
            self._shared_users += 1
            uses = self._shared_uses
            cursor = self._shared.cursor()
        try:
            if not self.read_only:
                with (
                    self._write_turn,
                    suppress(duckdb.Error),  # a write runs: closing checkpoints
                    self._journal.watched(self.change_stamp, Declared),
                ):
                    cursor.execute("CHECKPOINT")
        finally:
            cursor.close()
            with self._shared_lock:
                self._shared_users -= 1
                if self._shared_users == 0 and self._release_timer is None:
                    if self._shared_uses == uses:
                        self._release_shared()
                    else:  # used meanwhile: idle from now
                        self._start_release_timer()

    def _release_shared(self) -> None:
        """Close the lingering connection (caller holds _shared_lock)."""
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        if self._shared is not None:
            with self._journal.watched(self.change_stamp, Declared):  # no action of ours runs
                self._shared.close()
            self._shared = None

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._require_open()
        with self._typed_errors(), self._connection() as con, self.background.watching(con):
            yield con

    def write_attempts(
        self, action: str
    ) -> Iterator[AbstractContextManager[duckdb.DuckDBPyConnection]]:
        """One attempt: a process's writes to a file take turns, nobody else writes it."""
        yield self.write()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._require_open()
        if self.read_only:
            raise PromptdeckError(f"{self.path}: library is open read-only", file=str(self.path))
        with self._write_turn, self._typed_errors(), self._connection() as con:
            self._declared, committed = None, False
            with self._journal.watched(
                self.change_stamp, lambda: self._declared if committed else None
            ):
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    with suppress(duckdb.Error):  # a failed commit or a broken file rolled back
                        con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                committed = True

    def declare_changed(
        self, prompt_ids: Iterable[str], *, feedback: bool = False, embedded: Iterable[str] = ()
    ) -> None:
        declared = Declared(frozenset(prompt_ids), feedback, frozenset(embedded))
        self._declared = declared if self._declared is None else self._declared | declared

    def changed_since(self, stamp: tuple[int, ...] | None) -> Declared | None:
        return self._journal.changed_since(stamp, self.change_stamp())

    @contextmanager
    def _typed_errors(self) -> Iterator[None]:
        """A DuckDB error escaping an action (a dropped table, a corrupt page, a full disk on
        COMMIT) becomes a typed error naming the file, with DuckDB's first line."""
        try:
            yield
        except duckdb.Error as error:
            raise typed_error(error, str(self.path)) from error

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Hold the file through a long run of transactions (an embedding run): one open
        database for all of them, and one checkpoint at the end instead of one per 16 MB of
        log, each of which rewrites the tables' indexes and so costs more as the library grows.
        (Connections of one process to one file share a database: while this one is held,
        closing the others checkpoints nothing.)"""
        self._require_open()
        with self._typed_errors(), self._connection() as held:
            if not self.read_only:
                held.execute(f"SET checkpoint_threshold = '{BURST_CHECKPOINT}'")
            try:
                yield
            finally:
                if not self.read_only:
                    held.execute("RESET checkpoint_threshold")
                    with (
                        self._write_turn,
                        suppress(duckdb.Error),  # another transaction runs: it checkpoints later
                        self._journal.watched(self.change_stamp, Declared),
                    ):
                        held.execute("CHECKPOINT")

    def release(self) -> None:
        """Let other processes have the file now, unless an action of ours is using it: a
        lingering connection closes at once instead of after `linger` idle seconds."""
        with self._shared_lock:
            if self._shared_users == 0:
                self._release_shared()

    def _require_open(self) -> None:
        if not self._opened:
            raise PromptdeckError(f"{self.path}: library is not open", file=str(self.path))

    def audit(
        self,
        con: duckdb.DuckDBPyConnection,
        action: str,
        entity: str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        con.execute(
            'INSERT INTO audit_log (ts, actor, action, entity, "before", "after") '
            "VALUES (?, ?, ?, ?, ?, ?)",
            [self.clock(), self.actor, action, entity, to_json(before), to_json(after)],
        )

    def audit_select(self, con: duckdb.DuckDBPyConnection, select: str, params: list[Any]) -> None:
        con.execute(
            f'INSERT INTO audit_log (ts, actor, action, entity, "before", "after") {select}',
            params,
        )

    def change_stamp(self) -> tuple[int, ...]:
        """A commit writes the WAL and a checkpoint the file: either changes their stat."""
        stamp: list[int] = []
        for name in (str(self.path), f"{self.path}.wal"):
            try:
                info = os.stat(name)
            except OSError:
                stamp += [0, 0]
            else:
                stamp += [info.st_mtime_ns, info.st_size]
        return self._journal.read(tuple(stamp))

    # -- whole-library actions --------------------------------------------------------------

    def query(self, sql: str, limit: int = 10_000) -> Rows:
        """Run a read-only query on its own read-only connection (no writes, no file access)."""
        self._require_open()
        # A lingering connection holds the file with another configuration, which DuckDB
        # refuses to mix in one process: wait until no action uses it, close it, and keep it
        # closed (other actions wait) until the query is done.
        while True:
            with self._shared_lock:
                if self._shared_users == 0:
                    self._release_shared()
                    return self._read_only_query(sql, limit)
            time.sleep(0.005)

    def _read_only_query(self, sql: str, limit: int) -> Rows:
        con = connect(self.path, read_only=True, lock_timeout=self.lock_timeout)
        try:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            result = con.execute(sql)
            if result is None:  # DuckDB returns None for text with no statement in it
                raise QueryError("sql: empty statement; give one SQL query", field="sql")
            if result.description is None:
                return [], []
            columns = [d[0] for d in result.description]
            return columns, result.fetchmany(limit)
        except duckdb.Error as error:
            raise QueryError(f"sql: {str(error).splitlines()[0]}") from error
        finally:
            con.close()

    def table_counts(self) -> dict[str, int]:
        return tables.table_counts(self)

    def bulk_insert(self, data: dict[str, pa.Table]) -> dict[str, int]:
        return tables.bulk_insert(self, data)


_DAMAGE = (
    duckdb.CatalogException,
    duckdb.BinderException,
    duckdb.IOException,
    duckdb.InternalException,
    duckdb.SerializationException,
)


def typed_error(error: duckdb.Error, path: str) -> PromptdeckError:
    """SchemaError when the file lacks what the schema has or cannot be read, else QueryError."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, _DAMAGE):
        return SchemaError(f"{path}: damaged library: {first}", file=path)
    return QueryError(f"{path}: {first}", file=path)


def _seconds(field: str, value: float) -> float:
    """A wait: NaN or infinity would wait forever, a negative one makes no sense."""
    if not math.isfinite(value) or value < 0:
        raise ValidationError(field, value, "must be a finite number of seconds, 0 or more")
    return value
