"""BM25 for a one-shot process (the CLI): the query's terms read from the index, and the docs
holding them scored, filtered and ranked in DuckDB, so that only the top rows come back (at
1,000,000 prompts the postings are 42M rows, and a common word's docs hundreds of thousands).

The scores are TextScorer's to the bit: each posting's weight is the same float64
expression in the same order of operations, a query word takes the best of its terms, and the
words are added in their order. Prompts changed since the build are scored in Python from the
Delta (Delta.score), as the held index scores them, and their stale docs are left out here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from storage.search.text_index import (
    FTS,
    K1,
    MAX_EXPANSIONS,
    B,
    Delta,
    QueryWord,
    expand,
    idf,
    prefix_cuts,
)

# How many more of the best docs than asked for are read before the filter, when no total is
# needed (hybrid): too few passing it, and the filter runs over every match.
AHEAD, AHEAD_MIN = 4, 20


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The dictionary terms a query's words can stand for (their stems; the terms a prefix
    starts and the stems it runs past, as `expand` picks them) and how many docs hold each
    now: the index's count, less its stale docs, plus the delta's."""

    terms: list[str]  # sorted
    termids: dict[str, int]
    df: dict[str, int]
    postings: dict[str, int]  # in the index (what `expand` ranks by)
    docs: int  # indexed docs plus the delta's new ones: what idf counts
    avgdl: float

    @classmethod
    def load(
        cls, con: duckdb.DuckDBPyConnection, words: Sequence[QueryWord], delta: Delta
    ) -> QueryTerms:
        exact = [w.stem for w in words]
        exact += [w.raw[:cut] for w in words if w.prefix for cut in prefix_cuts(w.raw)]
        starts = [s for w in words if w.prefix and len(w.raw) >= 2 for s in {w.raw, w.stem}]
        found = con.execute(
            f"SELECT term, termid, df FROM {FTS}.dict "
            "WHERE term IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
            f"OR termid IN (SELECT termid FROM (SELECT termid, row_number() OVER (PARTITION BY "
            f"s ORDER BY df DESC, term) AS n FROM {FTS}.dict, "
            "unnest(CAST(? AS VARCHAR[])) AS t(s) "
            f"WHERE starts_with(term, s)) WHERE n <= {MAX_EXPANSIONS * 2}) ORDER BY term",
            [exact, starts],
        ).fetchall()
        stale: dict[int, int] = {}
        if delta.stale.any():
            stale = dict(
                con.execute(
                    f"SELECT termid, count(*) FROM {FTS}.postings "
                    "WHERE termid IN (SELECT unnest(CAST(? AS BIGINT[]))) "
                    "AND docid IN (SELECT unnest(CAST(? AS BIGINT[]))) GROUP BY termid",
                    [[t for _, t, _ in found], delta.stale.nonzero()[0].tolist()],
                ).fetchall()
            )
        stats = con.execute(f"SELECT num_docs, avgdl FROM {FTS}.stats").fetchone()
        return cls(
            terms=[term for term, _, _ in found],
            termids={term: int(termid) for term, termid, _ in found},
            df={
                term: int(df) - stale.get(termid, 0) + delta.df(term) for term, termid, df in found
            },
            postings={term: int(df) for term, _, df in found},
            docs=(int(stats[0]) if stats else 0) + delta.new_docs,
            avgdl=float(stats[1]) if stats and stats[1] is not None else 0.0,
        )

    def df_now(self, term: str, delta: Delta) -> int:
        return self.df.get(term, delta.df(term))

    def expand(self, word: QueryWord, delta: Delta) -> list[str]:
        postings = self.postings
        return expand(
            word, self.terms, self.termids, lambda t: postings.get(t, 0) + delta.df(t), delta
        )

    def idf(self, term: str, delta: Delta) -> float:
        return idf(self.docs, self.df_now(term, delta))


def ranked(
    con: duckdb.DuckDBPyConnection,
    terms: QueryTerms,
    groups: Sequence[Sequence[str]],
    delta: Delta,
    where: tuple[str, Sequence[object]],
    floor: float,
    limit: int,
    *,
    match_all: bool,
    counted: bool,
) -> tuple[list[tuple[str, float]], int]:
    """The best `limit` indexed (not stale) docs passing the filter_sql clause `where` and
    scoring at least `floor`, as (prompt id, score) best first (ties: the smaller id), and
    how many pass (`counted`; else 0: the filter then runs over the best few only)."""
    query = [
        (g, terms.termids[t], terms.idf(t, delta))
        for g, group in enumerate(groups)
        for t in group
        if t in terms.termids
    ]
    if not query:
        return [], 0
    clause, params = where
    # TextScorer's sum, word by word: 0 + best of word 0 + best of word 1 ... of weights
    # rounded to float32 as the held index's are, so that both give the same scores.
    score = " + ".join(
        f"coalesce(CAST(max(weight) FILTER (WHERE word = {g}) AS DOUBLE), 0.0)"
        for g in range(len(groups))
    )
    steps = f"""
        WITH q AS (SELECT unnest(CAST(? AS INTEGER[])) AS word, unnest(CAST(? AS BIGINT[]))
                          AS termid, unnest(CAST(? AS DOUBLE[])) AS idf),
        w AS (SELECT t.docid, q.word, CAST(q.idf AS FLOAT) * CAST((CAST(t.tf AS DOUBLE) * ?)
                     / (CAST(t.tf AS DOUBLE) + ? * (? + ((? * CAST(d.len AS DOUBLE)) / ?)))
                     AS FLOAT) AS weight
              FROM {FTS}.postings t JOIN q USING (termid) JOIN {FTS}.docs d USING (docid)
              WHERE t.docid NOT IN (SELECT unnest(CAST(? AS BIGINT[])))),
        s AS (SELECT docid, {score} AS score, count(DISTINCT word) AS words
              FROM w GROUP BY docid)"""
    before = [
        [g for g, _, _ in query],
        [t for _, t, _ in query],
        [i for _, _, i in query],
        *(K1 + 1, K1, 1 - B, B, terms.avgdl or 1.0),
        delta.stale.nonzero()[0].tolist(),
    ]
    keep = "s.score > 0 AND s.score >= ?" + (" AND s.words = ?" if match_all else "")
    kept = [floor, *([len(groups)] if match_all else [])]
    if not counted:  # the best few, then the filter over those alone
        rows = con.execute(
            f"""{steps},
            top AS (SELECT d.name AS id, s.score FROM s JOIN {FTS}.docs d USING (docid)
                    WHERE {keep} ORDER BY s.score DESC, d.name LIMIT ?)
            SELECT top.id, top.score FROM top JOIN prompts p ON p.id = top.id WHERE {clause}
            ORDER BY top.score DESC, top.id LIMIT ?""",
            [*before, *kept, limit * AHEAD + AHEAD_MIN, *params, limit],
        ).fetchall()
        if len(rows) == limit:
            return [(str(i), float(s)) for i, s in rows], 0
    rows = con.execute(
        f"""{steps},
        passing AS MATERIALIZED (
            SELECT d.name AS id, s.score FROM s JOIN {FTS}.docs d USING (docid)
            JOIN prompts p ON p.id = d.name WHERE {keep} AND {clause})
        SELECT id, score, (SELECT count(*) FROM passing) FROM passing
        ORDER BY score DESC, id LIMIT ?""",
        [*before, *kept, *params, limit],
    ).fetchall()
    return [(str(i), float(s)) for i, s, _ in rows], int(rows[0][2]) if rows else 0
