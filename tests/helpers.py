"""Helpers the tests share: deterministic clocks and ids, and a prompt's chain of parents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from storage import Library, Prompt
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
