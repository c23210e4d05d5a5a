"""Validation and normalisation of a whole import batch in one DuckDB query.

The rules (and the wording of the messages) are storage/validation.py's, applied to every
row at once: the first rejected row, in file order, is reported with the number of rejected
rows. Cleaned values come out as they would from validation.clean_fields."""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from storage.errors import ValidationError
from storage.models import EDITABLE_FIELDS, FORMAT_TYPES
from storage.prompts import roles
from storage.prompts.validation import (
    FOLDER_ABSOLUTE,
    FOLDER_BACKSLASH,
    FOLDER_DOTS,
    FOLDER_EMPTY,
    MAX_CONTENT_BYTES,
    MAX_NAME,
    MAX_NESTING,
    MAX_TAG,
    nesting_depth,
)

# Fields an import can fill (the editable ones), in the order clean_fields checks them.
IMPORT_FIELDS: tuple[str, ...] = (
    "name",
    "content",
    *(f for f in EDITABLE_FIELDS if f not in ("name", "content")),
)
_ROLE_MARKER = r"\{\{\s*role\b"  # a content that may hold role sections
_OPTIONAL_TEXT = ("phase", "provider", "model", "persona", "target_model_family", "language")
# What Python's str.isspace() (and so str.strip()) counts as whitespace, for RE2.
_SPACE = (
    r"\s\x0b\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)


def _strip(column: str) -> str:
    """str.strip() in SQL (DuckDB's trim() removes spaces only)."""
    return f"regexp_replace({column}, '^[{_SPACE}]+|[{_SPACE}]+$', '', 'g')"


def got(column: str) -> str:
    """` (got '...')`, as ValidationError words it (long values cut at 40 characters,
    backslashes doubled as repr() doubles them)."""
    shown = (
        f"CASE WHEN length({column}) > 40 THEN left({column}, 40) || '…' "
        f"ELSE coalesce({column}, '') END"
    )
    return f"' (got ''' || replace({shown}, '\\', '\\\\') || ''')'"


def rule(condition: str, field: str, reason: str, column: str) -> str:
    return f"WHEN {condition} THEN '{field}: {reason}' || {got(column)}"


_FORMATS = ", ".join(f"'{f}'" for f in FORMAT_TYPES)
# clean_folder's checks in its order, on the raw value, its stripped text and its parts.
_FOLDER_RULES = (
    rule("contains(folder_raw, chr(0))", "folder", "must not contain NUL characters", "''"),
    rule(
        "strlen(folder_raw) > 400",
        "folder",
        "must be at most 400 bytes",
        "strlen(folder_raw)::VARCHAR || ' bytes'",
    ),
    rule("contains(folder_text, chr(10))", "folder", "must be one line", "folder_raw"),
    rule("contains(folder_text, '\\')", "folder", FOLDER_BACKSLASH, "folder_raw"),
    rule("starts_with(folder_text, '/')", "folder", FOLDER_ABSOLUTE, "folder_raw"),
    rule(
        "folder_parts <> [''] AND list_contains(folder_parts, '')",
        "folder",
        FOLDER_EMPTY,
        "folder_raw",
    ),
    rule("list_has_any(folder_parts, ['.', '..'])", "folder", FOLDER_DOTS, "folder_raw"),
)
_RULES = " ".join(
    [
        rule("name IS NULL OR name = ''", "name", "must not be empty", "name_raw"),
        rule(
            f"length(name) > {MAX_NAME}", "name", f"must be at most {MAX_NAME} characters", "name"
        ),
        rule("regexp_matches(name, '[\\r\\n]')", "name", "must be one line", "name"),
        rule("contains(name, chr(0))", "name", "must not contain NUL characters", "name"),
        rule(
            f"content IS NULL OR NOT regexp_matches(content, '[^{_SPACE}]')",
            "content",
            "must not be empty",
            "content",
        ),
        rule(
            f"strlen(content) > {MAX_CONTENT_BYTES}",
            "content",
            f"must be at most {MAX_CONTENT_BYTES} bytes",
            "strlen(content)::VARCHAR || ' bytes'",
        ),
        rule("contains(content, chr(0))", "content", "must not contain NUL characters", "''"),
        rule(
            "strlen(description) > 65536",
            "description",
            "must be at most 65536 bytes",
            "strlen(description)::VARCHAR || ' bytes'",
        ),
        *_FOLDER_RULES,
        rule("tag_json IS NOT NULL", "tag", "must be text, not a JSON object or list", "tag_json"),
        rule("list_count(tags) < len(tags)", "tag", "must be text", "'None'"),
        rule("list_contains(tags, '')", "tag", "must not be empty", "''"),
        rule(
            "bad_tag IS NOT NULL",
            "tag",
            f"must be one line of at most {MAX_TAG} characters, no commas",
            "bad_tag",
        ),
        rule(
            "temperature_raw IS NOT NULL AND temperature IS NULL",
            "temperature",
            "must be a number between 0 and 2",
            "temperature_raw",
        ),
        rule(
            "isnan(temperature) OR temperature NOT BETWEEN 0 AND 2",
            "temperature",
            "must be between 0 and 2",
            "temperature_raw",
        ),
        rule(
            "max_tokens_raw IS NOT NULL AND max_tokens IS NULL",
            "max_tokens",
            "must be a whole number",
            "max_tokens_raw",
        ),
        rule(
            "max_tokens NOT BETWEEN 1 AND 10000000",
            "max_tokens",
            "must be between 1 and 10000000",
            "max_tokens_raw",
        ),
        rule(
            f"format_type NOT IN ({_FORMATS})",
            "format_type",
            f"must be one of {', '.join(FORMAT_TYPES)}",
            "format_type",
        ),
        rule(
            "coalesce(json_type(TRY_CAST(metadata AS JSON)), '') <> 'OBJECT'",
            "metadata",
            "must be a JSON object",
            "metadata",
        ),
    ]
)


def _tags(column: str) -> str:
    """A JSON array of text, or text split on ; and , (empty pieces dropped)."""
    return (
        f"CASE WHEN {column} IS NULL OR trim({column}) = '' THEN []::VARCHAR[] "
        f"WHEN starts_with(ltrim({column}), '[') AND json_valid({column}) "
        f"THEN list_transform(from_json({column}, '[\"VARCHAR\"]'), lambda t: {_strip('t')}) "
        f"ELSE list_filter(list_transform(string_split_regex({column}, '[;,]'), "
        f"lambda t: {_strip('t')}), lambda t: t <> '') END"
    )


def _tag_json(column: str) -> str:
    """The JSON object given as tags, or the first object or list among a JSON array's items
    (which would otherwise be kept as their JSON text)."""
    return (
        f"CASE WHEN json_valid({column}) AND json_type({column}) = 'OBJECT' THEN {column} "
        f"WHEN starts_with(ltrim({column}), '[') AND json_valid({column}) "
        f"THEN list_filter(TRY_CAST({column} AS JSON[]), "
        "lambda e: json_type(e) IN ('OBJECT', 'ARRAY'))[1]::VARCHAR END"
    )


def _not_text(kinds: Mapping[str, str]) -> str:
    """Rules refusing every value of a name or content column whose file typed it other than
    as text (a Parquet number), before any rule reads it as text."""
    return " ".join(
        rule(f"{raw} IS NOT NULL", field, f"must be text (the column is {kinds[field]})", raw)
        for field, raw in (("name", "name_raw"), ("content", "content"))
        if field in kinds
    )


def clean_batch(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    mapping: dict[str, str],
    kinds: Mapping[str, str] | None = None,
) -> tuple[pa.Table, int, int | None, str | None]:
    """(cleaned rows, rejected count, first rejected _row, its reason) for the raw rows, whose
    columns `mapping` (field -> column) assigns to prompt fields. `kinds` names the fields
    whose column is not text in the file, and its type."""

    def field(name: str) -> str:
        column = mapping.get(name)
        return f'"{column.replace(chr(34), chr(34) * 2)}"' if column else "NULL::VARCHAR"

    con.register("_raw", raw)
    optional = ", ".join(f"nullif({_strip(field(f))}, '') AS {f}" for f in _OPTIONAL_TEXT)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _checked AS
        WITH mapped AS (
            SELECT _row,
                   {field("name")} AS name_raw,
                   {_strip(field("name"))} AS name,
                   {field("content")} AS content,
                   coalesce({_strip(field("description"))}, '') AS description,
                   {field("folder")} AS folder_raw,
                   coalesce({_strip(field("folder"))}, '') AS folder_text,
                   {_tags(field("tags"))} AS tag_list,
                   {_tag_json(field("tags"))} AS tag_json,
                   nullif({_strip(field("temperature"))}, '') AS temperature_raw,
                   nullif({_strip(field("max_tokens"))}, '') AS max_tokens_raw,
                   coalesce(nullif({_strip(field("format_type"))}, ''), 'auto') AS format_type,
                   coalesce(nullif({_strip(field("metadata"))}, ''), '{{}}') AS metadata,
                   {optional}
            FROM _raw
        ), typed AS (
            SELECT * EXCLUDE (tag_list),
                   array_to_string(folder_parts, '/') AS folder,
                   list_filter(tag_list, lambda t, i: list_position(tag_list, t) = i) AS tags,
                   list_filter(tag_list, lambda t: length(t) > {MAX_TAG} OR contains(t, ',')
                       OR regexp_matches(t, '[\\t\\n\\r\\x0b\\x0c]'))[1] AS bad_tag,
                   TRY_CAST(temperature_raw AS DOUBLE) AS temperature,
                   CASE WHEN regexp_full_match(max_tokens_raw, '[+-]?[0-9]{{1,18}}')
                        THEN max_tokens_raw::BIGINT END AS max_tokens
            FROM (SELECT *, list_transform(string_split(regexp_replace(folder_text, '/$', ''),
                      '/'), lambda p: {_strip("p")}) AS folder_parts FROM mapped)
        )
        SELECT *, CASE {_not_text(kinds or {})} {_RULES} END AS problem FROM typed
        """
    )
    con.unregister("_raw")
    rejected, first_row = con.execute(
        "SELECT count(*), min(_row) FROM _checked WHERE problem IS NOT NULL"
    ).fetchone() or (0, None)
    reason = None
    if rejected:
        found = con.execute("SELECT problem FROM _checked WHERE _row = ?", [first_row]).fetchone()
        reason = found[0] if found else None
    columns = ", ".join(IMPORT_FIELDS)
    cleaned = con.execute(
        f"SELECT _row, {columns}, sha256(content) AS content_hash FROM _checked "
        "WHERE problem IS NULL"
    ).to_arrow_table()
    con.execute("DROP TABLE _checked")
    if not rejected:
        rejected, first_row = _too_deep(cleaned)
        reason = f"metadata: nests more than {MAX_NESTING} levels of objects and lists"
    if not rejected:
        rejected, first_row, reason = _bad_roles(cleaned)
    return cleaned, int(rejected), first_row, reason


def _bad_roles(cleaned: pa.Table) -> tuple[int, int | None, str | None]:
    """(count, first _row, its reason) of the rows whose role sections cannot be read, as a
    save refuses them (only contents with a role marker are parsed)."""
    marked = cleaned.filter(pc.match_substring_regex(cleaned.column("content"), _ROLE_MARKER))
    problems: dict[int, str] = {}
    for row, content in zip(
        marked.column("_row").to_pylist(), marked.column("content").to_pylist(), strict=True
    ):
        try:
            roles.check(content)
        except ValidationError as error:
            problems[row] = str(error)
    first = min(problems, default=None)
    return len(problems), first, None if first is None else problems[first]


def _too_deep(cleaned: pa.Table) -> tuple[int, int | None]:
    """(count, first _row) of the rows whose metadata nests past MAX_NESTING (SQL cannot
    measure it; only texts with that many brackets are parsed)."""
    rows: list[int] = []
    for row, text in zip(
        cleaned.column("_row").to_pylist(), cleaned.column("metadata").to_pylist(), strict=True
    ):
        if text.count("{") + text.count("[") <= MAX_NESTING:
            continue
        try:
            deep = nesting_depth(json.loads(text)) > MAX_NESTING
        except RecursionError:
            deep = True
        if deep:
            rows.append(row)
    return len(rows), min(rows, default=None)
