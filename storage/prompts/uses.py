"""One use of a prompt, recorded inside the caller's transaction: the event row, and the
prompt's use count, last use and relevance (the boost on use from the config table); or many
uses at once, as a bulk import records them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import duckdb

from storage.analytics.config_keys import read_number
from storage.db import rollups
from storage.models import UsageEvent

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]


def insert_use(
    con: duckdb.DuckDBPyConnection,
    event: UsageEvent,
    values: Mapping[str, str] | None,
    actor: str,
) -> None:
    con.execute(
        "INSERT INTO usage_events (id, prompt_id, version, event_type, effectiveness, "
        "variables, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.prompt_id,
            event.version,
            event.event_type,
            event.effectiveness,
            json.dumps(dict(values), ensure_ascii=False) if values else None,
            event.created_at,
            actor,
        ],
    )
    rollups.add(con, "usage_events", "id = ?", [event.id])
    # A use logged after the fact (a generation's own time) never moves the last use back.
    con.execute(
        "UPDATE prompts SET usage_count = usage_count + 1, "
        "last_used_at = greatest(coalesce(last_used_at, ?), ?), "
        "relevance_score = least(1.0, relevance_score + ?) WHERE id = ?",
        [
            event.created_at,
            event.created_at,
            read_number(con, "relevance_boost_on_use"),
            event.prompt_id,
        ],
    )


def insert_uses(con: duckdb.DuckDBPyConnection, events: pa.Table, actor: str) -> None:
    """Many uses at once, as insert_use records each: `events` has the columns id, prompt_id,
    version, event_type, created_at. Each prompt's count grows by its events, its last use
    moves to the latest of them (never back) and its relevance by the boost per event."""
    con.register("_uses", events)
    con.execute(
        "INSERT INTO usage_events (id, prompt_id, version, event_type, created_at, actor) "
        "SELECT id, prompt_id, version, event_type, created_at, ? FROM _uses",
        [actor],
    )
    rollups.add(con, "usage_events", "id IN (SELECT id FROM _uses)")
    con.execute(
        "UPDATE prompts SET usage_count = usage_count + u.n, "
        "last_used_at = greatest(coalesce(last_used_at, u.latest), u.latest), "
        "relevance_score = least(1.0, relevance_score + ? * u.n) "
        "FROM (SELECT prompt_id, count(*) AS n, max(created_at) AS latest FROM _uses "
        "GROUP BY prompt_id) u WHERE prompts.id = u.prompt_id",
        [read_number(con, "relevance_boost_on_use")],
    )
    con.unregister("_uses")
