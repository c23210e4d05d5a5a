"""The in-memory prompt rows behind search_table: after any sequence of writes, refreshing
gives exactly the rows the file holds (replaced rows left in place are never returned)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.search import rows as search_rows
from storage.search.rows import ROWS_SELECT, PromptRows


def file_rows(library: Library) -> pa.Table:
    with library.db.read() as con:
        return con.execute(f"{ROWS_SELECT} ORDER BY p.id").to_arrow_table()


def held_rows(library: Library, rows: PromptRows) -> tuple[PromptRows, pa.Table]:
    with library.db.read() as con:
        rows = rows.refreshed(con)
    ids = sorted(rows.ids())
    table, kept = rows.take(ids)
    assert kept == list(range(len(ids)))
    return rows, table


def test_refreshing_follows_every_kind_of_write(library: Library) -> None:
    a = library.prompts.create("Alpha", "First prompt.", tags=("one",))
    b = library.prompts.create("Beta", "Second prompt.")
    with library.db.read() as con:
        rows = PromptRows.load(con)
    # (a write, whether it changes a column the rows hold)
    steps: list[tuple[Callable[[], object], bool]] = [
        (lambda: library.prompts.update(a.id, {"name": "Alpha 2"}), True),
        (lambda: library.prompts.update(a.id, {"tags": ["one", "two"]}), True),  # replaced again
        (lambda: library.usage.use(b.id), True),
        (lambda: library.prompts.create("Gamma", "Third prompt.", folder="misc"), True),
        (lambda: library.prompts.archive(b.id), True),
        (lambda: library.usage.rate(a.id, 5), False),
        (lambda: library.prompts.delete(a.id, force=True), True),
    ]
    for step, changes in steps:
        before = rows
        step()
        rows, table = held_rows(library, rows)
        assert table == file_rows(library)
        assert (rows is not before) == changes
    assert rows.take([a.id, b.id])[1] == [1]  # the deleted prompt is skipped


def test_replaced_rows_are_compacted(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    a = library.prompts.create("Alpha", "First prompt.")
    library.prompts.create("Beta", "Second prompt.")
    with library.db.read() as con:
        rows = PromptRows.load(con)
    library.prompts.update(a.id, {"name": "Alpha 2"})
    rows, _ = held_rows(library, rows)
    assert rows.table.num_rows == 3  # the replaced row is still there, unused
    monkeypatch.setattr(search_rows, "COMPACT_ROWS", 0)
    library.prompts.update(a.id, {"name": "Alpha 3"})
    rows, table = held_rows(library, rows)
    assert rows.table.num_rows == 2 and table == file_rows(library)


def test_rows_taken_in_by_id_count_and_compact_what_is_live(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catch-up path (`updated`, by the ids prompt_keys found) after a deletion seen by
    `refreshed`: the held count follows, and a compaction keeps exactly the live rows."""
    a = library.prompts.create("Alpha", "First prompt.")
    b = library.prompts.create("Beta", "Second prompt.")
    with library.db.read() as con:
        rows = PromptRows.load(con)
    library.prompts.delete(b.id)
    rows, _ = held_rows(library, rows)
    assert rows.live == 1 and rows.row(b.id) is None
    gamma = library.prompts.create("Gamma", "Third prompt.")
    library.prompts.update(a.id, {"name": "Alpha 2"})
    with library.db.read() as con:
        rows = rows.updated(con, {gamma.id, a.id})
    assert rows.live == 2 and rows.table.num_rows == 4  # Alpha's old row and Beta's, unused
    monkeypatch.setattr(search_rows, "COMPACT_ROWS", 0)
    library.prompts.update(gamma.id, {"name": "Gamma 2"})
    with library.db.read() as con:
        rows = rows.updated(con, {gamma.id})
    assert rows.table.num_rows == 2 and rows.moved == {}
    table, kept = rows.take(sorted(rows.ids()))
    assert kept == [0, 1] and table == file_rows(library)
