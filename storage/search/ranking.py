"""Ranking prompts for a query: BM25 over the text index (word matching when there is none)
and cosine over the vectors (numpy over the held matrix, or SQL). Ties rank by prompt id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import duckdb
import numpy as np

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.errors import ValidationError
from storage.models import PromptFilter
from storage.prompts.filters import filter_sql
from storage.search import text_index, text_once, vectors_once
from storage.search.cache import REBUILD_AT, SearchCache
from storage.search.text_catch_up import fresh_where
from storage.search.text_index import Delta, QueryWord, build_text_index
from storage.search.text_once import QueryTerms
from storage.search.vectors_once import VectorCounts


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
        *,
        counted: bool = True,
    ) -> Ranking:
        """BM25 ranking. `counted=False`: `total` may be 0 (a one-shot process then filters
        only the best few: hybrid fuses the rankings and counts what it fused)."""
        with self._db.read() as con:
            fts = load_fts(con)
        if not fts:
            return self._word_match(
                query, where, limit, min_score, "full-text search unavailable (the fts "
                "extension did not load): matching words instead of BM25", match_all,
            )  # fmt: skip
        if not self._db.interactive:
            return self._text_once(query, where, limit, min_score, match_all, counted)
        cache = self._cache
        if not cache.text_lock.acquire(blocking=cache.text is not None):
            # Another thread is loading or building the index: rank in DuckDB meanwhile.
            return self._text_once(
                query, where, limit, min_score, match_all, counted, may_build=False
            )
        try:
            if not cache.ensure_text_index():
                return self._word_match(
                    query, where, limit, min_score, "no text index yet and the library is "
                    "read-only: matching words instead of BM25", match_all,
                )  # fmt: skip
            index, delta = cache.text, cache.delta
            assert index is not None and delta is not None
            with self._db.read() as con:
                load_fts(con)
                words = text_index.query_words(con, query)
                allowed, allowed_fresh = cache.text_allowed(con, where)
            groups = [index.expand(word, delta) for word in words]
            best = cache.text_scorer(index).best(
                groups, delta, (allowed, allowed_fresh), min_score, limit, match_all=match_all
            )
        finally:
            cache.text_lock.release()
        return Ranking(best.ids, best.scores, best.total, None, tuple(words))

    def _text_once(
        self, query: str, where: PromptFilter, limit: int, min_score: float | None,
        match_all: bool, counted: bool, *, may_build: bool = True,
    ) -> Ranking:  # fmt: skip
        """BM25 ranked in DuckDB (storage/search/text_once.py): nothing loaded whole, nothing
        kept, the scores the held index gives. For a one-shot process, and for an interactive
        one while its index loads (`may_build` False: then a far-behind index still ranks,
        and a missing one leaves word matching until the other thread has built it)."""
        for _ in range(2):
            with self._db.read() as con:
                load_fts(con)
                delta = self._once_delta(con)
                if delta is not None and (not delta[1] or self._db.read_only or not may_build):
                    return self._text_ranked(
                        con, query, where, limit, min_score, match_all, counted, delta[0]
                    )
            if self._db.read_only:
                break
            if not may_build:
                return self._word_match(
                    query, where, limit, min_score, "the text index is being built: "
                    "matching words until it is ready", match_all,
                )  # fmt: skip
            with self._cache.build_lock:  # two searches at once (a picker's workers) build once
                with self._db.read() as con:
                    load_fts(con)
                    delta = self._once_delta(con)
                if delta is None or delta[1]:
                    build_text_index(self._db)
        return self._word_match(
            query, where, limit, min_score, "no text index yet and the library is "
            "read-only: matching words instead of BM25", match_all,
        )  # fmt: skip

    def _once_delta(self, con: duckdb.DuckDBPyConnection) -> tuple[Delta, bool] | None:
        """The changes since the file's index was built, and whether it is so far behind that
        a rebuild is cheaper; None when there is no index."""
        if text_index.build_id(con) is None:
            return None
        sizes = con.execute(
            f"SELECT (SELECT max(docid) + 1 FROM {text_index.FTS}.docs), "
            f"num_docs FROM {text_index.FTS}.stats"
        ).fetchone()
        n_docs, indexed = (int(sizes[0] or 0), int(sizes[1])) if sizes else (0, 0)
        delta = (
            Delta.empty(n_docs) if text_index.unchanged(con) else text_index.delta_of(con, n_docs)
        )
        return delta, len(delta.ids) > max(REBUILD_AT, indexed // 10)

    def _text_ranked(
        self, con: duckdb.DuckDBPyConnection, query: str, where: PromptFilter, limit: int,
        min_score: float | None, match_all: bool, counted: bool, delta: Delta,
    ) -> Ranking:  # fmt: skip
        """The indexed docs' best from DuckDB and the changed prompts' scored here, merged."""
        floor = 0.0 if min_score is None else min_score
        clause, params = filter_sql(where)
        words = text_index.query_words(con, query)
        terms = QueryTerms.load(con, words, delta)
        groups = [terms.expand(word, delta) for word in words]
        best, total = text_once.ranked(
            con, terms, groups, delta, (clause, params), floor, limit,
            match_all=match_all, counted=counted,
        )  # fmt: skip
        if delta.ids:
            fresh = delta.score(groups, partial(terms.idf, delta=delta), terms.avgdl, match_all)
            passing = fresh_where(con, delta, clause, params)
            extra = np.flatnonzero((fresh > 0) & passing & (fresh >= floor))
            best += [(delta.ids[i], float(fresh[i])) for i in extra]
            total += len(extra)
        best.sort(key=lambda hit: (-hit[1], hit[0]))
        return Ranking(
            [i for i, _ in best[:limit]], [s for _, s in best[:limit]], total, None, tuple(words)
        )

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
        counted: Callable[[], VectorCounts] | None = None,
    ) -> Ranking:
        """Cosine ranking: over the held vectors (exact, or through the ANN index above its
        threshold: storage/search/vector_set.py), or in SQL (a one-shot process: faster than
        opening the kept vectors, measured at 100k and 1M). The SQL path
        (storage/search/vectors_once.py) takes `counted`, the counts read elsewhere while the
        query was embedded (none with `min_score`)."""
        engine = self.engine(engine)
        if engine == "sql":
            with self._db.read() as con:
                best = vectors_once.top(con, model, vector, filter_sql(where), limit, min_score)
                found = (
                    counted() if counted else self.vector_counts(model, where, min_score, vector)
                )
            if not found.stored:
                return Ranking([], [], 0, _no_vectors(model))
            notice = _missing_notice(found.missing, model)
            return Ranking([i for i, _ in best], [s for _, s in best], found.total, notice)
        vectors, allowed = self._cache.matrix(model, where)
        if not vectors.stored:
            return Ranking([], [], 0, _no_vectors(model))
        if len(vector) != vectors.dims:
            raise ValidationError(
                "dims", len(vector), f"model {model!r} stores {vectors.dims}-dimension vectors"
            )
        query = np.asarray(vector, np.float32)
        give_way = self._db.background.give_way_if_aside()
        ids, scores, total = vectors.top(query, allowed, limit, min_score, give_way)
        return Ranking(ids, scores, total, self._unembedded_notice(model))

    def vector_counts(
        self, model: str, where: PromptFilter, min_score: float | None = None, vector: Any = None
    ) -> VectorCounts:
        with self._db.read() as con:
            return vectors_once.counts(con, model, filter_sql(where), min_score, vector)

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
