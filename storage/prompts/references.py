"""How a user names a prompt: id, name, a unique start or end of an id, and `@pin` suffixes.
Every service that takes a reference resolves it here, inside its own transaction."""

from __future__ import annotations

import re

import duckdb

from storage.db import rows
from storage.errors import AmbiguousReference, NotFound
from storage.models import Prompt, PromptVersion, Resolved, short_id

_ID_PART = re.compile(r"^[0-9a-f-]{6,36}$")


def prompt_by_id(con: duckdb.DuckDBPyConnection, prompt_id: str) -> Prompt | None:
    row = con.execute(
        f"SELECT {rows.select_list(rows.PROMPT_COLUMNS)} FROM prompts WHERE id = ?", [prompt_id]
    ).fetchone()
    return rows.prompt(row) if row else None


def resolve(con: duckdb.DuckDBPyConnection, ref: str) -> Resolved:
    """A prompt by exact id, exact name, or a unique start or end of its id.
    `REF@label` or `REF@N` pins a version (`REF@latest` is the current one)."""
    found = _find(con, ref)
    if found is not None:
        return Resolved(found)
    base, at, pin = ref.rpartition("@")
    if at and base:
        found = _find(con, base)
        if found is not None:
            return Resolved(found, _pinned_version(con, found, pin))
    raise NotFound(f"no prompt matches {ref!r}")


def version(con: duckdb.DuckDBPyConnection, prompt: Prompt, number: int) -> PromptVersion:
    row = con.execute(
        f"SELECT {rows.select_list(rows.VERSION_COLUMNS)} FROM prompt_versions "
        "WHERE prompt_id = ? AND version = ?",
        [prompt.id, number],
    ).fetchone()
    if row is None:
        raise NotFound(
            f"prompt {prompt.name!r} has no version {number} (versions 1..{prompt.current_version})"
        )
    return rows.version(row)


def _find(con: duckdb.DuckDBPyConnection, ref: str) -> Prompt | None:
    ref = ref.strip()
    if not ref:
        raise NotFound("no prompt matches an empty reference")
    by_id = prompt_by_id(con, ref)
    if by_id is not None:
        return by_id
    named = con.execute(
        "SELECT id, archived_at IS NOT NULL FROM prompts WHERE name = ? ORDER BY 2, id", [ref]
    ).fetchall()
    live = [row[0] for row in named if not row[1]]
    candidates = live or [row[0] for row in named]
    if len(candidates) > 1:
        raise AmbiguousReference(
            f"{ref!r} names {len(candidates)} prompts "
            f"({', '.join(short_id(c) for c in candidates[:5])}); use an id"
        )
    if candidates:
        return prompt_by_id(con, candidates[0])
    if _ID_PART.match(ref):
        # UUID v7 ids start with their timestamp, so the short form people copy is the end.
        ids = con.execute(
            "SELECT id FROM prompts WHERE starts_with(id, ?) OR ends_with(id, ?) "
            "ORDER BY id LIMIT 6",
            [ref, ref],
        ).fetchall()
        if len(ids) > 1:
            raise AmbiguousReference(
                f"id part {ref!r} matches {len(ids)}{'+' if len(ids) > 5 else ''} prompts; "
                "type more of it"
            )
        if ids:
            return prompt_by_id(con, ids[0][0])
    return None


def _pinned_version(con: duckdb.DuckDBPyConnection, prompt: Prompt, pin: str) -> PromptVersion:
    if pin == "latest":
        number = prompt.current_version
    elif pin.isdigit():
        number = int(pin)
    else:
        row = con.execute(
            "SELECT version FROM prompt_labels WHERE prompt_id = ? AND label = ?",
            [prompt.id, pin],
        ).fetchone()
        if row is None:
            raise NotFound(f"prompt {prompt.name!r} has no label {pin!r}")
        number = row[0]
    return version(con, prompt, number)
