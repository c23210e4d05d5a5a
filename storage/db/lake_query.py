"""`promptdeck sql` on a team library: the user's SQL runs where no credential is.

The lake's own connection knows the catalog's conninfo, password included: in its attached
databases, their settings and options, and through the postgres extension's functions
(postgres_query reaches the catalog database itself). Scrubbing what a query returns cannot
be made whole (`reverse`, `substr`, `hex` ... rebuild a password from pieces), so the query
never runs there. It runs on a new in-memory DuckDB that never saw the conninfo, loads no
extension and reaches no file or network (external access off, configuration locked). That
database holds the library's tables (schema.sql as on a lake, mart views included) and a copy
of the rows of the tables the query reads (mart views resolved to theirs), all taken from one
snapshot of the lake."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb

from storage.db.database import TABLES, Rows
from storage.db.lake_schema import lake_schema
from storage.db.schema import schema_sql
from storage.errors import QueryError

_ISOLATED: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_READING = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
Read = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def isolated_query(read: Read, sql: str, limit: int) -> Rows:
    """`sql`'s columns and first `limit` rows, run on a copy of what it reads."""
    con = duckdb.connect(config=_ISOLATED)
    try:
        for statement in lake_schema(schema_sql()).statements:
            con.execute(statement)
        _copy(read, con, _tables_read(con, sql))
        con.execute("SET lock_configuration = true")
        try:
            result = con.execute(sql)
            if result.description is None:
                return [], []
            found = result.fetchmany(limit)
        except duckdb.Error as error:
            raise _refused(error) from error
        return [d[0] for d in result.description], found
    finally:
        con.close()


def _tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The library tables `sql` reads, through the views and table macros it names (binding
    on the isolated database resolves them). A statement that would write is refused: the
    copy takes writes, the lake would not see them."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise QueryError("sql: empty statement; give one SQL query", field="sql")
    for statement in statements:
        if statement.type not in _READING:
            kind = statement.type.name
            raise QueryError(f"sql: a team library takes queries that read (got {kind})")
    try:
        named = {name.lower() for name in con.get_table_names(sql)}
    except duckdb.Error:  # it cannot tell (DuckDB 1.5 fails on some table macros): all
        return list(TABLES)
    return [table for table in TABLES if table in named]


def _copy(read: Read, con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """The lake's rows of `tables` into `con`, in place of the schema's seed rows, from one
    snapshot (one read transaction) of the lake."""
    with read() as lake:
        lake.execute("BEGIN TRANSACTION")
        try:
            for table in tables:
                con.execute(f"DELETE FROM {table}")
                con.register("_copied", lake.execute(f"SELECT * FROM {table}").to_arrow_reader())
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _copied")
                con.unregister("_copied")
        finally:
            lake.execute("ROLLBACK")


def _refused(error: duckdb.Error) -> QueryError:
    first = next((line for line in str(error).splitlines() if line.strip()), "cannot run it")
    return QueryError(f"sql: {first}", field="sql")
