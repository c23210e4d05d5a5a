"""UUID v7 ids for a whole import at once: what storage.db.ids.uuid7 makes, made with numpy."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from storage.db.ids import uuid7

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASHES = (8, 12, 16, 20)  # where the hyphens go in the 32 hex digits
_WIDTH = 36


def uuid7_batch(count: int, unix_ms: int | None = None) -> pa.StringArray:
    """`count` random UUID v7 strings (RFC 9562) for the given (default: current) millisecond:
    48-bit time, version 7, 12 random bits, variant 0b10, 62 random bits."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = np.frombuffer(os.urandom(10 * count), dtype=np.uint8).reshape(count, 10)
    raw = np.empty((count, 16), dtype=np.uint8)
    raw[:, :6] = np.frombuffer((ms & 0xFFFF_FFFF_FFFF).to_bytes(6, "big"), dtype=np.uint8)
    raw[:, 6] = 0x70 | (rand[:, 0] & 0x0F)
    raw[:, 7] = rand[:, 1]
    raw[:, 8] = 0x80 | (rand[:, 2] & 0x3F)
    raw[:, 9:] = rand[:, 3:]
    digits = np.empty((count, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.insert(digits, _DASHES, ord("-"), axis=1)
    offsets = np.arange(0, (count + 1) * _WIDTH, _WIDTH, dtype=np.int32)
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(np.ascontiguousarray(text).tobytes())
    )


def new_ids(factory: Callable[[], str], count: int) -> pa.Array:
    """`count` new ids from a library's id factory: made in bulk when it is storage.db.ids.uuid7,
    else one call each (tests pin the factory)."""
    if factory is uuid7:
        return uuid7_batch(count)
    return pa.array([factory() for _ in range(count)], pa.string())
