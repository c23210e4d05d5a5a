"""schema.sql for a DuckLake, derived mechanically so that every later table comes along.

DuckLake refuses PRIMARY KEY, UNIQUE, CHECK, sequences, column compression and defaults on
list columns. `lake_statements` strips those from schema.sql's CREATE TABLEs and drops its
CREATE SEQUENCEs; `INSERT OR IGNORE` seeds become inserts of the rows whose key is missing.
`table_keys` keeps each table's key, which storage keeps unique on a lake (see lake.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\s*\(", re.I)
_INSERT_OR_IGNORE = re.compile(r"INSERT OR IGNORE INTO (\w+) VALUES\s*(.*)", re.I | re.S)
_COLUMN_NOISE = (
    re.compile(r"\s+PRIMARY KEY\b", re.I),
    re.compile(r"\s+UNIQUE\b", re.I),
    re.compile(r"\s+USING COMPRESSION \w+", re.I),
    re.compile(r"\s+DEFAULT nextval\('[^']*'\)", re.I),
    re.compile(r"\s+DEFAULT \[\]", re.I),
)


@dataclass
class Table:
    name: str
    columns: list[str] = field(default_factory=list)
    key: tuple[str, ...] = ()


@dataclass
class LakeSchema:
    statements: list[str]
    tables: dict[str, Table]


def lake_schema(sql: str) -> LakeSchema:
    """schema.sql's statements as a DuckLake accepts them, and each table's columns and key."""
    tables: dict[str, Table] = {}
    statements: list[str] = []
    for statement in split_statements(sql):
        head = statement.lstrip().upper()
        if head.startswith("CREATE SEQUENCE"):
            continue
        create = _CREATE_TABLE.match(statement.strip())
        if create:
            table, ddl = _strip_table(create.group(1), statement.strip())
            tables[table.name] = table
            statements.append(ddl)
            continue
        seed = _INSERT_OR_IGNORE.match(statement.strip())
        if seed:
            statements.append(_insert_missing(tables[seed.group(1)], seed.group(2)))
            continue
        statements.append(statement.strip())
    return LakeSchema(statements, tables)


def split_statements(sql: str) -> list[str]:
    """Statements split at semicolons outside quotes, with `--` comments removed."""
    statements: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(sql):
        char = sql[i]
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current.append(char)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        elif char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    statements.append("".join(current))
    return [s for s in statements if s.strip()]


def _strip_table(name: str, statement: str) -> tuple[Table, str]:
    open_at = statement.index("(")
    close_at = statement.rindex(")")
    table = Table(name)
    kept: list[str] = []
    for item in _split_top_level(statement[open_at + 1 : close_at]):
        item = _drop_checks(item.strip())
        upper = item.upper()
        if upper.startswith("PRIMARY KEY"):
            table.key = tuple(c.strip() for c in item[item.index("(") + 1 : -1].split(","))
            continue
        if upper.startswith(("UNIQUE", "CHECK")) or not item:
            continue
        column = item.split()[0].strip('"')
        table.columns.append(column)
        if re.search(r"\bPRIMARY KEY\b", item, re.I):
            table.key = (column,)
            if not re.search(r"\bNOT NULL\b", item, re.I):
                item = re.sub(r"\s+PRIMARY KEY\b", " NOT NULL PRIMARY KEY", item, flags=re.I)
        for noise in _COLUMN_NOISE:
            item = noise.sub("", item)
        kept.append(item)
    body = ",\n    ".join(kept)
    return table, f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n)"


def _split_top_level(body: str) -> list[str]:
    parts: list[str] = []
    depth, start, quote = 0, 0, None
    for i, char in enumerate(body):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts


def _drop_checks(item: str) -> str:
    """`... CHECK (expr) ...` without the CHECK and its balanced parentheses."""
    while True:
        found = re.search(r"\s*\bCHECK\s*\(", item, re.I)
        if not found:
            return item
        depth, end = 0, found.end() - 1
        for end in range(found.end() - 1, len(item)):
            depth += {"(": 1, ")": -1}.get(item[end], 0)
            if depth == 0:
                break
        item = item[: found.start()] + item[end + 1 :]


def _insert_missing(table: Table, values: str) -> str:
    """An `INSERT OR IGNORE ... VALUES` seed as an insert of the rows whose key is new."""
    columns = ", ".join(f'"{c}"' for c in table.columns)
    same = " AND ".join(f't."{c}" = v."{c}"' for c in table.key)
    return (
        f"INSERT INTO {table.name} SELECT * FROM (VALUES {values}) AS v({columns}) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {same})"
    )
