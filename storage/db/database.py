"""The seam between the services and where the tables live.

Services receive a `Database` and never learn what is behind it: a DuckDB file
(`DuckDBFile`) or a team library on DuckLake (`DuckLake`, lake.py). Every action
gets a connection (`read`) or a transaction (`write`); `audit` writes the audit row inside it."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from storage.db.background import Background
from storage.db.clock import Clock
from storage.db.ids import IdFactory
from storage.db.write_journal import Declared

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

# Every table of schema.sql, in the order a bulk load may fill them.
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
    "runs",
    "eval_cases",
    "rubrics",
    "eval_runs",
    "eval_results",
    "analysis_results",
    "rollup_daily",
    "rollup_prompt_daily",
    "rollup_prompt_totals",
    "rollup_group_daily",
    "rollup_group_prompts",
    "rollup_latency_daily",
    "rollup_authored_daily",
    "schema_migrations",
)
# The key of a table that declares none in schema.sql (kept unique by its writer).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "prompt_embeddings": ("prompt_id", "model"),
    "rollup_daily": ("day", "kind", "actor", "provider", "model"),
    "rollup_prompt_daily": ("day", "prompt_id"),  # prompt_key follows from prompt_id
    "rollup_prompt_totals": ("prompt_id",),
    "rollup_group_daily": ("day", "dim", "key"),
    "rollup_group_prompts": ("dim", "key"),
    "rollup_latency_daily": ("day", "provider", "model", "measure", "ms"),  # series follows
    "rollup_authored_daily": ("day",),
}

Rows = tuple[list[str], list[tuple[Any, ...]]]


class Database(Protocol):
    path: Path
    clock: Clock
    new_id: IdFactory
    actor: str
    read_only: bool
    lock_timeout: float
    created: bool  # open() made a new library where there was no file
    conflicts_retried: int  # actions run again after a write conflict (a lake's; a file: 0)
    background: Background  # which threads' reads give way to the screen in front

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str:
        """What messages, the audit log and backups call the library (never a secret)."""
        ...

    @property
    def interactive(self) -> bool:
        """Held open through bursts of actions (the TUI): worth caching rows in memory."""
        ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def write(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """One transaction, tried once: everything inside commits together or not at all."""
        ...

    def write_attempts(
        self, action: str
    ) -> Iterator[AbstractContextManager[duckdb.DuckDBPyConnection]]:
        """A user action's transaction, run again whole if its commit loses a conflict with
        another client (storage/db/retry.py): `for attempt in ...: with tx as con:`."""
        ...

    def burst(self) -> AbstractContextManager[None]:
        """Hold the library open through a long run of transactions, made cheap together."""
        ...

    def release(self) -> None:
        """Let other processes have the file now if nothing of ours is using it."""
        ...

    def audit(
        self,
        con: duckdb.DuckDBPyConnection,
        action: str,
        entity: str,
        before: Any = None,
        after: Any = None,
    ) -> None: ...

    def audit_select(self, con: duckdb.DuckDBPyConnection, select: str, params: list[Any]) -> None:
        """Audit log rows from a query of (ts, actor, action, entity, before, after)."""
        ...

    def change_stamp(self) -> tuple[int, ...]:
        """Changes whenever a transaction commits: caches compare it to know they are stale."""
        ...

    def declare_changed(
        self, prompt_ids: Iterable[str], *, feedback: bool = False, embedded: Iterable[str] = ()
    ) -> None:
        """Inside a write: the transaction adds or changes these prompts and no others,
        deletes none, writes feedback only if `feedback`, and stores or replaces the vectors
        of the prompts `embedded` and no others (a write that declares nothing may have
        changed anything)."""
        ...

    def changed_since(self, stamp: tuple[int, ...] | None) -> Declared | None:
        """What this process's writes declared since the change stamp was `stamp`, when they
        alone moved it; None when anything else may have (another process, a write that
        declared nothing): then every prompt and the feedback must be compared."""
        ...

    def query(self, sql: str, limit: int = 10_000) -> Rows:
        """A read-only query that can write nothing and reach no file."""
        ...

    def table_counts(self) -> dict[str, int]: ...

    def bulk_insert(self, tables: dict[str, pa.Table]) -> dict[str, int]: ...


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def user_name() -> str:
    """Who acts when nobody says: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
