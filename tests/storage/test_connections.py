"""One connection per action (the CLI) and a lingering connection (the TUI) behave the same."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from storage import Library
from storage.errors import CycleError, QueryError
from tests.helpers import sequential_ids


def clock_from_zero() -> Callable[[], datetime]:
    ticks = itertools.count()
    return lambda: datetime(2026, 1, 15) + timedelta(seconds=next(ticks))


def scenario(library: Library) -> dict[str, Any]:
    """A bit of everything, including failures; returns everything observable."""
    a = library.prompts.create("A", "Hello {{name}}", tags=["x"])
    library.prompts.update(a.id, {"content": "Hello {{name}}!"}, "excited")
    b = library.lineage.derive(a.id, name="B", content="Hi {{name}}")
    library.lineage.link(b.id, a.id, "similar_to")
    with pytest.raises(CycleError):
        library.lineage.set_parent(a.id, b.id)
    library.usage.use("A", {"name": "Ada"})
    library.usage.rate("B", 4)
    library.versions.set_label("A", "production", 1)
    _, scorecard = library.db.query("SELECT name, uses, children FROM mart.prompt_scorecard")
    library.prompts.archive("B")
    library.prompts.unarchive("B")
    library.prompts.delete("B")
    return {
        "prompts": [p.to_dict() for p in library.prompts.list_prompts()],
        "versions": [v.to_dict() for v in library.versions.history("A")],
        "counts": library.db.table_counts(),
        "audit": [(e.action, e.entity, e.ts) for e in library.audit.entries(limit=100)],
        "scorecard": sorted(scorecard),
    }


def test_both_connection_modes_give_the_same_library(tmp_path: Path) -> None:
    results = []
    for linger in (0.0, 60.0):
        library = Library(
            tmp_path / f"mode-{linger}.duckdb",
            clock=clock_from_zero(),
            new_id=sequential_ids(),
            actor="tester",
            linger=linger,
        ).open()
        try:
            results.append(scenario(library))
        finally:
            library.close()
    assert results[0] == results[1]


def _file_is_free(path: Path) -> bool:
    """A differently configured connection in this process is refused while one is open."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    con.close()
    return True


def test_a_lingering_library_frees_the_file(tmp_path: Path) -> None:
    path = tmp_path / "linger.duckdb"
    library = Library(path, linger=0.2).open()
    library.prompts.create("A", "a")
    assert not _file_is_free(path)  # kept open through a burst of actions
    deadline = time.monotonic() + 5
    while not _file_is_free(path):  # ...and let go when idle
        assert time.monotonic() < deadline, "the lingering connection was never released"
        time.sleep(0.05)
    assert library.prompts.get("A").name == "A"  # reopened on demand
    library.close()
    assert _file_is_free(path)


def test_a_lingering_library_bounds_duckdbs_memory(tmp_path: Path) -> None:
    """An app's connection caps DuckDB's memory (its block cache grew to 1.2 GB at 1M
    prompts); a one-shot action keeps DuckDB's default, and big work still runs under the
    cap (it spills)."""
    path = tmp_path / "memory.duckdb"
    with Library(path, linger=60) as library, library.db.read() as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit == ("732.4 MiB",)  # LINGERING_MEMORY_LIMIT, 768 MB, as DuckDB shows it
        sorted_rows = con.execute(
            "SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i) "
            "ORDER BY h)"
        ).fetchone()
        assert sorted_rows == (3_000_000,)
    with Library(path) as library, library.db.read() as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None and limit != ("732.4 MiB",)


def test_query_works_on_a_lingering_library(tmp_path: Path) -> None:
    """Regression: query() opens a read-only connection, which DuckDB refused while the
    lingering read-write one was open (a misleading 'not a promptdeck library')."""
    library = Library(tmp_path / "q.duckdb", linger=60).open()
    try:
        library.prompts.create("A", "a")
        assert library.db.query("SELECT name FROM prompts") == (["name"], [("A",)])
        library.prompts.create("B", "b")  # the lingering connection comes back
        assert library.db.query("SELECT count(*) FROM prompts")[1] == [(2,)]
        with pytest.raises(QueryError):
            library.db.query("DELETE FROM prompts")
        library.prompts.create("C", "c")  # the refused query left nothing locked
        assert library.prompts.count_prompts() == 3
    finally:
        library.close()


def test_queries_and_actions_from_several_threads(tmp_path: Path) -> None:
    library = Library(tmp_path / "threads.duckdb", linger=60).open()
    prompt = library.prompts.create("A", "a")
    try:
        errors = _run_together(
            [
                (lambda: library.usage.record(prompt.id), 15),
                (lambda: library.prompts.get(prompt.id), 15),
                (lambda: library.db.query("SELECT 1"), 8),
            ]
        )
        assert errors == []
        assert library.prompts.get(prompt.id).usage_count == 15
    finally:
        library.close()


def test_letting_the_file_go_checkpoints_while_actions_go_on(tmp_path: Path) -> None:
    """A lingering connection idle for `linger` checkpoints on a cursor, with no lock held,
    then closes: actions from other threads meanwhile (reads and writes, while it lets go
    over and over) all succeed and all count, and the file is let go at the end with its
    log written in."""
    path = tmp_path / "release.duckdb"
    library = Library(path, linger=0.01).open()
    prompt = library.prompts.create("A", "a")
    try:
        errors = _run_together(
            [
                (lambda: library.usage.record(prompt.id), 20),
                (lambda: library.prompts.get(prompt.id), 40),
            ],
            pause=0.012,  # about the linger: the file is let go between actions
        )
        assert errors == []
        assert library.prompts.get(prompt.id).usage_count == 20
        deadline = time.monotonic() + 5
        while not _file_is_free(path):
            assert time.monotonic() < deadline, "the lingering connection was never released"
            time.sleep(0.05)
        assert not path.with_name(path.name + ".wal").exists()  # checkpointed
    finally:
        library.close()


def _run_together(
    actions: list[tuple[Callable[[], object], int]], pause: float = 0.0
) -> list[BaseException]:
    """Each action repeated its number of times on a thread of its own, all at once; what
    they raised."""
    errors: list[BaseException] = []

    def run(action: Callable[[], object], times: int) -> None:
        try:
            for _ in range(times):
                action()
                time.sleep(pause)
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
