"""The rollups: the event tables (usage_events, feedback, generations, runs) summed per day,
per prompt and per tag and phase, which the analytics marts read instead of millions of events.

Every writer keeps them current inside its own transaction:
* after inserting events, `add(con, table, where)` with the rows it inserted;
* around a change to prompts' tags, phase or archived state, `regroup(..., sign=-1)` before
  and `regroup(..., sign=1)` after (a prompt's uses count under the tags it has now);
  a new prompt, `regroup(..., sign=1)` after the insert;
* after creating prompts or saving a version, `authored` (the day's created and edited);
* before deleting prompts, `forget_prompts` (their events, groups and versions go).
Bulk paths (a bulk insert, a restore of an older backup, the migrations that created them)
call `rebuild`. No keys (a team library has none): rows are matched by their key columns,
and rows left with nothing in them are removed. A lake's writers run one at a time under its
advisory lock, so no increment is lost between two clients.

Latency percentiles cannot be summed from days, but they can be read from a histogram: the
latency rollup counts the timed generations per day, provider, model and millisecond (latencies
are whole milliseconds), so a period's percentiles are exact (mart.latency_by_model). A run's
time to the first token is counted with its generation, which the run service writes after
the run (bulk paths rebuild)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

# Each event table as one row per event, in the rollups' terms. `{source}`: the table, or the
# table filtered to the rows an increment is made of.
_COLUMNS = (
    "day, kind, prompt_id, actor, provider, model, rating, tokens_in, tokens_out, cost_usd, "
    "latency_ms, first_token_ms"
)
_NONE = "NULL::INTEGER, 0, 0, NULL::DOUBLE, NULL::INTEGER, NULL::INTEGER"
EVENTS: dict[str, str] = {
    table: f"SELECT * FROM (SELECT {values}) AS e({_COLUMNS})"
    for table, values in {
        "usage_events": "CAST(created_at AS DATE), 'use', prompt_id, coalesce(actor, ''), '', "
        f"'', {_NONE} FROM {{source}}",
        "feedback": "CAST(created_at AS DATE), 'rating', prompt_id, coalesce(actor, ''), '', '', "
        "rating, 0, 0, NULL::DOUBLE, NULL::INTEGER, NULL::INTEGER FROM {source}",
        # A generation that is a run: with the run's time to the first token.
        "generations": "CAST(g.created_at AS DATE), 'generation', g.prompt_id, "
        "coalesce(g.actor, ''), g.provider, g.model, NULL::INTEGER, g.tokens_in, g.tokens_out, "
        "g.cost_usd, g.latency_ms, r.first_token_ms FROM {source} AS g "
        "LEFT JOIN runs r ON r.id = g.id",
        "runs": "CAST(created_at AS DATE), 'run', prompt_id, coalesce(actor, ''), '', '', "
        f"{_NONE} FROM {{source}}",
    }.items()
}
_LOOKUPS = 100  # an increment of more prompts than this joins them instead of looking them up
_ALL_EVENTS = " UNION ALL ".join(sql.format(source=table) for table, sql in EVENTS.items())

# Each prompt's groups: a row per tag it carries and one for its phase ('' when none).
_GROUPS = (
    "SELECT id, 'tag' AS dim, unnest(tags) AS key, archived_at IS NULL AS live "
    "FROM prompts WHERE {where} "
    "UNION ALL SELECT id, 'phase', coalesce(phase, ''), archived_at IS NULL "
    "FROM prompts WHERE {where}"
)


@dataclass(frozen=True)
class Rollup:
    """A rollup table: its key and summed columns, the rows left empty, and how its rows are
    made from events (`{events}`: rows of EVENTS' columns; `{groups}`: the prompts' groups
    for a join; `{sign}`: 1 to add, -1 to take away), or, for a rollup of the prompts
    themselves (`from_events` None), all of them from the raw rows (`raw`)."""

    name: str
    key: tuple[str, ...]
    sums: tuple[str, ...]
    empty: str
    from_events: str | None
    raw: str | None = None


def prompt_key(prompt_id: str) -> str:
    """SQL: rollup_prompt_daily's `prompt_key` of the id `prompt_id` (a column or a `?`)."""
    return f"CAST(md5_number_lower({prompt_id}) >> 1 AS BIGINT)"


def prompt_key_of(prompt_id: str) -> int:
    """The same key, computed here: for a hundred ids 0.1 ms, where a query given them as a
    list took 10-28 ms at a million prompts."""
    digest = hashlib.md5(prompt_id.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[8:], "little") >> 1  # md5_number_lower: its last 8 bytes


_BY_PROMPT = f"""
SELECT day, prompt_id, {prompt_key("prompt_id")} AS prompt_key,
       {{sign}} * count(*) FILTER (WHERE kind = 'use')    AS uses,
       {{sign}} * count(*) FILTER (WHERE kind = 'rating') AS ratings,
       {{sign}} * coalesce(sum(rating), 0)                AS rating_sum
FROM ({{events}}) e WHERE kind IN ('use', 'rating')
GROUP BY day, prompt_id
"""
DAILY = Rollup(
    "rollup_daily",
    ("day", "kind", "actor", "provider", "model"),
    (
        "events",
        "rating_sum",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "costed",
        "uncosted_tokens_in",
        "uncosted_tokens_out",
        "latency_ms_sum",
        "timed",
    ),  # fmt: skip
    "events = 0",
    """
SELECT day, kind, actor, provider, model,
       {sign} * count(*)                                       AS events,
       {sign} * coalesce(sum(rating), 0)                       AS rating_sum,
       {sign} * coalesce(sum(tokens_in), 0)                    AS tokens_in,
       {sign} * coalesce(sum(tokens_out), 0)                   AS tokens_out,
       {sign} * coalesce(sum(cost_usd), 0)                     AS cost_usd,
       {sign} * count(cost_usd)                                AS costed,
       {sign} * coalesce(sum(tokens_in) FILTER (WHERE cost_usd IS NULL), 0)  AS uncosted_tokens_in,
       {sign} * coalesce(sum(tokens_out) FILTER (WHERE cost_usd IS NULL), 0) AS uncosted_tokens_out,
       {sign} * coalesce(sum(latency_ms), 0)                   AS latency_ms_sum,
       {sign} * count(latency_ms)                              AS timed
FROM ({events}) e
GROUP BY day, kind, actor, provider, model
""",
)
PROMPT_DAILY = Rollup(
    "rollup_prompt_daily",
    ("day", "prompt_id", "prompt_key"),
    ("uses", "ratings", "rating_sum"),
    "uses = 0 AND ratings = 0",
    _BY_PROMPT,
)
PROMPT_TOTALS = Rollup(
    "rollup_prompt_totals",
    ("prompt_id",),
    ("uses", "ratings", "rating_sum"),
    "uses = 0 AND ratings = 0",
    "SELECT prompt_id, sum(uses) AS uses, sum(ratings) AS ratings, sum(rating_sum) AS rating_sum "
    f"FROM ({_BY_PROMPT}) GROUP BY prompt_id",
)
GROUP_DAILY = Rollup(
    "rollup_group_daily",
    ("day", "dim", "key"),
    ("uses", "ratings", "rating_sum"),
    "uses = 0 AND ratings = 0",
    "SELECT p.day, g.dim, g.key, sum(p.uses) AS uses, sum(p.ratings) AS ratings, "
    f"sum(p.rating_sum) AS rating_sum FROM ({_BY_PROMPT}) p "
    "JOIN ({groups}) g ON g.id = p.prompt_id GROUP BY p.day, g.dim, g.key",
)
_LIVE_GROUPS = (
    "SELECT dim, key, {sign} * count(*) AS prompts FROM ({groups}) g WHERE live GROUP BY dim, key"
)
GROUP_PROMPTS = Rollup(
    "rollup_group_prompts",
    ("dim", "key"),
    ("prompts",),
    "prompts = 0",
    None,
    _LIVE_GROUPS.format(sign=1, groups=_GROUPS.format(where="true")),
)
# Per day: the prompts created, and the versions saved after the first (schema version 11).
# `{where}`: the prompts counted; `{versions}`: their versions that are edits.
_AUTHORED = """
SELECT day, sum(created) AS created, sum(edited) AS edited FROM (
    SELECT CAST(created_at AS DATE) AS day, {sign} * count(*) AS created, 0 AS edited
    FROM prompts WHERE {where} GROUP BY 1
    UNION ALL
    SELECT CAST(created_at AS DATE), 0, {sign} * count(*)
    FROM prompt_versions WHERE {versions} GROUP BY 1
) GROUP BY day
"""
AUTHORED = Rollup(
    "rollup_authored_daily",
    ("day",),
    ("created", "edited"),
    "created = 0 AND edited = 0",
    None,
    _AUTHORED.format(sign=1, where="true", versions="version > 1"),
)


def series_key(provider: str, model: str, measure: str) -> str:
    """SQL: rollup_latency_daily's `series` of a provider, model and measure (columns or
    literals); schema.sql's mart.latency_by_model spells the same expression."""
    return (
        f"CAST(md5_number_lower({provider} || chr(0) || {model} || chr(0) || {measure}) >> 1 "
        "AS BIGINT)"
    )


# Per day, provider, model, measure ('total': latency_ms; 'first_token': the run's
# first_token_ms) and millisecond: the timed generations (schema version 10).
_TIMED = "FROM ({events}) e WHERE kind = 'generation' AND latency_ms IS NOT NULL"
_TOTAL = series_key("provider", "model", "'total'")
_FIRST = series_key("provider", "model", "'first_token'")
LATENCY = Rollup(
    "rollup_latency_daily",
    ("day", "provider", "model", "measure", "series", "ms"),
    ("events",),
    "events = 0",
    f"SELECT day, provider, model, 'total' AS measure, {_TOTAL} AS series, latency_ms AS ms, "
    f"{{sign}} * count(*) AS events {_TIMED} GROUP BY day, provider, model, latency_ms "
    f"UNION ALL SELECT day, provider, model, 'first_token', {_FIRST}, first_token_ms, "
    f"{{sign}} * count(*) {_TIMED} AND first_token_ms IS NOT NULL "
    "GROUP BY day, provider, model, first_token_ms",
)
ROLLUPS = (DAILY, PROMPT_DAILY, PROMPT_TOTALS, GROUP_DAILY, GROUP_PROMPTS, LATENCY, AUTHORED)
# The rollups each schema version added (its migration builds them).
ADDED_IN = {9: ROLLUPS[:5], 10: (LATENCY,), 11: (AUTHORED,)}
# The tables the rollups are made from: a bulk load of any of them rebuilds the rollups.
SOURCES = frozenset({*EVENTS, "prompts", "prompt_versions"})
# The rollups each event table adds to (generations and runs are neither uses nor ratings).
_ADDS_TO = {
    "usage_events": (DAILY, PROMPT_DAILY, PROMPT_TOTALS, GROUP_DAILY),
    "feedback": (DAILY, PROMPT_DAILY, PROMPT_TOTALS, GROUP_DAILY),
    "generations": (DAILY, LATENCY),
    "runs": (DAILY,),
}

_HISTORY = (
    "SELECT r.day, g.dim, g.key, {sign} * sum(r.uses) AS uses, {sign} * sum(r.ratings) AS "
    "ratings, {sign} * sum(r.rating_sum) AS rating_sum FROM rollup_prompt_daily r "
    "JOIN ({groups}) g ON g.id = r.prompt_id GROUP BY r.day, g.dim, g.key"
)


def from_raw(rollup: Rollup) -> str:
    """SQL: every row of `rollup` as the raw rows make it (what `rebuild` writes, and what
    the tests compare the rollups with)."""
    if rollup.from_events is None:
        assert rollup.raw is not None
        return rollup.raw
    groups = _GROUPS.format(where="true")
    events = _ALL_EVENTS
    if rollup is LATENCY:  # the generations alone, not every event table
        events = EVENTS["generations"].format(source="generations")
    return rollup.from_events.format(sign=1, events=events, groups=groups)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every rollup recomputed from the raw rows (after a bulk load or a restore)."""
    for statement in rebuild_statements(ROLLUPS):
        con.execute(statement)


def rebuild_statements(chosen: tuple[Rollup, ...]) -> tuple[str, ...]:
    """SQL: the rollups `chosen` recomputed from the raw rows (what the migrations that add
    them run)."""
    statements: list[str] = []
    for rollup in chosen:
        columns = ", ".join((*rollup.key, *rollup.sums))
        statements.append(f"DELETE FROM {rollup.name}")
        statements.append(  # ordered by the key, day first: a day's rows stay together
            f"INSERT INTO {rollup.name} ({columns}) SELECT {columns} FROM ({from_raw(rollup)}) "
            f"ORDER BY {', '.join(rollup.key)}"
        )
    return tuple(statements)


def add(
    con: duckdb.DuckDBPyConnection, table: str, where: str, params: list[object] | None = None
) -> None:
    """Add the just inserted rows of `table` matching `where` to every rollup; inside the
    caller's transaction."""
    source = f"(SELECT * FROM {table} WHERE {where})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _events AS {EVENTS[table]}".format(source=source),
                params or [])  # fmt: skip
    prompts = [row[0] for row in con.execute("SELECT DISTINCT prompt_id FROM _events").fetchall()]
    if not prompts:  # nothing was inserted (every row a duplicate, say)
        con.execute("DROP TABLE _events")
        return
    if len(prompts) <= _LOOKUPS:  # by the prompts' key, not a scan of every prompt
        where, ids = f"id IN ({', '.join('?' * len(prompts))})", prompts
    else:
        where, ids = "id IN (SELECT prompt_id FROM _events)", []
    groups = _GROUPS.format(where=where)
    for rollup in _ADDS_TO[table]:
        assert rollup.from_events is not None
        delta = rollup.from_events.format(sign=1, events="SELECT * FROM _events", groups=groups)
        _merge(con, rollup, delta, [*ids, *ids] if rollup is GROUP_DAILY else [],
               remove_empty=False)  # fmt: skip
    con.execute("DROP TABLE _events")


def regroup(
    con: duckdb.DuckDBPyConnection,
    where: str,
    params: list[object],
    *,
    sign: int,
    history: bool = True,
) -> None:
    """Take away (sign=-1, before a change) or add (sign=1, after it) the prompts matching
    `where` in the tag and phase rollups: their live count and (`history`: their tags or phase
    may change) their uses and ratings by day."""
    groups = _GROUPS.format(where=where)
    both = [*params, *params]  # `where` appears twice in _GROUPS
    _merge(con, GROUP_PROMPTS, _LIVE_GROUPS.format(sign=sign, groups=groups), both,
           remove_empty=sign < 0)  # fmt: skip
    if history:
        _merge(con, GROUP_DAILY, _HISTORY.format(sign=sign, groups=groups), both,
               remove_empty=sign < 0)  # fmt: skip


# A save's count: its day (as CAST gives it for the timestamp written), created, edited.
_AUTHORED_AT = (
    "SELECT CAST(CAST(? AS TIMESTAMP) AS DATE) AS day, ?::BIGINT AS created, ?::BIGINT AS edited"
)


def authored(
    con: duckdb.DuckDBPyConnection, at: datetime, *, created: int = 0, edited: int = 0
) -> None:
    """Count `created` prompts and `edited` versions (after the first) saved at `at` (the
    timestamp written with them); inside the caller's transaction."""
    if created or edited:
        _merge(con, AUTHORED, _AUTHORED_AT, [at, created, edited], remove_empty=False)


def forget_prompts(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> None:
    """Take away every event, group and version of the prompts whose id matches `where`,
    before they and their events are deleted."""
    regroup(con, where, params, sign=-1)
    chosen = f"prompt_id IN (SELECT id FROM prompts WHERE {where})"
    versions = f"version > 1 AND {chosen}"
    _merge(con, AUTHORED, _AUTHORED.format(sign=-1, where=where, versions=versions),
           params * 2, remove_empty=True)  # fmt: skip
    for table, events in EVENTS.items():
        source = f"(SELECT * FROM {table} WHERE {chosen})"
        for rollup in (DAILY, LATENCY) if table == "generations" else (DAILY,):
            assert rollup.from_events is not None
            delta = rollup.from_events.format(sign=-1, events=events.format(source=source),
                                              groups="")  # fmt: skip
            uses = rollup.from_events.count("{events}")  # each use of the events: `where` again
            _merge(con, rollup, delta, params * uses, remove_empty=True)
    for rollup in (PROMPT_DAILY, PROMPT_TOTALS):
        con.execute(f"DELETE FROM {rollup.name} WHERE {chosen}", params)


def _merge(
    con: duckdb.DuckDBPyConnection,
    rollup: Rollup,
    delta: str,
    params: list[object],
    *,
    remove_empty: bool,
) -> None:
    """Add `delta` (rows of `rollup`, one per key) to `rollup`: rows that exist grow, new
    keys are inserted, and after a subtraction rows left with nothing are removed."""
    match = " AND ".join(f"r.{c} = d.{c}" for c in rollup.key)
    grow = ", ".join(f"{c} = r.{c} + d.{c}" for c in rollup.sums)
    table = rollup.name
    con.execute(f"UPDATE {table} AS r SET {grow} FROM ({delta}) AS d WHERE {match}", params)
    columns = (*rollup.key, *rollup.sums)
    con.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(f'd.{c}' for c in columns)} FROM ({delta}) AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE {match})",
        params,
    )
    if remove_empty:
        con.execute(f"DELETE FROM {table} WHERE {rollup.empty}")
