"""Row checksums: order-independent and type-stable, so a table and its Parquet file agree.

`sha256-sorted-columns-1` (what backups write): the rows are sorted by the table's key (its
primary key, named in the manifest), then every column, in name order, is serialised
canonically and hashed with sha256; the checksum is the sha256 of the column names and their
digests. The canonical form depends only on the values, not on how Arrow or Parquet typed them:
a validity byte per row, then integers of any width, booleans, dates (days) and timestamps
(microseconds) as little-endian int64, floats of any width as float64, text, JSON and binary as
int64 lengths plus the bytes, lists as lengths plus their values in the same form. Row order,
chunking and encoding do not change it; any changed, added or removed row does.

`md5-row-text-1` (backups written before it, which carry no algorithm name): a per-row md5 of
the row as JSON text, summed; computed in SQL, still used to verify and restore those backups.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from storage.errors import BackupError

ALGORITHM = "sha256-sorted-columns-1"
LEGACY_ALGORITHM = "md5-row-text-1"
ALGORITHMS = (ALGORITHM, LEGACY_ALGORITHM)

_INT64 = np.dtype("<i8")
_FLOAT64 = np.dtype("<f8")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sorted_rows(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """`table` in `key` order (the rows as they are when they already are in it)."""
    if table.num_rows < 2:
        return table
    order = pc.sort_indices(table, sort_keys=[(column, "ascending") for column in key])
    positions: np.ndarray = order.to_numpy()
    if np.array_equal(positions, np.arange(table.num_rows)):
        return table
    return pa.table(
        [_take(column.combine_chunks(), positions) for column in table.columns],
        schema=table.schema,
    )


def _take(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """values[positions]; lists of one length without nulls (embeddings) as numpy rows, which
    is many times faster than Arrow's take of a list."""
    if not pa.types.is_list(values.type) or values.null_count or len(values) == 0:
        return values.take(positions)
    offsets: np.ndarray = values.offsets.to_numpy()
    width = int(offsets[1] - offsets[0])
    items = values.flatten()
    if items.null_count or not np.array_equal(np.diff(offsets), np.full(len(values), width)):
        return values.take(positions)
    flat: np.ndarray = items.to_numpy(zero_copy_only=False)
    taken = flat.reshape(len(values), width)[positions].reshape(-1)
    return pa.ListArray.from_arrays(offsets - offsets[0], pa.array(taken, items.type))


def arrow_checksum(table: pa.Table, key: Sequence[str]) -> str:
    """The `sha256-sorted-columns-1` checksum of the rows of `table`; `key` must be unique."""
    rows = sorted_rows(table, key)
    outer = hashlib.sha256()
    for name in sorted(rows.column_names):
        digest = hashlib.sha256()
        column = rows.column(name)
        _feed(digest, _plain_type(column.type), list(column.chunks), name)
        encoded = name.encode()
        outer.update(len(encoded).to_bytes(8, "little") + encoded + digest.digest())
    return outer.hexdigest()


def row_checksum(
    con: duckdb.DuckDBPyConnection, source: str, key: Sequence[str], algorithm: str = ALGORITHM
) -> tuple[int, str]:
    """(rows, checksum) of `source` (a table name or a `read_parquet('...')` call) by
    `algorithm`; `key` is the unique sort key of its rows."""
    if algorithm == LEGACY_ALGORITHM:
        return _md5_row_text(con, source)
    table = con.execute(f"SELECT * FROM {source}").to_arrow_table()
    return table.num_rows, arrow_checksum(table, key)


def _feed(digest: hashlib._Hash, kind: pa.DataType, chunks: list[pa.Array], column: str) -> None:
    """Update `digest` with the canonical form of one column of type `kind` (its chunks)."""
    chunks = [_plain(chunk) for chunk in chunks]
    for chunk in chunks:
        digest.update(_validity(chunk))
    if pa.types.is_null(kind):
        digest.update(b"null")
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        digest.update(b"int")
        for chunk in chunks:
            digest.update(_numbers(chunk.cast(pa.int64()), _INT64))
    elif pa.types.is_date(kind):
        digest.update(b"date")
        for chunk in chunks:
            digest.update(_numbers(chunk.cast(pa.date32()).cast(pa.int32()), _INT64))
    elif pa.types.is_timestamp(kind):
        digest.update(b"timestamp")
        for chunk in chunks:
            micros = chunk.cast(pa.timestamp("us", kind.tz), safe=False).cast(pa.int64())
            digest.update(_numbers(micros, _INT64))
    elif pa.types.is_floating(kind):
        digest.update(b"float")
        for chunk in chunks:
            digest.update(_numbers(chunk, _FLOAT64))
    elif _is_bytes(kind):
        digest.update(b"bytes")
        texts = [_without_nulls(chunk.cast(pa.large_binary()), b"") for chunk in chunks]
        for text in texts:
            digest.update(_offsets(text)[1])
        for text in texts:
            start, end = _offsets(text)[0]
            digest.update(memoryview(text.buffers()[2])[start:end])
    elif _is_list(kind):
        digest.update(b"list")
        for chunk in chunks:
            digest.update(_numbers(pc.list_value_length(chunk), _INT64))
        values = [chunk.flatten() for chunk in chunks]
        _feed(digest, _plain_type(kind.value_type), values, column)
    else:
        raise BackupError(f"column {column}: no row checksum for values of type {kind}")


def _plain_type(kind: pa.DataType) -> pa.DataType:
    if isinstance(kind, pa.ExtensionType):
        kind = kind.storage_type
    return kind.value_type if pa.types.is_dictionary(kind) else kind


def _plain(chunk: pa.Array) -> pa.Array:
    """The values of an extension or dictionary array as a plain array."""
    if isinstance(chunk, pa.ExtensionArray):
        chunk = chunk.storage
    if pa.types.is_dictionary(chunk.type):
        chunk = chunk.dictionary_decode()
    return chunk


def _without_nulls(chunk: pa.Array, value: object) -> pa.Array:
    return chunk.fill_null(value) if chunk.null_count else chunk


def _validity(chunk: pa.Array) -> bytes:
    if chunk.null_count == 0:
        return b"\x01" * len(chunk)
    valid: np.ndarray = chunk.is_valid().to_numpy(zero_copy_only=False)
    return valid.astype(np.uint8).tobytes()


def _numbers(chunk: pa.Array, dtype: np.dtype) -> memoryview:
    """The values (nulls as 0) as a contiguous little-endian array of `dtype`."""
    values: np.ndarray = _without_nulls(chunk, 0).to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(values, dtype=dtype).data.cast("B")


def _offsets(text: pa.Array) -> tuple[tuple[int, int], memoryview]:
    """((first, last) byte of the values in the data buffer, the values' lengths as int64)."""
    offsets = np.frombuffer(text.buffers()[1], dtype=_INT64)[
        text.offset : text.offset + len(text) + 1
    ]
    return (int(offsets[0]), int(offsets[-1])), np.diff(offsets).data.cast("B")


def _is_bytes(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_binary_view(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _is_list(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def _md5_row_text(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, str]:
    """`md5-row-text-1`: each row as a JSON array of its columns cast to VARCHAR (columns by
    name), md5-hashed; the row count and the sums of the hashes' two 64-bit halves."""
    columns = sorted(row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall())
    row_text = "to_json(list_value(" + ", ".join(f'"{c}"::VARCHAR' for c in columns) + "))"
    found = con.execute(
        "SELECT count(*), "
        "coalesce(sum(('0x' || h[1:16])::UBIGINT::HUGEINT), 0), "
        "coalesce(sum(('0x' || h[17:32])::UBIGINT::HUGEINT), 0) "
        f"FROM (SELECT md5({row_text}) AS h FROM {source})"
    ).fetchone()
    assert found is not None
    rows, high, low = (int(v) for v in found)
    mask = (1 << 128) - 1
    return rows, f"{high & mask:032x}{low & mask:032x}"
