"""Column mappings of an import: `--map FIELD=COLUMN` pairs, then columns named like a field."""

from __future__ import annotations

from collections.abc import Mapping

from storage.errors import TransferError


def parse_pairs(
    pairs: Mapping[str, str] | list[str] | tuple[str, ...],
    fields: tuple[str, ...],
    kind: str,
    renames: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`["name=act", "content=prompt"]` (or a dict) as {field: column}; each field must be one
    of `fields` (a `kind` field, as the message says), after `renames` of accepted spellings."""
    items = (
        list(pairs.items())
        if isinstance(pairs, Mapping)
        else [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in pairs]
    )
    mapping: dict[str, str] = {}
    for target, column in items:
        target = (renames or {}).get(target.strip(), target.strip())
        if target not in fields:
            raise TransferError(
                f"map: {target!r} is not a {kind} field (fields: {', '.join(fields)})"
            )
        if not column.strip():
            raise TransferError(f"map: {target}=COLUMN needs a column name")
        mapping[target] = column.strip()
    return mapping


def resolve_columns(
    columns: tuple[str, ...],
    explicit: Mapping[str, str],
    file: str,
    fields: tuple[str, ...],
    aliases: Mapping[str, tuple[str, ...]],
    *,
    one_field_per_column: bool = False,
) -> dict[str, str]:
    """Explicit pairs, then each remaining field from the first column named like one of its
    aliases (case-insensitive); with `one_field_per_column`, only from a column not yet taken."""
    for target, column in explicit.items():
        if column not in columns:
            raise TransferError(
                f"map: {target}={column}: {file} has no column {column!r} "
                f"(columns: {', '.join(columns)})",
                file=file,
            )
    mapping = dict(explicit)
    taken = set(mapping.values()) if one_field_per_column else set()
    by_lower = {c.lower(): c for c in reversed(columns)}
    for target in fields:
        if target in mapping:
            continue
        for alias in aliases.get(target, (target,)):
            found = by_lower.get(alias)
            if found is not None and found not in taken:
                mapping[target] = found
                if one_field_per_column:
                    taken.add(found)
                break
    return mapping
