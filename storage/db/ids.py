"""UUID v7 identifiers: time ordered, so ids sort by creation."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

IdFactory = Callable[[], str]


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
