"""Helpers the tests share: deterministic clocks and ids, a prompt's chain of parents, and
the rollups compared with the raw rows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import duckdb

from storage import Library, Prompt
from storage.db import rollups
from storage.db.clock import Clock
from storage.db.ids import IdFactory


def fixed_clock(at: datetime) -> Clock:
    return lambda: at


def sequential_ids(prefix: str = "00000000-0000-7000-8000-") -> IdFactory:
    """Deterministic ids for tests and snapshots: prefix + a 12-digit counter."""
    counter: Iterator[int] = iter(range(1, 10**12))
    return lambda: f"{prefix}{next(counter):012d}"


def ancestors(library: Library, ref: str) -> list[Prompt]:
    """Root first, parent last, along parent_id."""
    chain: list[Prompt] = []
    prompt = library.prompts.get(ref)
    while prompt.parent_id is not None:
        prompt = library.prompts.get(prompt.parent_id)
        chain.append(prompt)
    return chain[::-1]


def rollup_mismatches(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rollup rows that differ from the same rows recomputed from the raw ones (costs to
    1e-9)."""
    found = []
    for rollup in rollups.ROLLUPS:
        columns = ", ".join((*rollup.key, *rollup.sums))
        order = ", ".join(rollup.key)
        expected = con.execute(
            f"SELECT {columns} FROM ({rollups.from_raw(rollup)}) ORDER BY {order}"
        ).fetchall()
        stored = con.execute(f"SELECT {columns} FROM {rollup.name} ORDER BY {order}").fetchall()
        if len(stored) != len(expected) or not all(map(same_row, stored, expected)):
            found.append(f"{rollup.name}: stored {stored} != from the raw rows {expected}")
    return found


def same_row(one: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    return all(
        math.isclose(a, b, abs_tol=1e-9) if isinstance(a, float) else a == b
        for a, b in zip(one, other, strict=True)
    )
