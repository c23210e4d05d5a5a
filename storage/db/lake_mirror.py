"""A team library's search tables, copied into a local DuckDB file in the user cache dir.

The fts extension cannot write its BM25 index into a lake, and an in-memory vector matrix
reloaded over the network per process is slow; so search reads a local mirror of the tables it
ranks (prompts, their vectors, their ratings), a `DuckDBFile` with promptdeck's schema, where
the text index is built and kept exactly as on a library file. `refresh()` brings the mirror to
the lake's latest snapshot: it asks DuckLake's change feed (`ducklake_table_changes`) which
keys changed since the snapshot the mirror holds, and copies only those rows, as they are at
the new snapshot. A mirror of another lake (a catalog recreated under the same name), one that
is missing, or a change feed that cannot answer (snapshots expired) means a full copy.
The mirror is a cache: deleting it costs one full copy, and nothing is ever written back."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.db.duckdb_file import DuckDBFile
from storage.errors import SchemaError

if TYPE_CHECKING:
    from storage.db.lake import DuckLake

# The tables search reads, each with the column its change feed is keyed by.
MIRRORED: dict[str, str] = {"prompts": "id", "prompt_embeddings": "prompt_id", "feedback": "id"}
_STATE = "lake_mirror"  # (lake, snapshot): which lake the copy is of, and as of when
_IDENTITY = "SELECT snapshot_time::VARCHAR FROM ducklake_snapshots('lake') WHERE snapshot_id = 0"


@dataclass(frozen=True, slots=True)
class Refresh:
    snapshot: int  # the lake's snapshot the mirror now holds
    rows: int  # rows copied (changed, added or removed) by this refresh
    full: bool  # everything was copied (a new or foreign mirror, or no change feed)


class LakeMirror:
    def __init__(self, lake: DuckLake, folder: Path, *, linger: float) -> None:
        self._lake = lake
        self.local = DuckDBFile(
            folder / "search.duckdb",
            clock=lake.clock,
            new_id=lake.new_id,
            actor=lake.actor,
            lock_timeout=lake.lock_timeout,
            linger=linger,
            interactive=lake.interactive,
            background=lake.background,
        )
        self._identity: str | None = None  # the lake's first snapshot time, read once
        self._refreshing = threading.Lock()  # one refresh at a time per process

    def open(self) -> None:
        try:
            self.local.open()
        except SchemaError:  # a mirror written by another promptdeck: it is only a cache
            self.local.close()
            self.local.path.unlink(missing_ok=True)
            self.local.open()
        with self.local.write() as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {_STATE} (lake VARCHAR, snapshot BIGINT)")

    def close(self) -> None:
        self.local.close()

    def refresh(self) -> Refresh:
        """Copy what changed in the lake since the mirror's snapshot (nothing: one query)."""
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> Refresh:
        with self.local.read() as local:
            held = local.execute(f"SELECT lake, snapshot FROM {_STATE}").fetchone()
        with self._lake.read() as lake:
            found = lake.execute("SELECT id FROM lake.current_snapshot()").fetchone()
            now = int(found[0]) if found else 0
            if self._identity is None:
                found = lake.execute(_IDENTITY).fetchone()
                self._identity = str(found[0]) if found else ""
            if held == (self._identity, now):
                return Refresh(now, 0, False)
            keys = None
            if held is not None and held[0] == self._identity and held[1] < now:
                keys = _changed_keys(lake, int(held[1]) + 1, now)
            copied = {
                t: _rows_at(lake, t, now, None if keys is None else keys[t])
                for t in MIRRORED
                if keys is None or keys[t]
            }
        with self.local.write() as local:
            if local.execute(f"SELECT lake, snapshot FROM {_STATE}").fetchone() != held:
                return Refresh(now, 0, False)  # another process brought it up meanwhile
            for table, rows in copied.items():
                if keys is None:
                    local.execute(f"DELETE FROM {table}")
                else:
                    _delete_keys(local, table, MIRRORED[table], keys[table])
                local.register("_copied", rows)
                local.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _copied")
                local.unregister("_copied")
            local.execute(f"DELETE FROM {_STATE}")
            local.execute(f"INSERT INTO {_STATE} VALUES (?, ?)", [self._identity, now])
        if keys is None:
            return Refresh(now, sum(t.num_rows for t in copied.values()), True)
        return Refresh(now, sum(len(k) for k in keys.values()), False)


def _changed_keys(
    lake: duckdb.DuckDBPyConnection, start: int, end: int
) -> dict[str, list[str]] | None:
    """The keys of each mirrored table's rows inserted, updated or deleted in snapshots
    start..end; None when the change feed cannot say (then everything is copied)."""
    try:
        return {
            table: [
                str(row[0])
                for row in lake.execute(
                    f"SELECT DISTINCT {key} FROM ducklake_table_changes('lake', 'main', ?, ?, ?)",
                    [table, start, end],
                ).fetchall()
            ]
            for table, key in MIRRORED.items()
        }
    except duckdb.Error:
        return None


def _rows_at(
    lake: duckdb.DuckDBPyConnection, table: str, snapshot: int, keys: list[str] | None
) -> pa.Table:
    """The table's rows as of `snapshot` (those with one of `keys`, when given)."""
    select = f"SELECT * FROM {table} AT (VERSION => {int(snapshot)})"
    if keys is None:
        return lake.execute(select).to_arrow_table()
    lake.register("_keys", pa.table({"k": pa.array(keys, pa.string())}))
    try:
        return lake.execute(
            f"{select} WHERE {MIRRORED[table]} IN (SELECT k FROM _keys)"
        ).to_arrow_table()
    finally:
        lake.unregister("_keys")


def _delete_keys(local: duckdb.DuckDBPyConnection, table: str, key: str, keys: list[str]) -> None:
    local.register("_keys", pa.table({"k": pa.array(keys, pa.string())}))
    local.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT k FROM _keys)")
    local.unregister("_keys")
