"""Ranking prompts for a query: BM25 over the text index (word matching when there is none)
and cosine over the vectors (numpy over the held matrix, or SQL). Ties rank by prompt id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.errors import ValidationError
from storage.models import PromptFilter
from storage.prompts.filters import filter_sql
from storage.search import text_index
from storage.search.cache import REBUILD_AT, SearchCache
from storage.search.text_index import Delta, QueryWord, TextIndex, build_text_index


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
        if not self._db.interactive:
            return self._text_once(query, where, limit, min_score, match_all)
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
                    cache.masks[key] = (
                        index.docs_where(con, clause, params),
                        _fresh_where(con, delta, clause, params),
                    )
            allowed, allowed_fresh = cache.masks[key]
            groups = [index.expand(word, delta) for word in words]
            indexed, fresh = index.score(groups, delta, match_all=match_all)
        return _bm25_top(index, delta, (indexed, fresh), (allowed, allowed_fresh), min_score,
                         limit, words)  # fmt: skip

    def _text_once(
        self, query: str, where: PromptFilter, limit: int, min_score: float | None,
        match_all: bool,
    ) -> Ranking:  # fmt: skip
        """BM25 for a one-shot process: the index reduced to the query's terms (no postings
        loaded whole, nothing kept), the same scores as the held index gives. The index is
        built only when there is none or it is far behind, as the TUI builds it."""
        with self._cache.lock:  # two searches at once (a picker's workers) build it once
            for _ in range(2):
                with self._db.read() as con:
                    load_fts(con)
                    build = text_index.build_id(con)
                    if build is not None:
                        words = text_index.query_words(con, query)
                        index = TextIndex.load_terms(con, build, words)
                        unchanged = index.unchanged(con)
                        delta = index.empty_delta() if unchanged else index.delta(con)
                behind = build is None or len(delta.ids) > max(REBUILD_AT, index.num_docs // 10)
                if not behind or self._db.read_only:
                    break
                build_text_index(self._db)
        if build is None:
            return self._word_match(
                query, where, limit, min_score, "no text index yet and the library is "
                "read-only: matching words instead of BM25", match_all,
            )  # fmt: skip
        groups = [index.expand(word, delta) for word in words]
        indexed, fresh = index.score(groups, delta, match_all=match_all)
        clause, params = filter_sql(where)
        with self._db.read() as con:
            allowed = index.term_docs_where(con, clause, params)
            allowed_fresh = _fresh_where(con, delta, clause, params)
        return _bm25_top(index, delta, (indexed, fresh), (allowed, allowed_fresh), min_score,
                         limit, words)  # fmt: skip

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
            return self._vectors_in_sql(model, vector, where, limit, min_score)
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

    def _vectors_in_sql(
        self, model: str, vector: Any, where: PromptFilter, limit: int, min_score: float | None
    ) -> Ranking:
        """Cosine in DuckDB, nothing held: the top `limit` by a top-N scan, and in one more
        pass the candidates and the live prompts with no vector (the notice), counted from the
        ids alone."""
        clause, params = filter_sql(where)
        # A literal of the float32 values: binding a list converts it element by element. The
        # stored FLOAT[] lists are scored as lists: a CAST to FLOAT[dims] (for
        # array_cosine_similarity) costs more than the cosines, 3x at 1,000,000 vectors.
        query = f"[{', '.join(map(repr, np.asarray(vector, np.float32).tolist()))}]::FLOAT[]"
        cosine = f"list_cosine_similarity(e.embedding, {query})"
        scored = f"""
            SELECT e.prompt_id, {cosine} AS score
            FROM prompt_embeddings e WHERE e.model = ? AND (? IS NULL OR score >= ?)
            ORDER BY score DESC, e.prompt_id LIMIT ?"""
        with self._db.read() as con:
            # The nearest few of every vector, then the filter over those alone: a join of
            # every vector with its prompt costs more than the cosines. Too few pass (a narrow
            # filter): then the filter comes first.
            ahead = limit * 4 + 20
            rows = con.execute(
                f"SELECT n.prompt_id, n.score FROM ({scored}) n JOIN prompts p "
                f"ON p.id = n.prompt_id WHERE {clause} ORDER BY n.score DESC, n.prompt_id LIMIT ?",
                [model, min_score, min_score, ahead, *params, limit],
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
            sizes = con.execute(
                "SELECT (SELECT count(*) FROM prompt_embeddings WHERE model = ?), "
                "(SELECT count(*) FROM prompts)",
                [model],
            ).fetchone()
            everyone = bool(sizes and sizes[0] == sizes[1])
            counts: tuple[Any, ...] | None
            if everyone and min_score is None:
                # A vector per prompt (one per prompt and model, none for a deleted one): the
                # candidates are the prompts passing the filter, and none lacks a vector.
                passing = con.execute(f"SELECT count(*) FROM prompts p WHERE {clause}", params)
                found = passing.fetchone()
                counts = (found[0] if found else 0, 0, sizes[0] if sizes else 0)
            elif min_score is None:
                counts = con.execute(
                    f"""
                    SELECT count(*) FILTER (WHERE e.prompt_id IS NOT NULL AND {clause}),
                           count(*) FILTER (WHERE e.prompt_id IS NULL AND p.archived_at IS NULL),
                           (SELECT count(*) FROM prompt_embeddings WHERE model = ?)
                    FROM prompts p LEFT JOIN prompt_embeddings e
                         ON e.prompt_id = p.id AND e.model = ?
                    """,
                    [*params, model, model],
                ).fetchone()
            else:  # the candidates are those scoring at least min_score
                counts = con.execute(
                    f"""
                    SELECT count(*) FILTER (WHERE {cosine} >= ? AND {clause}),
                           count(*) FILTER (WHERE e.prompt_id IS NULL AND p.archived_at IS NULL),
                           (SELECT count(*) FROM prompt_embeddings WHERE model = ?)
                    FROM prompts p LEFT JOIN prompt_embeddings e
                         ON e.prompt_id = p.id AND e.model = ?
                    """,
                    [min_score, *params, model, model],
                ).fetchone()
        total, missing, stored = (int(c) for c in counts) if counts else (0, 0, 0)
        if not stored:
            return Ranking([], [], 0, _no_vectors(model))
        notice = _missing_notice(missing, model)
        return Ranking([r[0] for r in rows], [float(r[1]) for r in rows], total, notice)

    def _unembedded_notice(self, model: str) -> str | None:
        return _missing_notice(self._cache.unembedded(model), model)


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", limit, "must be a whole number of at least 1")


def _missing_notice(missing: int, model: str) -> str | None:
    if not missing:
        return None
    return (
        f"{missing:,} prompt{'s have' if missing > 1 else ' has'} no vector of {model!r} "
        "and cannot be ranked by meaning: embed them (promptdeck embed, or E in the TUI)"
    )


def _no_vectors(model: str) -> str:
    return f"no prompt has a vector of model {model!r} yet: embed the library first"


def _fresh_where(
    con: duckdb.DuckDBPyConnection, delta: Delta, clause: str, params: Sequence[object]
) -> Any:
    """Which of the prompts changed since the index build pass a filter_sql clause."""
    found = con.execute(
        "SELECT p.id FROM prompts p WHERE p.id IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
        f"AND {clause}",
        [list(delta.ids), *params],
    ).fetchall()
    passing = {row[0] for row in found}
    return np.array([prompt_id in passing for prompt_id in delta.ids], bool)


def _bm25_top(
    index: TextIndex,
    delta: Delta,
    scores: tuple[Any, Any],
    allowed: tuple[Any, Any],
    min_score: float | None,
    limit: int,
    words: Sequence[QueryWord],
) -> Ranking:
    """The best of the indexed docs and the changed prompts that pass the filter."""
    floor = 0.0 if min_score is None else min_score
    indexed, fresh = scores
    docs = np.flatnonzero((indexed > 0) & allowed[0] & (indexed >= floor))
    extra = np.flatnonzero((fresh > 0) & allowed[1] & (fresh >= floor))
    ids = np.concatenate([index.doc_ids[docs], np.array(delta.ids, dtype=object)[extra]])
    found = np.concatenate([indexed[docs], fresh[extra]])
    return _top(ids, found, limit, tuple(words))


def _top(ids: Any, scores: Any, limit: int, words: tuple[QueryWord, ...]) -> Ranking:
    total = len(ids)
    if total > limit:
        edge = np.partition(scores, total - limit)[total - limit]
        keep = np.flatnonzero(scores >= edge)
        ids, scores = ids[keep], scores[keep]
    order = sorted(zip(ids.tolist(), scores.tolist(), strict=True), key=lambda h: (-h[1], h[0]))
    return Ranking([i for i, _ in order[:limit]], [s for _, s in order[:limit]], total, None, words)
