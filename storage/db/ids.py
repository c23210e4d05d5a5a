"""UUID v7 identifiers: time ordered, so ids sort by creation."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

IdFactory = Callable[[], str]

# Up to this many prompts are looked up by key: DuckDB uses the index for a literal list of up
# to about a thousandth of the rows, and scans them all past it.
LOOKUPS = 512


def uuid7(unix_ms: int | None = None) -> str:
    """A random UUID v7 string (RFC 9562) for the given (default: current) millisecond."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b: 62 bits
    return str(uuid.UUID(int=value))


def literal_list(ids: Iterable[str]) -> str:
    """Ids as a list of SQL string literals, for `id IN (...)`: DuckDB looks a literal list up
    in the table's key index, where a list passed as a parameter is joined with every row
    (a scan: 50 ms at a million prompts, for a handful of ids)."""
    return ", ".join("'" + i.replace("'", "''") + "'" for i in ids)


def among(ids: Sequence[str]) -> tuple[str, list[object]]:
    """`(...)` of these ids for `id IN`, and its parameters: a few as literals (looked up by
    key), many as one list parameter (joined)."""
    if len(ids) <= LOOKUPS:
        return f"({literal_list(ids)})", []
    return "(SELECT unnest(CAST(? AS VARCHAR[])))", [list(ids)]
