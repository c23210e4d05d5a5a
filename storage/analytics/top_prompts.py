"""A period's top prompts (by uses, and by average rating) from the rollups, without summing
every prompt's days of the period: at a million prompts that is millions of rows.

By use: a prompt's uses in a period are at most its uses of all time (rollup_prompt_totals).
So the prompts with the most uses of all time are the candidates: their uses in the period
are summed, and the answer is exact once the least of the candidates' all-time uses is below
the tenth best in the period (no prompt left out can reach it, nor tie it). Else more
candidates are taken, up to every prompt. Uses are skewed (a few prompts get most of them), so
a few dozen candidates settle it. By rating: only the prompts rated in the period (a few rows
of rollup_prompt_daily) are grouped."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from storage.analytics.models import TopPrompt

TOP = 10  # rows of each list
FIRST = 64  # candidates tried first; times GROWTH each time that does not settle it
GROWTH = 16

# The candidates (the `$k` prompts with most uses of all time, and `$also`) with their uses
# and ratings in the period, live ones only. All time: rollup_prompt_totals is the answer.
_CANDIDATES = """
WITH c AS (
    SELECT prompt_id FROM (
        SELECT prompt_id FROM rollup_prompt_totals ORDER BY uses DESC, prompt_id LIMIT $k)
    UNION SELECT unnest($also::VARCHAR[])
),
sums AS (
    SELECT prompt_id, uses, ratings, rating_sum FROM rollup_prompt_totals
    WHERE $since IS NULL AND prompt_id IN (SELECT prompt_id FROM c)
    UNION ALL
    SELECT prompt_id, sum(uses), sum(ratings), sum(rating_sum) FROM rollup_prompt_daily
    WHERE $since IS NOT NULL AND day >= $since AND prompt_id IN (SELECT prompt_id FROM c)
    GROUP BY prompt_id
)
SELECT p.id, p.name, CAST(coalesce(s.uses, 0) AS BIGINT), CAST(coalesce(s.ratings, 0) AS BIGINT),
       s.rating_sum / nullif(s.ratings, 0), p.last_used_at
FROM c
JOIN prompts p ON p.id = c.prompt_id
LEFT JOIN sums s ON s.prompt_id = c.prompt_id
WHERE p.archived_at IS NULL
"""
# The least all-time uses among the `$k` candidates, and how many there are.
_BOUND = """
SELECT min(uses), count(*) FROM (
    SELECT uses FROM rollup_prompt_totals ORDER BY uses DESC, prompt_id LIMIT $k)
"""
# The live prompts rated in the period, best first (ties: more ratings, then name, id).
_RATED = """
WITH rated AS (
    SELECT prompt_id, ratings, rating_sum FROM rollup_prompt_totals
    WHERE $since IS NULL AND ratings > 0
    UNION ALL
    SELECT prompt_id, sum(ratings), sum(rating_sum) FROM rollup_prompt_daily
    WHERE $since IS NOT NULL AND day >= $since AND ratings > 0
    GROUP BY prompt_id
)
SELECT p.id FROM rated r JOIN prompts p ON p.id = r.prompt_id
WHERE p.archived_at IS NULL
ORDER BY r.rating_sum / r.ratings DESC, r.ratings DESC, p.name, p.id
LIMIT $top
"""


def top_prompts(
    con: duckdb.DuckDBPyConnection, since: date | None
) -> tuple[list[TopPrompt], list[TopPrompt]]:
    """The period's live prompts with most uses, and with the best average rating (ties:
    more ratings, name), TOP of each."""
    rated = [row[0] for row in con.execute(_RATED, {"since": since, "top": TOP}).fetchall()]
    k = FIRST
    while True:
        params = {"since": since, "k": k, "also": rated}
        found = [_top(row) for row in con.execute(_CANDIDATES, params).fetchall()]
        by_use = sorted((p for p in found if p.uses > 0), key=lambda p: (-p.uses, p.name, p.id))
        bound = con.execute(_BOUND, {"k": k}).fetchone()
        least, taken = (0, 0) if bound is None or bound[0] is None else bound
        needed = by_use[TOP - 1].uses if len(by_use) >= TOP else 1
        if taken < k or least < needed:  # no prompt left out can reach (or tie) the list
            break
        k *= GROWTH
    by_id = {p.id: p for p in found}
    return by_use[:TOP], [by_id[prompt_id] for prompt_id in rated]


def _top(row: Any) -> TopPrompt:
    prompt_id, name, uses, ratings, average, last_used = row
    return TopPrompt(
        prompt_id,
        name,
        int(uses),
        int(ratings),
        None if average is None else float(average),
        last_used,
    )
