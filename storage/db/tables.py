"""Whole-library actions every Database does the same way, through its own read and write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.db import rollups
from storage.db.database import TABLES, Database
from storage.errors import PromptdeckError

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table: what tests compare to prove that bad input changed nothing."""
    with db.read() as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


def bulk_insert(db: Database, data: dict[str, pa.Table]) -> dict[str, int]:
    """Append Arrow tables (columns named as in schema.sql) in one transaction; the rollups
    are rebuilt when prompts, versions or events were among them."""
    counts: dict[str, int] = {}
    with db.write() as con:
        for table, rows in data.items():
            if table not in TABLES:
                raise PromptdeckError(f"{table}: not a library table")
            con.register("_bulk", rows)
            columns = ", ".join(f'"{c}"' for c in rows.column_names)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _bulk")
            con.unregister("_bulk")
            counts[table] = rows.num_rows
        if counts.keys() & rollups.SOURCES:
            rollups.rebuild(con)  # as fast as adding millions of events one key at a time
        db.audit(con, "bulk_insert", "library", after=counts)
    return counts
