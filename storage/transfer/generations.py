"""Import of generation logs (what an LLM gateway exports): every row an LLM call made with a
prompt, added as `log_generation` adds one, all rows in one transaction or none.

A row names its prompt (id, unique id part, exact name, REF@N), provider, model and tokens in
and out; cost, latency, time and the source's own id are optional. A row without a cost is
priced by the mart views from the price table in force on its day, as a logged one is. A row
whose id is already in the library (or on an earlier row) is skipped: an export imported twice
counts once. Fields are checked in bulk by DuckDB on a private connection; references are
resolved in bulk against the library inside the writing transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.analytics.costs import MAX_TOKENS
from storage.db import rollups
from storage.db.database import Database
from storage.errors import ImportRejected, PromptdeckError, TransferError
from storage.models import GENERATION_FIELDS, IMPORT_FORMATS
from storage.prompts import references as refs
from storage.prompts.uses import insert_uses
from storage.transfer.bulk_ids import new_ids
from storage.transfer.cleaning import rule
from storage.transfer.importer import ImportPreview, ImportSummary, record_session
from storage.transfer.mapping import parse_pairs, resolve_columns
from storage.transfer.readers import Source, detect_format, read_source

REQUIRED_FIELDS: tuple[str, ...] = GENERATION_FIELDS[:5]
GENERATION_FORMATS: tuple[str, ...] = tuple(f for f in IMPORT_FORMATS if f != "md")
MAX_LATENCY_MS = 86_400_000

# Column names taken for a field when no --map names one (case-insensitive, first found):
# promptdeck's own names, then OpenAI's and Anthropic's usage names.
_ALIASES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt_id", "prompt", "prompt_name", "prompt_ref"),
    "tokens_in": ("tokens_in", "prompt_tokens", "input_tokens"),
    "tokens_out": ("tokens_out", "completion_tokens", "output_tokens"),
    "cost_usd": ("cost_usd", "cost"),
    "created_at": ("created_at", "timestamp"),
    "id": ("id", "generation_id", "request_id"),
}
_ID_PART = "[0-9a-f-]{6,36}"  # what references._find tries as a start or end of an id
_SPACE = r"^[\s\x{a0}\x{feff}]+|[\s\x{a0}\x{feff}]+$"


def parse_generation_mapping(
    pairs: Mapping[str, str] | list[str] | tuple[str, ...],
) -> dict[str, str]:
    """`["prompt=prompt_name", "tokens_in=input"]` (or a dict) as {field: column}."""
    return parse_pairs(pairs, GENERATION_FIELDS, "generation")


def resolve_generation_mapping(
    columns: tuple[str, ...], explicit: Mapping[str, str], file: str
) -> dict[str, str]:
    """Explicit pairs, then each remaining field from a free column named like it."""
    return resolve_columns(
        columns, explicit, file, GENERATION_FIELDS, _ALIASES, one_field_per_column=True
    )


@dataclass(frozen=True)
class _Checked:
    source: Source
    mapping: dict[str, str]
    rows: pa.Table  # _row, the typed fields, and `problem` (the first bad field of the row)


class GenerationImportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def preview(
        self, path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None
    ) -> ImportPreview:
        """Read a generations file (nothing is written) and say how its columns would map."""
        path = Path(path).expanduser()
        con = _private()
        try:
            source = _read(con, path, fmt)
        finally:
            con.close()
        resolved = resolve_generation_mapping(
            source.columns, parse_generation_mapping(mapping or {}), str(path)
        )
        return ImportPreview(
            str(source.path), source.format, source.columns, source.table.num_rows, resolved
        )

    def run(
        self, path: str | Path, fmt: str | None = None, mapping: Mapping[str, str] | None = None
    ) -> ImportSummary:
        """Import every row as a generation and a `used_in_generation` use of its prompt (uses,
        last use, relevance), or nothing at all: one invalid row (a bad field, a prompt that
        is not found) rejects the file with ImportRejected naming its line and field."""
        path = Path(path).expanduser()
        now = self._db.clock()
        checked = self._check_file(path, fmt, mapping, now)
        for tx in self._db.write_attempts("import generations"):
            with tx as con:
                con.register("_rows", checked.rows)
                try:
                    self._resolve_prompts(con, checked)
                    summary = self._insert(con, checked, now)
                finally:
                    con.unregister("_rows")
        return summary

    # -- reading and checking -------------------------------------------------------------

    def _check_file(
        self, path: Path, fmt: str | None, mapping: Mapping[str, str] | None, now: datetime
    ) -> _Checked:
        con = _private()
        try:
            source = _read(con, path, fmt)
            resolved = resolve_generation_mapping(
                source.columns, parse_generation_mapping(mapping or {}), str(path)
            )
            for needed in REQUIRED_FIELDS:
                if needed not in resolved:
                    raise TransferError(
                        f"{path}: no column for {needed} (columns: {', '.join(source.columns)}); "
                        f"name one with --map {needed}=COLUMN",
                        file=str(path),
                    )
            con.register("_raw", source.table)
            rows = con.execute(_checking_sql(resolved), {"now": now}).to_arrow_table()
        finally:
            con.close()
        return _Checked(source, resolved, rows)

    def _resolve_prompts(self, con: duckdb.DuckDBPyConnection, checked: _Checked) -> None:
        """_refs: each distinct reference of a valid row with its prompt and version, resolved
        by references._find's rules in one query; a pinned reference (REF@N, REF@label) that
        is not a name or id as a whole goes through references.resolve, once per reference."""
        con.execute(_RESOLVE_SQL, {"id_part": _ID_PART})
        pinned = con.execute(
            "SELECT ref FROM _refs WHERE prompt_id IS NULL AND contains(ref, '@') ORDER BY ref"
        ).fetchall()
        found: list[tuple[str, str, int]] = []
        for (ref,) in pinned:
            try:
                resolved = refs.resolve(con, ref)
            except PromptdeckError:
                continue  # reported below if it is the first rejected row
            found.append((ref, resolved.prompt.id, resolved.number))
        if found:
            names, ids, numbers = zip(*found, strict=True)
            con.register(
                "_pinned",
                pa.table(
                    {
                        "ref": pa.array(names, pa.string()),
                        "prompt_id": pa.array(ids, pa.string()),
                        "version": pa.array(numbers, pa.int32()),
                    }
                ),
            )
            con.execute(
                "UPDATE _refs SET prompt_id = p.prompt_id, version = p.version "
                "FROM _pinned p WHERE _refs.ref = p.ref"
            )
            con.unregister("_pinned")
        rejected, first = con.execute(
            "SELECT count(*), min(_row) FROM _rows r LEFT JOIN _refs USING (ref) "
            "WHERE r.problem IS NOT NULL OR _refs.prompt_id IS NULL"
        ).fetchone() or (0, None)
        if rejected:
            self._reject(con, checked, int(first), int(rejected))

    def _reject(
        self, con: duckdb.DuckDBPyConnection, checked: _Checked, first: int, rejected: int
    ) -> NoReturn:
        ref, problem = con.execute(
            "SELECT ref, problem FROM _rows WHERE _row = ?", [first]
        ).fetchone() or (None, None)
        if problem is None:  # the prompt: _resolve words why, as for log-generation
            problem = f"prompt: {self._unresolved(con, ref)}"
        number, where = checked.source.locate(first)
        more = f" ({rejected} rows rejected)" if rejected > 1 else ""
        path = checked.source.path
        raise ImportRejected(
            f"{path}: {where}: {problem}; nothing imported{more}",
            file=str(path),
            row=number,
            rejected=rejected,
        )

    def _unresolved(self, con: duckdb.DuckDBPyConnection, ref: str) -> str:
        try:
            refs.resolve(con, ref)
        except PromptdeckError as error:
            return str(error)
        raise AssertionError(f"{ref!r} resolves alone but not in bulk")

    # -- writing --------------------------------------------------------------------------

    def _insert(
        self, con: duckdb.DuckDBPyConnection, checked: _Checked, started: datetime
    ) -> ImportSummary:
        # The rows to import, in file order: all but those whose id the library or an
        # earlier row already has.
        con.execute(
            "CREATE TEMP TABLE _fresh AS SELECT *, row_number() OVER (ORDER BY _row) AS _n "
            "FROM (SELECT r.*, f.prompt_id, f.version FROM _rows r JOIN _refs f USING (ref) "
            "WHERE r.given_id IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM generations g WHERE g.id = r.given_id) "
            "QUALIFY r.given_id IS NULL "
            "OR row_number() OVER (PARTITION BY r.given_id ORDER BY r._row) = 1)"
        )
        found = con.execute("SELECT count(*) FROM _fresh").fetchone()
        imported = int(found[0]) if found else 0
        con.register(
            "_ids",
            pa.table(
                {
                    "_n": pa.array(range(1, imported + 1), pa.int64()),
                    "generation_id": new_ids(self._db.new_id, imported),
                    "event_id": new_ids(self._db.new_id, imported),
                }
            ),
        )
        rows = "_fresh JOIN _ids USING (_n) ORDER BY _n"
        con.execute(
            "INSERT INTO generations (id, prompt_id, version, provider, model, tokens_in, "
            "tokens_out, cost_usd, latency_ms, created_at, actor) "
            "SELECT coalesce(given_id, generation_id), prompt_id, version, provider, model, "
            f"tokens_in, tokens_out, cost_usd, latency_ms, created_at, ? FROM {rows}",
            [self._db.actor],
        )
        rollups.add(
            con, "generations", f"id IN (SELECT coalesce(given_id, generation_id) FROM {rows})"
        )
        uses = con.execute(
            "SELECT event_id AS id, prompt_id, version, 'used_in_generation' AS event_type, "
            f"created_at FROM {rows}"
        ).to_arrow_table()
        insert_uses(con, uses, self._db.actor)
        con.unregister("_ids")
        con.execute("DROP TABLE _fresh")
        con.execute("DROP TABLE _refs")
        source = checked.source
        summary = ImportSummary(
            session_id=self._db.new_id(),
            source=source.format,
            file=str(source.path),
            imported=imported,
            skipped=checked.rows.num_rows - imported,
            rejected=0,
            mapping=checked.mapping,
            ignored_columns=tuple(c for c in source.columns if c not in checked.mapping.values()),
        )
        record_session(self._db, con, summary, started, "import_generations")
        return summary


def _private() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for reading and checking: times without an offset are UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None) -> Source:
    found = detect_format(path, fmt)
    if found not in GENERATION_FORMATS:
        raise TransferError(
            f"format: a generations import reads {', '.join(GENERATION_FORMATS)} (got {found!r})",
            file=str(path),
        )
    return read_source(con, path, found)


def _whole(field: str, high: int, *, required: bool) -> str:
    value, raw = field, f"{field}_raw"
    missing = f"{raw} IS NULL OR " if required else ""
    return rule(
        f"{missing}({raw} IS NOT NULL AND ({value} IS NULL OR NOT isfinite({value}) "
        f"OR {value} <> floor({value}) OR {value} NOT BETWEEN 0 AND {high}))",
        field,
        f"must be a whole number from 0 to {high}",
        raw,
    )


def _name(field: str) -> str:
    return " ".join(
        [
            rule(f"{field} IS NULL OR {field} = ''", field, "must not be empty", field),
            rule(
                f"length({field}) > 200 OR regexp_matches({field}, '[\\r\\n]')",
                field,
                "must be one line of at most 200 characters",
                field,
            ),
        ]
    )


# The first bad field of each row, in the order log_generation checks them.
_RULES = " ".join(
    [
        rule("ref IS NULL OR ref = ''", "prompt", "must not be empty", "ref"),
        _name("provider"),
        _name("model"),
        _whole("tokens_in", MAX_TOKENS, required=True),
        _whole("tokens_out", MAX_TOKENS, required=True),
        rule(
            "cost_usd_raw IS NOT NULL AND (cost_usd IS NULL OR NOT isfinite(cost_usd) "
            "OR cost_usd < 0)",
            "cost_usd",
            "must be a number of at least 0",
            "cost_usd_raw",
        ),
        _whole("latency_ms", MAX_LATENCY_MS, required=False),
        rule(
            "created_at_raw IS NOT NULL AND created_at IS NULL",
            "created_at",
            "must be a time like 2026-01-31T14:05 (UTC unless it has an offset)",
            "created_at_raw",
        ),
        rule(
            "created_at > $now", "created_at", "must be a time no later than now", "created_at_raw"
        ),
        rule(
            "length(given_id) > 200 OR regexp_matches(given_id, '[\\r\\n]')",
            "id",
            "must be one line of at most 200 characters",
            "given_id",
        ),
    ]
)


def _checking_sql(mapping: dict[str, str]) -> str:
    def field(name: str) -> str:
        column = mapping.get(name)
        text = f'"{column.replace(chr(34), chr(34) * 2)}"' if column else "NULL::VARCHAR"
        return f"nullif(regexp_replace({text}, '{_SPACE}', '', 'g'), '')"

    return f"""
        WITH mapped AS (
            SELECT _row,
                   {field("prompt")} AS ref,
                   {field("provider")} AS provider,
                   {field("model")} AS model,
                   {field("tokens_in")} AS tokens_in_raw,
                   {field("tokens_out")} AS tokens_out_raw,
                   {field("cost_usd")} AS cost_usd_raw,
                   {field("latency_ms")} AS latency_ms_raw,
                   {field("created_at")} AS created_at_raw,
                   {field("id")} AS given_id
            FROM _raw
        ), typed AS (
            SELECT *,
                   TRY_CAST(tokens_in_raw AS DOUBLE) AS tokens_in,
                   TRY_CAST(tokens_out_raw AS DOUBLE) AS tokens_out,
                   TRY_CAST(cost_usd_raw AS DOUBLE) AS cost_usd,
                   TRY_CAST(latency_ms_raw AS DOUBLE) AS latency_ms,
                   CASE WHEN created_at_raw IS NULL THEN $now::TIMESTAMP
                        ELSE timezone('UTC', TRY_CAST(created_at_raw AS TIMESTAMPTZ)) END
                       AS created_at
            FROM mapped
        ), checked AS (
            SELECT *, CASE {_RULES} END AS problem FROM typed
        )
        SELECT _row, ref, provider, model,
               CASE WHEN problem IS NULL THEN tokens_in::INTEGER END AS tokens_in,
               CASE WHEN problem IS NULL THEN tokens_out::INTEGER END AS tokens_out,
               CASE WHEN problem IS NULL THEN cost_usd END AS cost_usd,
               CASE WHEN problem IS NULL THEN latency_ms::INTEGER END AS latency_ms,
               created_at, given_id, problem
        FROM checked
        ORDER BY _row
    """


# Each distinct reference of a valid row -> its prompt and (current) version, by the rules of
# references._find: an exact id; else an exact name (live prompts first; two is ambiguous);
# else, for an id part, the one id starting or ending with it. Ambiguous or unknown: NULL.
_RESOLVE_SQL = """
CREATE TEMP TABLE _refs AS
WITH refs AS (
    SELECT DISTINCT ref FROM _rows WHERE problem IS NULL
), by_id AS (
    SELECT r.ref, p.id FROM refs r JOIN prompts p ON p.id = r.ref
), by_name AS (
    SELECT r.ref,
           coalesce(nullif(count(*) FILTER (WHERE p.archived_at IS NULL), 0), count(*)) AS n,
           coalesce(min(p.id) FILTER (WHERE p.archived_at IS NULL), min(p.id)) AS id
    FROM refs r JOIN prompts p ON p.name = r.ref
    WHERE r.ref NOT IN (SELECT ref FROM by_id)
    GROUP BY r.ref
), parts AS (
    SELECT ref FROM refs
    WHERE regexp_full_match(ref, $id_part)
      AND ref NOT IN (SELECT ref FROM by_id) AND ref NOT IN (SELECT ref FROM by_name)
), ends AS (  -- each id's start and end of every length asked for: equality joins, not scans
    SELECT p.id, n, left(p.id, n) AS head, right(p.id, n) AS tail
    FROM prompts p, (SELECT DISTINCT length(ref) AS n FROM parts)
), by_part AS (
    SELECT ref, count(*) AS n, min(id) AS id FROM (
        SELECT r.ref, e.id FROM parts r JOIN ends e ON e.n = length(r.ref) AND e.head = r.ref
        UNION
        SELECT r.ref, e.id FROM parts r JOIN ends e ON e.n = length(r.ref) AND e.tail = r.ref
    ) GROUP BY ref
), found AS (
    SELECT r.ref,
           coalesce(i.id, CASE WHEN n.n = 1 THEN n.id END, CASE WHEN t.n = 1 THEN t.id END) AS id
    FROM refs r
    LEFT JOIN by_id i USING (ref) LEFT JOIN by_name n USING (ref) LEFT JOIN by_part t USING (ref)
)
SELECT f.ref, p.id AS prompt_id, p.current_version AS version
FROM found f LEFT JOIN prompts p ON p.id = f.id
"""
