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
    """Rollup rows that differ from the sums of the raw rows (costs to 1e-9)."""
    found = []
    for rollup, key, sums in (
        ("rollup_daily", rollups.DAILY_KEY, rollups.DAILY_SUMS),
        ("rollup_prompt_daily", rollups.PROMPT_KEY, rollups.PROMPT_SUMS),
    ):
        parts = [
            rollups.rollup_rows(table, rollup)
            for table in rollups.EVENTS
            if rollup == "rollup_daily" or table in ("usage_events", "feedback")
        ]
        keys = ", ".join(key)
        totals = ", ".join(f"sum({c})" for c in sums)
        expected = con.execute(
            f"SELECT {keys}, {totals} FROM ({' UNION ALL '.join(parts)}) "
            f"GROUP BY {keys} ORDER BY {keys}"
        ).fetchall()
        stored = con.execute(
            f"SELECT {keys}, {', '.join(sums)} FROM {rollup} ORDER BY {keys}"
        ).fetchall()
        if len(stored) != len(expected) or not all(map(same_row, stored, expected)):
            found.append(f"{rollup}: stored {stored} != from the events {expected}")
    return found


def same_row(one: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    return all(
        math.isclose(a, b, abs_tol=1e-9) if isinstance(a, float) else a == b
        for a, b in zip(one, other, strict=True)
    )
