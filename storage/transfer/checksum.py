"""Row checksums: order-independent and type-stable, so a table and its Parquet file agree.

Each row becomes a canonical text (a JSON array of its columns cast to VARCHAR, columns sorted
by name), hashed with md5 inside DuckDB; the checksum is the row count and the sums of the two
64-bit halves of the hashes. Row order, Parquet encoding and JSON-vs-VARCHAR typing do not
change it; any changed, added or removed row does."""

from __future__ import annotations

import duckdb


def row_checksum(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, str]:
    """(rows, checksum) of `source`: a table name or a `read_parquet('...')` call."""
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
