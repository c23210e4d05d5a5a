"""One use of a prompt, recorded inside the caller's transaction: the event row, and the
prompt's use count, last use and relevance (the boost on use from the config table)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb

from storage.config_keys import read_number
from storage.models import UsageEvent


def insert_use(
    con: duckdb.DuckDBPyConnection, event: UsageEvent, values: Mapping[str, str] | None = None
) -> None:
    con.execute(
        "INSERT INTO usage_events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.prompt_id,
            event.version,
            event.event_type,
            event.effectiveness,
            json.dumps(dict(values), ensure_ascii=False) if values else None,
            event.created_at,
        ],
    )
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
