"""LibraryCore: the file, its short-lived connections, transactions, audit and references."""

from __future__ import annotations

import getpass
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage import rows
from storage.clock import Clock, utc_now
from storage.connection import connect
from storage.embedding import EmbeddingProvider
from storage.errors import AmbiguousReference, NotFound, PromptdeckError, SchemaError
from storage.ids import IdFactory, uuid7
from storage.models import Prompt, PromptVersion, Resolved, short_id
from storage.schema import ensure_schema, library_version, refuse_newer

_ID_PART = re.compile(r"^[0-9a-f-]{6,36}$")
TABLES: tuple[str, ...] = (
    "prompts",
    "prompt_versions",
    "prompt_labels",
    "prompt_embeddings",
    "relationships",
    "enhancement_history",
    "generations",
    "usage_events",
    "feedback",
    "context",
    "tags",
    "import_sessions",
    "audit_log",
    "config",
    "prices",
    "lifecycle_runs",
    "schema_migrations",
)


class LibraryCore:
    """Connections are opened per action and closed after it, so that another process (the CLI
    beside an open TUI) can take the file between actions; a held lock is waited for briefly."""

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
        embedder: EmbeddingProvider | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.clock = clock
        self.new_id = new_id
        self.actor = actor or _user()
        self.lock_timeout = lock_timeout
        self.read_only = read_only
        self.linger = linger
        self.embedder = embedder  # when set, saved prompts are embedded after each save
        self._opened = False
        self._shared: duckdb.DuckDBPyConnection | None = None
        self._shared_users = 0
        self._shared_lock = threading.Lock()
        self._release_timer: threading.Timer | None = None

    # -- life cycle -------------------------------------------------------------------------

    def open(self) -> Self:
        """Create the file if needed and bring its schema to this version."""
        if self.read_only:
            if not self.path.is_file():
                raise PromptdeckError(f"{self.path}: no such library", file=str(self.path))
            with self._connection() as con:
                version = library_version(con)
            if version is None:
                raise SchemaError(f"{self.path}: not a promptdeck library", file=str(self.path))
            refuse_newer(version, str(self.path))
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as con:
                ensure_schema(con, str(self.path), self.clock())
        self._opened = True
        return self

    def close(self) -> None:
        self._opened = False
        with self._shared_lock:
            self._release_shared()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.path.stem

    # -- connections ------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one action. With `linger`, an interactive app keeps the file open
        (and its cache warm) through a burst of actions, and lets it go after `linger` idle
        seconds so that other processes can take it; each action gets its own cursor."""
        if self.linger <= 0:
            con = connect(self.path, read_only=self.read_only, lock_timeout=self.lock_timeout)
            try:
                yield con
            finally:
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
            self._shared_users += 1
            cursor = self._shared.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._shared_lock:
                self._shared_users -= 1
                if self._shared_users == 0:
                    self._release_timer = threading.Timer(self.linger, self._release_when_idle)
                    self._release_timer.daemon = True
                    self._release_timer.start()

    def _release_when_idle(self) -> None:
        with self._shared_lock:
            if self._shared_users == 0:
                self._release_shared()

    def _release_shared(self) -> None:
        """Close the lingering connection (caller holds _shared_lock)."""
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self._require_open()
        with self._connection() as con:
            yield con

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction per user action: everything inside commits together or not at all."""
        self._require_open()
        if self.read_only:
            raise PromptdeckError(f"{self.path}: library is open read-only", file=str(self.path))
        with self._connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _require_open(self) -> None:
        if not self._opened:
            raise PromptdeckError(f"{self.path}: library is not open", file=str(self.path))

    def _audit(
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
            [self.clock(), self.actor, action, entity, _json(before), _json(after)],
        )

    # -- references -------------------------------------------------------------------------

    def _prompt_by_id(self, con: duckdb.DuckDBPyConnection, prompt_id: str) -> Prompt | None:
        row = con.execute(
            f"SELECT {rows.select_list(rows.PROMPT_COLUMNS)} FROM prompts WHERE id = ?", [prompt_id]
        ).fetchone()
        return rows.prompt(row) if row else None

    def _resolve(self, con: duckdb.DuckDBPyConnection, ref: str) -> Resolved:
        """A prompt by exact id, exact name, or a unique start or end of its id.
        `REF@label` or `REF@N` pins a version (`REF@latest` is the current one)."""
        found = self._find(con, ref)
        if found is not None:
            return Resolved(found)
        base, at, pin = ref.rpartition("@")
        if at and base:
            found = self._find(con, base)
            if found is not None:
                return Resolved(found, self._pinned_version(con, found, pin))
        raise NotFound(f"no prompt matches {ref!r}")

    def _find(self, con: duckdb.DuckDBPyConnection, ref: str) -> Prompt | None:
        ref = ref.strip()
        if not ref:
            raise NotFound("no prompt matches an empty reference")
        by_id = self._prompt_by_id(con, ref)
        if by_id is not None:
            return by_id
        named = con.execute(
            "SELECT id, archived_at IS NOT NULL FROM prompts WHERE name = ? ORDER BY 2, id", [ref]
        ).fetchall()
        live = [row[0] for row in named if not row[1]]
        candidates = live or [row[0] for row in named]
        if len(candidates) > 1:
            raise AmbiguousReference(
                f"{ref!r} names {len(candidates)} prompts "
                f"({', '.join(short_id(c) for c in candidates[:5])}); use an id"
            )
        if candidates:
            return self._prompt_by_id(con, candidates[0])
        if _ID_PART.match(ref):
            # UUID v7 ids start with their timestamp, so the short form people copy is the end.
            ids = con.execute(
                "SELECT id FROM prompts WHERE starts_with(id, ?) OR ends_with(id, ?) "
                "ORDER BY id LIMIT 6",
                [ref, ref],
            ).fetchall()
            if len(ids) > 1:
                raise AmbiguousReference(
                    f"id part {ref!r} matches {len(ids)}{'+' if len(ids) > 5 else ''} prompts; "
                    "type more of it"
                )
            if ids:
                return self._prompt_by_id(con, ids[0][0])
        return None

    def _pinned_version(
        self, con: duckdb.DuckDBPyConnection, prompt: Prompt, pin: str
    ) -> PromptVersion:
        if pin == "latest":
            number = prompt.current_version
        elif pin.isdigit():
            number = int(pin)
        else:
            row = con.execute(
                "SELECT version FROM prompt_labels WHERE prompt_id = ? AND label = ?",
                [prompt.id, pin],
            ).fetchone()
            if row is None:
                raise NotFound(f"prompt {prompt.name!r} has no label {pin!r}")
            number = row[0]
        return self._version(con, prompt, number)

    def _version(
        self, con: duckdb.DuckDBPyConnection, prompt: Prompt, number: int
    ) -> PromptVersion:
        row = con.execute(
            f"SELECT {rows.select_list(rows.VERSION_COLUMNS)} FROM prompt_versions "
            "WHERE prompt_id = ? AND version = ?",
            [prompt.id, number],
        ).fetchone()
        if row is None:
            raise NotFound(
                f"prompt {prompt.name!r} has no version {number} "
                f"(versions 1..{prompt.current_version})"
            )
        return rows.version(row)

    def resolve(self, ref: str) -> Resolved:
        with self._read() as con:
            return self._resolve(con, ref)

    def get(self, ref: str) -> Prompt:
        return self.resolve(ref).prompt

    # -- whole-library helpers -------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        """Rows per table: what tests compare to prove that bad input changed nothing."""
        with self._read() as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]

    def bulk_insert(self, tables: dict[str, pa.Table]) -> dict[str, int]:
        """Append Arrow tables (columns named as in schema.sql) in one transaction."""
        counts: dict[str, int] = {}
        with self._write() as con:
            for table, data in tables.items():
                if table not in TABLES:
                    raise PromptdeckError(f"{table}: not a library table")
                con.register("_bulk", data)
                columns = ", ".join(f'"{c}"' for c in data.column_names)
                con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _bulk")
                con.unregister("_bulk")
                counts[table] = data.num_rows
            self._audit(con, "bulk_insert", "library", after=counts)
        return counts


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
