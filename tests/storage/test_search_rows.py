"""The in-memory prompt rows behind search_table: after any sequence of writes, refreshing
gives exactly the rows the file holds (replaced rows left in place are never returned)."""

from __future__ import annotations

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library, search_rows
from storage.search_rows import ROWS_SELECT, PromptRows


def file_rows(library: Library) -> pa.Table:
    with library._read() as con:
        return con.execute(f"{ROWS_SELECT} ORDER BY p.id").to_arrow_table()


def held_rows(library: Library, rows: PromptRows) -> tuple[PromptRows, pa.Table]:
    with library._read() as con:
        rows = rows.refreshed(con)
    ids = sorted(rows.at)
    table, kept = rows.take(ids)
    assert kept == list(range(len(ids)))
    return rows, table


def test_refreshing_follows_every_kind_of_write(library: Library) -> None:
    a = library.create("Alpha", "First prompt.", tags=("one",))
    b = library.create("Beta", "Second prompt.")
    with library._read() as con:
        rows = PromptRows.load(con)
    steps = [  # (a write, whether it changes a column the rows hold)
        (lambda: library.update(a.id, {"name": "Alpha 2"}), True),
        (lambda: library.update(a.id, {"tags": ["one", "two"]}), True),  # replaced again
        (lambda: library.use(b.id), True),
        (lambda: library.create("Gamma", "Third prompt.", folder="misc"), True),
        (lambda: library.archive(b.id), True),
        (lambda: library.rate(a.id, 5), False),
        (lambda: library.delete(a.id, force=True), True),
    ]
    for step, changes in steps:
        before = rows
        step()
        rows, table = held_rows(library, rows)
        assert table == file_rows(library)
        assert (rows is not before) == changes
    assert rows.take([a.id, b.id])[1] == [1]  # the deleted prompt is skipped


def test_replaced_rows_are_compacted(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    a = library.create("Alpha", "First prompt.")
    library.create("Beta", "Second prompt.")
    with library._read() as con:
        rows = PromptRows.load(con)
    library.update(a.id, {"name": "Alpha 2"})
    rows, _ = held_rows(library, rows)
    assert rows.table.num_rows == 3  # the replaced row is still there, unused
    monkeypatch.setattr(search_rows, "COMPACT_ROWS", 0)
    library.update(a.id, {"name": "Alpha 3"})
    rows, table = held_rows(library, rows)
    assert rows.table.num_rows == 2 and table == file_rows(library)
