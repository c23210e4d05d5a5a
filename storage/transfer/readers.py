"""Reading import files into one Arrow table of text columns, and naming a row's place.

Every reader returns a `Source`: the file's columns as VARCHAR (lists and objects as JSON
text) plus `_row` (0-based), read in bulk by DuckDB (csv, json, jsonl, parquet) or from the
files of a markdown folder. Where a row came from (`line 5`, `item 3`, a file) is worked out
only when a row is rejected."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.errors import ImportRejected, TransferError
from storage.models import IMPORT_FORMATS as FORMATS
from storage.transfer import frontmatter

_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "md",
    ".markdown": "md",
    ".parquet": "parquet",
}

Locate = Callable[[int], tuple[int | None, str]]  # row -> (row number, "line 5")


@dataclass(frozen=True)
class Source:
    path: Path
    format: str
    columns: tuple[str, ...]
    table: pa.Table  # the columns as VARCHAR, and _row
    locate: Locate
    kinds: Mapping[str, str] = field(default_factory=dict)  # columns the file typed not as text


def detect_format(path: Path, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise TransferError(f"format: must be one of {', '.join(FORMATS)} (got {given!r})")
        return given
    if path.is_dir():
        return "md"
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise TransferError(
            f"{path}: cannot tell the format from the name; give one of {', '.join(FORMATS)}",
            file=str(path),
        )
    return found


def read_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> Source:
    if not path.exists():
        raise TransferError(f"{path}: no such file", file=str(path))
    if fmt == "md":
        return _read_markdown(path)
    if path.is_dir():
        raise TransferError(f"{path}: is a folder; only markdown imports read folders")
    if fmt == "csv":
        return _read_csv(con, path)
    if fmt in ("json", "jsonl"):
        return _read_json(con, path, fmt)
    return _read_parquet(con, path)


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(path: Path) -> str:
    return _string(str(path))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Rows per Arrow batch: DuckDB scans a registered Arrow table one batch per thread, so the
# checks that follow run on every core (one batch of the whole file runs on one).
BATCH_ROWS = 16_384


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    return con.execute(sql).to_arrow_table(batch_size=BATCH_ROWS)


# -- csv -----------------------------------------------------------------------------------------


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        header = _csv_header(path, delimiter)
        columns = ", ".join(f"{_string(c)}: 'VARCHAR'" for c in header)
        table = _arrow(
            con,
            f"SELECT *, (row_number() OVER () - 1)::BIGINT AS _row FROM read_csv("
            f"{_literal(path)}, {_csv_options(delimiter, strict=True)}, columns = {{{columns}}})",
        )
        _check_read_to_the_end(con, path, delimiter, columns, table.num_rows)
    except (duckdb.Error, UnicodeDecodeError) as error:
        raise _csv_problem(path, delimiter, str(error)) from error
    return Source(path, "csv", tuple(header), table, lambda row: _csv_line(path, delimiter, row))


def _csv_options(delimiter: str, *, strict: bool) -> str:
    """Strict: a malformed record is an error. Lenient: every record is read, however short."""
    return (
        f"header = true, all_varchar = true, delim = '{delimiter}', quote = '\"', "
        f"escape = '\"', strict_mode = {strict}, null_padding = {not strict}, "
        "ignore_errors = false, auto_detect = false, parallel = false"
    )


def _check_read_to_the_end(
    con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, columns: str, rows: int
) -> None:
    """DuckDB's strict mode drops, without an error, a last record whose quoted field is never
    closed: every line from the opening quote on. The lenient mode keeps that record, so the
    counts differ exactly then (a count-only scan costs a fraction of the read)."""
    counted = con.execute(
        f"SELECT count(*) FROM read_csv({_literal(path)}, "
        f"{_csv_options(delimiter, strict=False)}, columns = {{{columns}}})"
    ).fetchone()
    if counted is not None and counted[0] != rows:
        raise _unclosed_quote(path, delimiter)


def _unclosed_quote(path: Path, delimiter: str) -> ImportRejected:
    """The last record: a lenient reader takes the rest of the file as its quoted field."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        next(reader)
        start = last = reader.line_num + 1
        for record in reader:
            if record:
                last = start
            start = reader.line_num + 1
    where = f"line {last}: a quoted field is never closed (it runs to the end of the file)"
    return _rejected(path, last, where)


def _csv_header(path: Path, delimiter: str) -> list[str]:
    # utf-8-sig: a byte order mark (Excel writes one) is not part of the first column's name
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream, delimiter=delimiter), None)
    if not header or not any(h.strip() for h in header):
        raise TransferError(f"{path}: line 1: no header row", file=str(path))
    unnamed = next((n for n, h in enumerate(header, 1) if not h.strip()), None)
    if unnamed is not None:
        raise TransferError(
            f"{path}: line 1: column {unnamed} has no name; give every column a header",
            file=str(path),
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise TransferError(f"{path}: line 1: column {duplicated[0]!r} appears twice")
    return header


def _csv_problem(path: Path, delimiter: str, detail: str) -> Exception:
    """The first record whose field count differs from the header's, found with Python's
    csv module (exact line numbers); otherwise DuckDB's own first line (`detail`)."""
    start = 1
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.reader(stream, delimiter=delimiter, strict=True)
            header = next(reader)
            start = reader.line_num + 1
            for record in reader:
                if record and len(record) != len(header):
                    return _rejected(
                        path,
                        start,
                        f"line {start}: expected {len(header)} fields, found {len(record)}",
                    )
                start = reader.line_num + 1
    except csv.Error as problem:
        return _rejected(path, start, f"line {start}: {problem}")
    except UnicodeDecodeError as problem:
        return TransferError(f"{path}: not UTF-8 text: {problem}", file=str(path))
    first = detail.splitlines()[0]
    return TransferError(f"{path}: cannot read CSV: {first}", file=str(path))


def _csv_line(path: Path, delimiter: str, row: int) -> tuple[int | None, str]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        next(reader)
        start, index = reader.line_num + 1, 0
        for record in reader:
            if record:
                if index == row:
                    return start, f"line {start}"
                index += 1
            start = reader.line_num + 1
    return None, f"record {row + 1}"


# -- json and jsonl ------------------------------------------------------------------------------


def _read_json(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> Source:
    layout = "array" if fmt == "json" else "newline_delimited"
    try:
        # The keys of every object, then every key read as VARCHAR: strings as their text,
        # numbers, lists and objects as JSON text, null as NULL.
        keys = _json_keys(con, f"read_json_objects({_literal(path)}, format = '{layout}')")
        if not keys:
            raise TransferError(f"{path}: no JSON objects with keys", file=str(path))
        if not all(k.strip() for k in keys):
            raise TransferError(f'{path}: a key has no name (""); name every key', file=str(path))
        columns = ", ".join(f"{_string(k)}: 'VARCHAR'" for k in keys)
        table = _arrow(
            con,
            "SELECT *, (row_number() OVER () - 1)::BIGINT AS _row FROM read_json("
            f"{_literal(path)}, format = '{layout}', columns = {{{columns}}})",
        )
    except duckdb.Error as error:
        raise _json_problem(path, fmt, error) from error
    locate: Locate = (
        (lambda row: (row + 1, f"item {row + 1}"))
        if fmt == "json"
        else (lambda row: _jsonl_line(path, row))
    )
    return Source(path, fmt, tuple(keys), table, locate)


def _json_keys(con: duckdb.DuckDBPyConnection, objects: str) -> list[str]:
    """Every key, in the order the objects first hold them (those of one object by name).
    Most files hold one set of keys, found without numbering the objects."""
    shapes = con.execute(f"SELECT DISTINCT json_keys(json) FROM {objects}").fetchall()
    if len(shapes) == 1:
        return sorted(shapes[0][0])
    return [
        row[0]
        for row in con.execute(
            "SELECT k FROM (SELECT unnest(json_keys(json)) AS k, row_number() OVER () AS r "
            f"FROM {objects}) GROUP BY k ORDER BY min(r), k"
        ).fetchall()
    ]


def _jsonl_line(path: Path, row: int) -> tuple[int | None, str]:
    index = 0
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                if index == row:
                    return number, f"line {number}"
                index += 1
    return None, f"record {row + 1}"


def _json_problem(path: Path, fmt: str, error: Exception) -> Exception:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as problem:
        return TransferError(f"{path}: not UTF-8 text: {problem}", file=str(path))
    if fmt == "jsonl":
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as problem:
                    return _rejected(path, number, f"line {number}: not valid JSON: {problem.msg}")
                if not isinstance(value, dict):
                    return _rejected(path, number, f"line {number}: expected a JSON object")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as problem:
            where = f"line {problem.lineno}: not valid JSON: {problem.msg}"
            return _rejected(path, problem.lineno, where)
        if not isinstance(data, list):
            return TransferError(f"{path}: expected a JSON list of objects", file=str(path))
        for index, item in enumerate(data, 1):
            if not isinstance(item, dict):
                return _rejected(path, index, f"item {index}: expected a JSON object")
    first = str(error).splitlines()[0]
    return TransferError(f"{path}: cannot read JSON: {first}", file=str(path))


def _rejected(path: Path, row: int, where: str) -> ImportRejected:
    return ImportRejected(f"{path}: {where}; nothing imported", file=str(path), row=row, rejected=1)


# -- parquet -------------------------------------------------------------------------------------


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    source = f"read_parquet({_literal(path)}, hive_partitioning = false)"  # no key=value folders
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        columns = [
            (f"to_json({_quoted(name)})::VARCHAR" if _nested(kind) else f"{_quoted(name)}::VARCHAR")
            + f" AS {_quoted(name)}"
            for name, kind, *_ in described
        ]
        table = _arrow(
            con,
            f"SELECT {', '.join(columns)}, (row_number() OVER () - 1)::BIGINT AS _row "
            f"FROM {source}",
        )
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise TransferError(f"{path}: cannot read Parquet: {first}", file=str(path)) from error
    names = tuple(row[0] for row in described)
    kinds = {name: kind for name, kind, *_ in described if kind != "VARCHAR"}
    return Source(path, "parquet", names, table, lambda row: (row + 1, f"row {row + 1}"), kinds)


def _nested(kind: str) -> bool:
    return kind.endswith("]") or kind.startswith(("STRUCT", "MAP"))


# -- markdown ------------------------------------------------------------------------------------


def _read_markdown(path: Path) -> Source:
    files = sorted(path.rglob("*.md")) if path.is_dir() else [path]
    base = path if path.is_dir() else path.parent
    records: list[dict[str, str | None]] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise TransferError(f"{file}: not UTF-8 text: {error}", file=str(file)) from error
        values, body = frontmatter.split(text, str(file))
        folder = file.parent.relative_to(base).as_posix()
        record = {
            "name": file.stem,
            "folder": "" if folder == "." else folder,
            **{k: _text(v) for k, v in values.items()},
            "content": body,
        }
        records.append(record)
    columns = list(dict.fromkeys(k for record in records for k in record))
    data = {c: pa.array([r.get(c) for r in records], pa.string()) for c in columns}
    data["_row"] = pa.array(range(len(records)), pa.int64())
    relative = [f.relative_to(base).as_posix() for f in files]
    return Source(path, "md", tuple(columns), pa.table(data), lambda row: (None, relative[row]))


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
