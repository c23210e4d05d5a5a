"""Semantic ranking for a one-shot process (the CLI): cosine in DuckDB over the stored
vectors, nothing held. The counts (the candidates, the live prompts with no vector) need no
query vector unless a minimum score is asked for, so a caller can read them while the query
is still being embedded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np


@dataclass(frozen=True, slots=True)
class VectorCounts:
    total: int  # candidates: prompts with a vector that pass the filter (and reach min_score)
    missing: int  # live prompts with no vector of the model (search cannot rank them)
    stored: int  # vectors of the model


def _cosine(vector: Any) -> str:
    """The cosine of each stored vector (alias e) with `vector`. The query is a literal of its
    float32 values (binding a list converts it element by element), and the stored FLOAT[]
    lists are scored as lists: a CAST to FLOAT[dims] (for array_cosine_similarity) costs more
    than the cosines, 3x at 1,000,000 vectors."""
    query = f"[{', '.join(map(repr, np.asarray(vector, np.float32).tolist()))}]::FLOAT[]"
    return f"list_cosine_similarity(e.embedding, {query})"


def top(
    con: duckdb.DuckDBPyConnection,
    model: str,
    vector: Any,
    where: tuple[str, Sequence[object]],
    limit: int,
    min_score: float | None,
) -> list[tuple[str, float]]:
    """The best `limit` (prompt id, cosine) passing the filter_sql clause `where`, best first
    (ties: the smaller id). The nearest few of every vector first, then the filter over those
    alone: a join of every vector with its prompt costs more than the cosines. Too few pass
    (a narrow filter): then the filter comes first."""
    clause, params = where
    cosine = _cosine(vector)
    scored = f"""
        SELECT e.prompt_id, {cosine} AS score
        FROM prompt_embeddings e WHERE e.model = ? AND (? IS NULL OR score >= ?)
        ORDER BY score DESC, e.prompt_id LIMIT ?"""
    rows = con.execute(
        f"SELECT n.prompt_id, n.score FROM ({scored}) n JOIN prompts p "
        f"ON p.id = n.prompt_id WHERE {clause} ORDER BY n.score DESC, n.prompt_id LIMIT ?",
        [model, min_score, min_score, limit * 4 + 20, *params, limit],
    ).fetchall()
    if len(rows) < limit:
        rows = con.execute(
            f"""
            SELECT e.prompt_id, {cosine} AS score
            FROM prompt_embeddings e JOIN prompts p ON p.id = e.prompt_id
            WHERE e.model = ? AND {clause} AND (? IS NULL OR score >= ?)
            ORDER BY score DESC, e.prompt_id LIMIT ?
            """,
            [model, *params, min_score, min_score, limit],
        ).fetchall()
    return [(str(r[0]), float(r[1])) for r in rows]


def counts(
    con: duckdb.DuckDBPyConnection,
    model: str,
    where: tuple[str, Sequence[object]],
    min_score: float | None = None,
    vector: Any = None,
) -> VectorCounts:
    """The candidates and the prompts with no vector, counted from the ids alone (`vector`
    only with `min_score`: the candidates are then those scoring at least that)."""
    clause, params = where
    sizes = con.execute(
        "SELECT (SELECT count(*) FROM prompt_embeddings WHERE model = ?), "
        "(SELECT count(*) FROM prompts)",
        [model],
    ).fetchone()
    stored, prompts = (int(sizes[0]), int(sizes[1])) if sizes else (0, 0)
    found: tuple[Any, ...] | None
    if stored == prompts and min_score is None:
        # A vector per prompt (one per prompt and model, none for a deleted one): the
        # candidates are the prompts passing the filter, and none lacks a vector.
        passing = con.execute(f"SELECT count(*) FROM prompts p WHERE {clause}", params).fetchone()
        return VectorCounts(int(passing[0]) if passing else 0, 0, stored)
    if min_score is None:
        candidate, values = "e.prompt_id IS NOT NULL", [*params, model]
    else:
        candidate, values = f"{_cosine(vector)} >= ?", [min_score, *params, model]
    found = con.execute(
        f"""
        SELECT count(*) FILTER (WHERE {candidate} AND {clause}),
               count(*) FILTER (WHERE e.prompt_id IS NULL AND p.archived_at IS NULL)
        FROM prompts p LEFT JOIN prompt_embeddings e ON e.prompt_id = p.id AND e.model = ?
        """,
        values,
    ).fetchone()
    return VectorCounts(int(found[0]), int(found[1]), stored) if found else VectorCounts(0, 0, 0)
