"""prompt_table's columns of every prompt, held in memory beside the vector matrix, so that a
search returns its page of rows without a query (fetching even ten rows by id from DuckDB took
longer than ranking 100,000 vectors). The rating column is left empty here: ratings change
with feedback, not with prompts, and are cached on their own.

Each row keeps a hash of its columns; after a write, one query compares them with the file's
and only the rows that changed are fetched again. A one-shot process holds no rows: `fetch`
reads a page's. The only search module that builds Arrow tables (a CLI search imports none).
Arrow's `take` imports pyarrow.compute on first use (0.15-0.3 s), and `pa.array` of a numpy
array numpy.ma (25 ms): both are imported here, with the rows a held library loads in the
background, not by the first keystroke's search."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.ma  # noqa: F401
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute  # type: ignore[import-untyped]  # noqa: F401

from storage.prompts.filters import SUMMARY_SELECT

_RATINGS_JOIN = " LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id"
_RATING = "r.avg_rating AS rating"
if _RATINGS_JOIN not in SUMMARY_SELECT or _RATING not in SUMMARY_SELECT:
    raise RuntimeError("storage.prompts.filters.SUMMARY_SELECT changed: update storage.search.rows")
# prompt_table's select without the ratings (a NULL rating of the same type in their place).
ROWS_SELECT = SUMMARY_SELECT.replace(_RATINGS_JOIN, "").replace(
    _RATING, "CAST(NULL AS DOUBLE) AS rating"
)
HASH = "row_hash"
_HASHED = f"SELECT s.*, hash(s) AS {HASH} FROM ({ROWS_SELECT}) s"
# Replaced rows stay in the table, unused, until there are this many (or this many chunks).
COMPACT_ROWS, COMPACT_CHUNKS = 10_000, 64


@dataclass(frozen=True, slots=True)
class PromptRows:
    table: pa.Table  # ROWS_SELECT's columns and HASH; rows replaced since are left unused
    # The row of each prompt when the table was (re)built, never changed: a write copies only
    # `moved`, the rows of the prompts written since (-1: deleted). Copying one dict of a
    # million ids per write cost the first search after an edit ~30 ms at 1M prompts.
    loaded: dict[str, int]
    moved: dict[str, int]
    live: int  # prompts held

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> PromptRows:
        return cls._of(con.execute(_HASHED).to_arrow_table())

    @classmethod
    def _of(cls, table: pa.Table) -> PromptRows:
        ids = table.column("id").to_pylist()
        return cls(table, dict(zip(ids, range(len(ids)), strict=True)), {}, len(ids))

    def row(self, prompt_id: str) -> int | None:
        """The current row of a prompt (None: not held)."""
        row = self.moved.get(prompt_id)
        if row is None:
            row = self.loaded.get(prompt_id)
        return None if row is None or row < 0 else row

    def ids(self) -> list[str]:
        """Every prompt held (in no particular order)."""
        current = {**self.loaded, **self.moved}
        return [prompt_id for prompt_id, row in current.items() if row >= 0]

    def refreshed(self, con: duckdb.DuckDBPyConnection) -> PromptRows:
        """The rows as the file holds them now (self when nothing changed): one query finds
        what differs; changed and new rows are appended, deleted ones forgotten."""
        known = self.table.select(["id", HASH]).append_column(
            "row", pa.array(np.arange(self.table.num_rows))
        )
        con.register("_known", known)
        try:
            found = con.execute(
                f"SELECT c.*, k.id AS known_id, k.row AS known_row FROM ({_HASHED}) c "
                f"FULL JOIN _known k ON k.id = c.id "
                f"WHERE c.id IS NULL OR k.id IS NULL OR k.{HASH} <> c.{HASH}"
            ).to_arrow_table()
        finally:
            con.unregister("_known")
        moved, live = dict(self.moved), self.live
        fresh: dict[str, int] = {}  # changed or new prompt id -> its row in `found`
        columns = (found.column(c).to_pylist() for c in ("id", "known_id", "known_row"))
        for i, (prompt_id, known_id, row) in enumerate(zip(*columns, strict=True)):
            # A pair with a replaced (unused) row of the prompt says nothing.
            if prompt_id is None:
                if self.row(known_id) == row:
                    moved[known_id], live = -1, live - 1  # deleted
            elif row is None or self.row(prompt_id) in (None, row):
                fresh.setdefault(prompt_id, i)  # new, or changed since its current row
        if not fresh and live == self.live:
            return self
        return self._with(moved, live, found.take(pa.array(list(fresh.values()), pa.int64())))

    def updated(self, con: duckdb.DuckDBPyConnection, ids: Collection[str]) -> PromptRows:
        """The rows with these prompts (added or changed since: prompt_keys.py says which)
        fetched again, by id; a prompt gone meanwhile keeps its row (it is never asked for)."""
        if not ids:
            return self
        wanted = sorted(ids)
        marks = ", ".join("?" * len(wanted))
        found = con.execute(
            f"SELECT s.*, hash(s) AS {HASH} FROM ({ROWS_SELECT} WHERE p.id IN ({marks})) s",
            wanted,
        ).to_arrow_table()
        return self._with(dict(self.moved), self.live, found)

    def _with(self, moved: dict[str, int], live: int, added: pa.Table) -> PromptRows:
        """These rows appended as the current rows of their prompts (`moved` and `live`: the
        rows kept, a copy of this one's to change)."""
        table = pa.concat_tables([self.table, added.select(self.table.column_names)])
        for j, prompt_id in enumerate(added.column("id").to_pylist()):
            if moved.get(prompt_id, self.loaded.get(prompt_id, -1)) < 0:
                live += 1  # new (or back)
            moved[prompt_id] = self.table.num_rows + j
        rows = PromptRows(table, self.loaded, moved, live)
        unused = table.num_rows - live
        if unused > max(COMPACT_ROWS, live // 10) or table.column(0).num_chunks > COMPACT_CHUNKS:
            current = sorted(row for row in {**self.loaded, **moved}.values() if row >= 0)
            return self._of(table.take(pa.array(current, pa.int64())).combine_chunks())
        return rows

    def take(self, ids: Sequence[str]) -> tuple[pa.Table, list[int]]:
        """The rows of these prompt ids in their order (ROWS_SELECT's columns), and which of
        `ids` they are (an id not found is skipped: the prompt was deleted)."""
        found = [self.row(prompt_id) for prompt_id in ids]
        kept = [i for i, row in enumerate(found) if row is not None]
        rows = np.array([found[i] for i in kept], np.int64)
        return _take(self.table, rows).drop_columns([HASH]), kept


def _take(table: pa.Table, rows: npt.NDArray[np.int64]) -> pa.Table:
    """table.take(rows), chunk by chunk: Arrow's take over several chunks joins them first
    (a copy of every row: 0.2 s at a million prompts after rows were appended)."""
    chunks = table.to_batches()
    if len(chunks) <= 1:
        return table.take(pa.array(rows))
    starts = np.cumsum([0] + [len(chunk) for chunk in chunks])
    which = np.searchsorted(starts, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    parts = [
        chunks[c].take(pa.array(rows[order][which[order] == c] - starts[c]))
        for c in np.unique(which)
    ]
    taken = pa.Table.from_batches(parts, schema=table.schema)
    return taken.take(pa.array(np.argsort(order, kind="stable")))


def fetch(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> tuple[pa.Table, list[int]]:
    """ROWS_SELECT's columns for these prompts, in their order, and which of `ids` they are
    (not deleted since ranked): read from the file, for a library that holds no rows. A join
    with the ids as an Arrow table: an IN list of hundreds of ids is several times slower."""
    con.register("_wanted", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        found = con.execute(f"{ROWS_SELECT} SEMI JOIN _wanted w ON w.id = p.id").to_arrow_table()
    finally:
        con.unregister("_wanted")
    at = {prompt_id: i for i, prompt_id in enumerate(found.column("id").to_pylist())}
    kept = [i for i, prompt_id in enumerate(ids) if prompt_id in at]
    return found.take(pa.array([at[ids[i]] for i in kept], pa.int64())), kept


def ratings_of(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, float]:
    """The average rating of each of these prompts that has one."""
    found = con.execute(
        "SELECT prompt_id, avg_rating FROM mart.prompt_ratings "
        "WHERE prompt_id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        [list(ids)],
    ).fetchall()
    return {pid: float(avg) for pid, avg in found if avg is not None}


def scored(table: pa.Table, ratings_and_scores: Sequence[tuple[Any, float]]) -> pa.Table:
    """A page of rows with each row's (average rating or None, search score) filled in."""
    rated = pa.array([rating for rating, _ in ratings_and_scores], pa.float64())
    table = table.set_column(table.schema.get_field_index("rating"), "rating", rated)
    return table.append_column("score", pa.array([s for _, s in ratings_and_scores], pa.float64()))
