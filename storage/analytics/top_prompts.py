"""A period's top prompts (by uses, and by average rating) from the rollups, without summing
every prompt's days of the period and without joining every prompt: at a million prompts both
are millions of rows.

By use: a prompt's uses in a period are at most its uses of all time (rollup_prompt_totals).
So the prompts with the most uses of all time are the candidates: their uses in the period
are summed, and the answer is exact once the least of the candidates' all-time uses is below
the tenth best in the period (no prompt left out can reach it, nor tie it). Else more
candidates are taken, up to every prompt. Uses are skewed (a few prompts get most of them), so
a few dozen candidates settle it. Only the most used of them are looked up for their names and
whether they are live, a few at a time until ten live ones are found.

By rating: the ratings of the period are grouped per prompt (from feedback itself: a prompt
rated on a day is rated about once, so a rollup per day and prompt would be as long; and
rollup_prompt_daily, by day, would be read whole for the few rated rows), ranked by average,
number of ratings and id (the older prompt first: ids are time ordered), and only the first
of them are looked up by id for their names and whether they are live, more of them while
archived ones leave the list short. (A tie-break by name needed the names of every prompt
tied at the tenth best: 900-2,000 of them at a million prompts, 20-100 ms of lookups.)

Both look prompts up with their ids or keys written into the SQL as literals: DuckDB turns a
literal IN list into a lookup in the prompts' key index (or a filter inside the scan of
rollup_prompt_daily), where a list passed as parameters becomes a join over every row (5-10
times slower at a million prompts)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from storage.analytics.models import TopPrompt
from storage.db.ids import literal_list
from storage.db.rollups import prompt_key_of

TOP = 10  # rows of each list
FIRST = 128  # candidates tried first; times GROWTH each time that does not settle it
GROWTH = 4

# The `$k` prompts with most uses of all time, and the least of their uses.
_MOST_USED = (
    "SELECT prompt_id, uses FROM rollup_prompt_totals ORDER BY uses DESC, prompt_id LIMIT ?"
)
# Uses and ratings of the prompts `?` (a list) of all time; in the period (from day `?`), per
# key of the prompts whose key is one of `{keys}` (numbers: only the keys are read, not the
# ids, which would be read for every row of the period; two prompts share a 63-bit key with a
# chance of about 1e-11 at a million prompts).
_ALL_TIME = """
SELECT prompt_id, uses, ratings, rating_sum FROM rollup_prompt_totals
WHERE prompt_id IN (SELECT unnest(?::VARCHAR[]))
"""
_PERIOD = """
SELECT prompt_key, sum(uses), sum(ratings), sum(rating_sum) FROM rollup_prompt_daily
WHERE day >= ? AND prompt_key IN ({keys})
GROUP BY prompt_key
"""
# The `$k` best rated prompts of the period by average, number of ratings and id.
_BEST_RATED = """
WITH rated AS (
    SELECT prompt_id, ratings, rating_sum FROM rollup_prompt_totals
    WHERE $since IS NULL AND ratings > 0
    UNION ALL
    SELECT prompt_id, count(*), sum(rating) FROM feedback
    WHERE $since IS NOT NULL AND created_at >= CAST($since AS TIMESTAMP)
    GROUP BY prompt_id
)
SELECT prompt_id FROM rated ORDER BY rating_sum / ratings DESC, ratings DESC, prompt_id LIMIT $k
"""
# Up to LOOKUPS prompts are looked up in the key index by literal IN lists, a BATCH at a time:
# DuckDB uses the index for a list of up to about a thousandth of the rows (~0.05 ms an id at
# a million prompts; past that it scans them all, 140-370 ms); more are found by one scan.
LOOKUPS, BATCH = 4096, 512


def top_prompts(
    con: duckdb.DuckDBPyConnection, since: date | None
) -> tuple[list[TopPrompt], list[TopPrompt]]:
    """The period's live prompts with most uses (ties: name), and with the best average
    rating (ties: more ratings, then the older prompt), TOP of each."""
    best_rated = _best_rated(con, since)
    k = FIRST
    while True:
        most_used = con.execute(_MOST_USED, [k]).fetchall()
        sums = _sums(con, since, [row[0] for row in most_used] + best_rated)
        by_use = _most_used_live(con, sums)
        needed = by_use[TOP - 1].uses if len(by_use) >= TOP else 1
        if len(most_used) < k or most_used[-1][1] < needed:  # none left out can reach it
            rated = {p.id: p for p in _described(con, best_rated, sums)}
            return by_use, [rated[prompt_id] for prompt_id in best_rated]
        k *= GROWTH


def _most_used_live(con: duckdb.DuckDBPyConnection, sums: dict[str, Any]) -> list[TopPrompt]:
    """The TOP live prompts with most uses among those summed (ties: name), looked up a few
    at a time, most used first: every prompt tied with the last looked up is looked up too,
    so none left out can reach the last of them."""
    ranked = sorted((i for i, sum_ in sums.items() if sum_[0] > 0), key=lambda i: -sums[i][0])
    found: list[TopPrompt] = []
    done = 0
    while done < len(ranked) and len(found) < TOP:
        end = min(len(ranked), done + TOP + 4)
        while end < len(ranked) and sums[ranked[end]][0] == sums[ranked[end - 1]][0]:
            end += 1
        found += _described(con, ranked[done:end], sums)
        done = end
    return sorted(found, key=lambda p: (-p.uses, p.name, p.id))[:TOP]


def _best_rated(con: duckdb.DuckDBPyConnection, since: date | None) -> list[str]:
    """The ids of the period's TOP best rated live prompts, best first."""
    k = 2 * TOP
    while True:
        rated = [row[0] for row in con.execute(_BEST_RATED, {"since": since, "k": k}).fetchall()]
        live = _live(con, rated)
        ranked = [prompt_id for prompt_id in rated if prompt_id in live]
        if len(ranked) >= TOP or len(rated) < k:  # enough live ones, or every rated one
            return ranked[:TOP]
        k *= GROWTH


def _live(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """Id -> name of the live prompts among `ids`."""
    return {prompt_id: name for prompt_id, name, _ in _live_rows(con, ids)}


def _live_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[tuple[str, str, Any]]:
    """(id, name, last_used_at) of the live prompts among `ids`."""
    if len(ids) > LOOKUPS:
        rows = con.execute(
            "SELECT id, name, last_used_at FROM prompts WHERE archived_at IS NULL "
            "AND id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
        return [(prompt_id, name, used) for prompt_id, name, used in rows]
    found: list[tuple[str, str, Any]] = []
    ordered = sorted(ids)  # the index's order: neighbours share the blocks read
    for start in range(0, len(ordered), BATCH):
        batch = literal_list(ordered[start : start + BATCH])
        rows = con.execute(
            f"SELECT id, name, last_used_at, archived_at FROM prompts WHERE id IN ({batch})"
        ).fetchall()
        found += [
            (prompt_id, name, used) for prompt_id, name, used, archived in rows if not archived
        ]
    return found


def _sums(con: duckdb.DuckDBPyConnection, since: date | None, ids: list[str]) -> dict[str, Any]:
    """Id -> (uses, ratings, rating sum) in the period, of those among `ids` used or rated
    in it."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    if since is None:
        found = con.execute(_ALL_TIME, [ids]).fetchall()
    else:
        keys = {prompt_id: prompt_key_of(prompt_id) for prompt_id in ids}
        numbers = ", ".join(str(int(key)) for key in keys.values())
        period = con.execute(_PERIOD.format(keys=numbers), [since]).fetchall()
        by_key = {row[0]: row[1:] for row in period}
        found = [(i, *by_key[key]) for i, key in keys.items() if key in by_key]
    return {row[0]: row[1:] for row in found}


def _described(
    con: duckdb.DuckDBPyConnection, ids: list[str], sums: dict[str, Any]
) -> list[TopPrompt]:
    """The live prompts among `ids`, with their sums. Looked up by id (the prompts' key), not
    joined: a join would read every prompt."""
    return [
        _top(prompt_id, name, last_used, sums.get(prompt_id))
        for prompt_id, name, last_used in _live_rows(con, ids)
    ]


def _top(prompt_id: str, name: str, last_used: Any, sums: Any) -> TopPrompt:
    uses, ratings, rating_sum = sums or (0, 0, None)
    return TopPrompt(
        prompt_id,
        name,
        int(uses),
        int(ratings),
        float(rating_sum) / float(ratings) if ratings and rating_sum is not None else None,
        last_used,
    )
