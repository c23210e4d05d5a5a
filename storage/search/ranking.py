"""Ranking prompts for a query: BM25 over the text index (word matching when there is none)
and cosine over the vectors (numpy over the held matrix, or SQL). Ties rank by prompt id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.errors import ValidationError
from storage.models import PromptFilter
from storage.prompts.filters import filter_sql
from storage.search import text_index
from storage.search.cache import SearchCache
from storage.search.text_index import QueryWord


@dataclass(frozen=True, slots=True)
class Ranking:
    ids: list[str]
    scores: list[float]
    total: int
    notice: str | None = None
    words: tuple[QueryWord, ...] = ()


class Ranker:
    def __init__(self, db: Database, cache: SearchCache) -> None:
        self._db = db
        self._cache = cache

    def engine(self, engine: str | None) -> str:
        """The semantic path: numpy over the held matrix for an interactive library, SQL
        (array_cosine_similarity) for one-shot use."""
        return engine or ("numpy" if self._db.interactive else "sql")

    def text(
        self,
        query: str,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        match_all: bool = False,
    ) -> Ranking:
        with self._db.read() as con:
            fts = load_fts(con)
        if not fts:
            return self._word_match(
                query, where, limit, min_score, "full-text search unavailable (the fts "
                "extension did not load): matching words instead of BM25", match_all,
            )  # fmt: skip
        cache = self._cache
        with cache.lock:
            if not cache.ensure_text_index():
                return self._word_match(
                    query, where, limit, min_score, "no text index yet and the library is "
                    "read-only: matching words instead of BM25", match_all,
                )  # fmt: skip
            index, delta = cache.text, cache.delta
            assert index is not None and delta is not None
            clause, params = filter_sql(where)
            with self._db.read() as con:
                load_fts(con)
                words = text_index.query_words(con, query)
                key = ("text", index.build_id, where)
                if key not in cache.masks:
                    fresh_ok = con.execute(
                        "SELECT p.id FROM prompts p WHERE p.id IN "
                        f"(SELECT unnest(CAST(? AS VARCHAR[]))) AND {clause}",
                        [list(delta.ids), *params],
                    ).fetchall()
                    allowed_fresh = {row[0] for row in fresh_ok}
                    cache.masks[key] = (
                        index.docs_where(con, clause, params),
                        np.array([pid in allowed_fresh for pid in delta.ids], bool),
                    )
            allowed, allowed_fresh_mask = cache.masks[key]
            groups = [index.expand(word, delta) for word in words]
            indexed, fresh = index.score(groups, delta, match_all=match_all)
        floor = 0.0 if min_score is None else min_score
        docs = np.flatnonzero((indexed > 0) & allowed & (indexed >= floor))
        extra = np.flatnonzero((fresh > 0) & allowed_fresh_mask & (fresh >= floor))
        ids = np.concatenate([index.doc_ids[docs], np.array(delta.ids, dtype=object)[extra]])
        scores = np.concatenate([indexed[docs], fresh[extra]])
        return _top(ids, scores, limit, tuple(words))

    def _word_match(
        self,
        query: str,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        notice: str,
        match_all: bool = False,
    ) -> Ranking:
        """The fallback: the number of query words found (any case) in name, description,
        folder or content (with `match_all`, only prompts holding all of them)."""
        clause, params = filter_sql(where)
        words = list(dict.fromkeys(query.lower().split()))
        found = " + ".join(
            "CAST((p.name ILIKE ? OR p.description ILIKE ? OR p.folder ILIKE ? "
            "OR p.content ILIKE ?) AS INTEGER)"
            for _ in words
        )
        patterns = [
            "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for w in words
            for _ in range(4)
        ]
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT id, score FROM (SELECT p.id, {found} AS score FROM prompts p "
                f"WHERE {clause}) WHERE score >= greatest(1, ?) ORDER BY score DESC, id",
                [*patterns, *params, len(words) if match_all else (min_score or 0)],
            ).fetchall()
        typed = tuple(QueryWord(w, w, False) for w in words)
        return Ranking(
            [r[0] for r in rows[:limit]],
            [float(r[1]) for r in rows[:limit]],
            len(rows),
            notice,
            typed,
        )

    def vectors(
        self,
        model: str,
        vector: Any,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        engine: str | None,
    ) -> Ranking:
        engine = self.engine(engine)
        if engine == "sql":
            clause, params = filter_sql(where)
            dims = len(vector)
            with self._db.read() as con:
                rows = con.execute(
                    f"""
                    SELECT prompt_id, score, count(*) OVER () FROM (
                        SELECT e.prompt_id,
                               array_cosine_similarity(CAST(e.embedding AS FLOAT[{dims}]),
                                                       CAST(? AS FLOAT[{dims}])) AS score
                        FROM prompt_embeddings e JOIN prompts p ON p.id = e.prompt_id
                        WHERE e.model = ? AND {clause})
                    WHERE ? IS NULL OR score >= ?
                    ORDER BY score DESC, prompt_id LIMIT ?
                    """,
                    [vector.tolist(), model, *params, min_score, min_score, limit],
                ).fetchall()
            notice = self._unembedded_notice(model) if rows or self._has_vectors(model) else None
            total = int(rows[0][2]) if rows else 0
            return Ranking(
                [r[0] for r in rows],
                [float(r[1]) for r in rows],
                total,
                notice or (None if rows else _no_vectors(model)),
            )
        matrix, allowed = self._cache.matrix(model, where)
        if not len(matrix.ids):
            return Ranking([], [], 0, _no_vectors(model))
        if len(vector) != matrix.dims:
            raise ValidationError(
                "dims", len(vector), f"model {model!r} stores {matrix.dims}-dimension vectors"
            )
        positions, scores, total = matrix.top(
            np.asarray(vector, np.float32), allowed, limit, min_score
        )
        notice = self._unembedded_notice(model)
        return Ranking(list(matrix.ids[positions]), [float(s) for s in scores], total, notice)

    def _unembedded_notice(self, model: str) -> str | None:
        missing = self._cache.unembedded(model)
        if not missing:
            return None
        return (
            f"{missing:,} prompt{'s have' if missing > 1 else ' has'} no vector of {model!r} "
            "and cannot be ranked by meaning: embed them (promptdeck embed, or E in the TUI)"
        )

    def _has_vectors(self, model: str) -> bool:
        with self._db.read() as con:
            row = con.execute(
                "SELECT count(*) FROM prompt_embeddings WHERE model = ?", [model]
            ).fetchone()
        return bool(row and row[0])


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", limit, "must be a whole number of at least 1")


def _no_vectors(model: str) -> str:
    return f"no prompt has a vector of model {model!r} yet: embed the library first"


def _top(ids: Any, scores: Any, limit: int, words: tuple[QueryWord, ...]) -> Ranking:
    total = len(ids)
    if total > limit:
        edge = np.partition(scores, total - limit)[total - limit]
        keep = np.flatnonzero(scores >= edge)
        ids, scores = ids[keep], scores[keep]
    order = sorted(zip(ids.tolist(), scores.tolist(), strict=True), key=lambda h: (-h[1], h[0]))
    return Ranking([i for i, _ in order[:limit]], [s for _, s in order[:limit]], total, None, words)
