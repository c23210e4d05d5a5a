"""Search: BM25 text (fts), semantic (array_cosine_similarity + numpy), hybrid (RRF).

Every mode applies the browse filters (PromptFilter) before ranking. Scores: text is BM25,
semantic the cosine with the query's vector, hybrid the reciprocal rank fusion (k=60) of the
two rankings. Ties rank by prompt id.

In memory, per library: the text index's postings, each model's vector matrix and the filter
masks over them, the ratings, and (lingering libraries) every prompt's prompt_table row. A
cheap stat of the library file tells whether anything was written since; only then do the SQL
signatures below decide what to reload, so a search after no change costs no reload and a
search after one edit costs no rebuild."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from storage import text_index
from storage.connection import load_fts
from storage.embedding import EmbeddingProvider
from storage.embeddings import EmbeddingsMixin, _checked, embedding_text
from storage.errors import ValidationError
from storage.models import PromptFilter, PromptPage, Record, short_id
from storage.prompts import filter_sql
from storage.search_rows import ROWS_SELECT, PromptRows
from storage.text_index import Delta, QueryWord, TextIndex
from storage.vector_index import VECTORS_SIGNATURE, Positions, VectorMatrix

MODES = ("text", "semantic", "hybrid")
ENGINES = ("numpy", "sql")
RRF_K = 60
FUSION_DEPTH = 200  # how far down each ranking hybrid fuses (at least the page asked for)
SNIPPET_WIDTH = 120
# A delta above this many prompts (and a tenth of the index) is cheaper rebuilt than re-scored.
REBUILD_AT = 2000

_PROMPTS_SIGNATURE = (
    "SELECT count(*), coalesce(sum(hash(id, current_version, archived_at)), 0) FROM prompts"
)
_FEEDBACK_SIGNATURE = "SELECT count(*), coalesce(sum(hash(prompt_id, rating)), 0) FROM feedback"
_RATINGS = "SELECT prompt_id, avg_rating FROM mart.prompt_ratings"


@dataclass(frozen=True, slots=True)
class SearchHit(Record):
    prompt_id: str
    name: str
    folder: str
    tags: tuple[str, ...]
    score: float
    snippet: str  # a window of the content around the first hit (its start for semantic)
    marks: tuple[tuple[int, int], ...] = ()  # (start, end) of each hit inside the snippet

    @property
    def short_id(self) -> str:
        return short_id(self.prompt_id)


@dataclass(frozen=True, slots=True)
class SearchResult(Record):
    hits: list[SearchHit]
    mode: str
    notice: str | None = None  # e.g. the fallback used when the fts extension cannot load
    total: int = 0  # prompts ranked (text: every match; semantic: every embedded candidate)


@dataclass(frozen=True, slots=True)
class _Ranking:
    ids: list[str]
    scores: list[float]
    total: int
    notice: str | None = None
    words: tuple[QueryWord, ...] = ()


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    stamp: tuple[int, ...] | None = None
    prompts: tuple[Any, ...] | None = None
    text: TextIndex | None = None
    delta: Delta | None = None
    vectors: dict[str, VectorMatrix] = field(default_factory=dict)
    masks: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    rows: PromptRows | None = None
    rows_stamp: tuple[int, ...] | None = None  # the file stamp the rows were brought up to
    feedback: tuple[Any, ...] | None = None
    ratings: dict[str, float] | None = None  # average rating by prompt id (rated ones only)
    # (provider asked for, library embedder, the query provider they give): the active model
    # is read from the file, so this holds until the next write.
    provider: tuple[Any, Any, EmbeddingProvider] | None = None


class SearchMixin(EmbeddingsMixin):
    # -- public API ------------------------------------------------------------------------

    def search(
        self,
        query: str,
        mode: str = "text",
        where: PromptFilter = PromptFilter(),
        limit: int = 50,
        min_score: float | None = None,
        *,
        provider: EmbeddingProvider | None = None,
        engine: str | None = None,
    ) -> SearchResult:
        """Ranked hits with snippets. `provider` embeds the query (default: the library's
        embedder, or a local one for a local active model); `engine` picks the semantic path:
        "numpy" (in-memory matrix; the default for a lingering, interactive library) or "sql"
        (array_cosine_similarity; the default for one-shot use)."""
        ranking = self._rank(query, mode, where, limit, min_score, provider, engine)
        return SearchResult(self._hits(ranking), mode, ranking.notice, ranking.total)

    def search_table(
        self,
        query: str,
        mode: str = "text",
        where: PromptFilter = PromptFilter(),
        limit: int = 50,
        *,
        offset: int = 0,
        min_score: float | None = None,
        provider: EmbeddingProvider | None = None,
        engine: str | None = None,
        match_all: bool = False,
    ) -> PromptPage:
        """The ranked prompts as prompt_table's Arrow columns plus `score`, best first;
        `total` is how many prompts were ranked. `match_all`: text ranks only prompts that
        hold every query word (as you type, each word narrows the list)."""
        ranking = self._rank(
            query, mode, where, offset + limit, min_score, provider, engine, match_all
        )
        ids, scores = ranking.ids[offset:], ranking.scores[offset:]
        table, kept = self._page_rows(ids)
        ratings = self._ratings()
        rated = pa.array([ratings.get(ids[i]) for i in kept], pa.float64())
        table = table.set_column(table.schema.get_field_index("rating"), "rating", rated)
        table = table.append_column("score", pa.array([scores[i] for i in kept], pa.float64()))
        return PromptPage(table, ranking.total, offset, ranking.notice)

    def similar(self, ref: str, limit: int = 5, *, engine: str | None = None) -> list[SearchHit]:
        """The live prompts nearest to `ref` by the active model's vectors."""
        _check_limit(limit)
        engine = self._engine(engine)
        provider = self._query_provider(None)
        # An id of a prompt the held rows know needs no lookup (the browse preview's case).
        known = self.linger > 0 and ref in self._prompt_rows().at
        prompt_id = ref if known else self.get(ref).id
        stored: Any = None
        if engine == "numpy":  # the stored vector is a row of the (current) matrix
            matrix, _ = self._matrix(provider.model, PromptFilter())
            at = matrix.position(prompt_id)
            stored = None if at is None else matrix.matrix[at]
        else:
            with self._read() as con:
                row = con.execute(
                    "SELECT embedding FROM prompt_embeddings WHERE prompt_id = ? AND model = ?",
                    [prompt_id, provider.model],
                ).fetchone()
            stored = None if row is None else np.asarray(row[0], np.float32)
        if stored is not None:
            vector = stored
        else:
            prompt = self.get(prompt_id)
            text = embedding_text(prompt.name, prompt.description, prompt.content)
            vector = _checked(provider, provider.embed([text]), 1)[0]
        ranking = self._vector_ranking(
            provider.model, vector, PromptFilter(), limit + 1, None, engine
        )
        keep = [i for i, pid in enumerate(ranking.ids) if pid != prompt_id][:limit]
        picked = _Ranking(
            [ranking.ids[i] for i in keep], [ranking.scores[i] for i in keep], len(keep)
        )
        return self._hits(picked)

    def near_duplicates(
        self,
        text: str,
        exclude_id: str | None = None,
        *,
        name: str = "",
        description: str = "",
        limit: int = 5,
    ) -> list[SearchHit]:
        """Live prompts whose vector is at least the model's vector_similarity_threshold from
        this text (with name and description, as prompts are embedded): a warning to show,
        never a refusal. Empty when nothing is embedded yet."""
        provider = self.query_provider()
        vector = _checked(provider, provider.embed([embedding_text(name, description, text)]), 1)
        threshold = self.similarity_threshold(provider.model)
        ranking = self._vector_ranking(
            provider.model, vector[0], PromptFilter(), limit + 1, threshold, None
        )
        keep = [i for i, pid in enumerate(ranking.ids) if pid != exclude_id][:limit]
        picked = _Ranking(
            [ranking.ids[i] for i in keep], [ranking.scores[i] for i in keep], len(keep)
        )
        return self._hits(picked)

    def prepare_search(self, mode: str = "text") -> str | None:
        """Do now what the first search of `mode` would do (build or load the text index; load
        the active model's vectors; hold the rows and ratings search_table returns), so that
        an interactive first keystroke is fast. Returns the notice that search would give (a
        fallback, no vectors yet), or None."""
        if self.linger > 0:
            self._prompt_rows()
        self._ratings()
        if mode == "text":
            with self._read() as con:
                if not load_fts(con):
                    return "full-text search unavailable: matching words instead of BM25"
            cache = self._search_cache()
            with cache.lock:
                ready = self._ensure_text_index(cache)
            return None if ready else "no text index yet (read-only library): matching words"
        return self.search("prepare", mode, limit=1).notice

    def build_text_index(self) -> int:
        """(Re)build the BM25 index now (search builds it lazily); returns the prompts indexed.
        The index is derived from the prompts like a cache, so it is not an audited change."""
        with self._write() as con:
            if not load_fts(con):
                return 0
            return text_index.build(con, self.new_id())

    # -- ranking ---------------------------------------------------------------------------

    def _rank(
        self,
        query: str,
        mode: str,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        provider: EmbeddingProvider | None,
        engine: str | None,
        match_all: bool = False,
    ) -> _Ranking:
        if mode not in MODES:
            raise ValidationError("mode", mode, f"must be one of {', '.join(MODES)}")
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query", query, "must not be empty")
        _check_limit(limit)
        if engine is not None and engine not in ENGINES:
            raise ValidationError("engine", engine, f"must be one of {', '.join(ENGINES)}")
        if mode == "text":
            return self._text_ranking(query, where, limit, min_score, match_all)
        chosen = self._query_provider(provider)
        vector = _checked(chosen, chosen.embed([query]), 1)[0]
        if mode == "semantic":
            return self._vector_ranking(chosen.model, vector, where, limit, min_score, engine)
        depth = max(limit, FUSION_DEPTH)
        text = self._text_ranking(query, where, depth, None, match_all)
        semantic = self._vector_ranking(chosen.model, vector, where, depth, None, engine)
        fused: dict[str, float] = {}
        for ranking in (text, semantic):
            for rank, prompt_id in enumerate(ranking.ids, start=1):
                fused[prompt_id] = fused.get(prompt_id, 0.0) + 1.0 / (RRF_K + rank)
        order = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        if min_score is not None:
            order = [item for item in order if item[1] >= min_score]
        notice = "; ".join(n for n in (text.notice, semantic.notice) if n) or None
        return _Ranking(
            [i for i, _ in order[:limit]],
            [s for _, s in order[:limit]],
            len(order),
            notice,
            text.words,
        )

    def _text_ranking(
        self,
        query: str,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        match_all: bool = False,
    ) -> _Ranking:
        with self._read() as con:
            fts = load_fts(con)
        if not fts:
            return self._word_match(
                query, where, limit, min_score, "full-text search unavailable (the fts "
                "extension did not load): matching words instead of BM25", match_all,
            )  # fmt: skip
        cache = self._search_cache()
        with cache.lock:
            if not self._ensure_text_index(cache):
                return self._word_match(
                    query, where, limit, min_score, "no text index yet and the library is "
                    "read-only: matching words instead of BM25", match_all,
                )  # fmt: skip
            index, delta = cache.text, cache.delta
            assert index is not None and delta is not None
            clause, params = filter_sql(where)
            with self._read() as con:
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

    def _ensure_text_index(self, cache: _Cache) -> bool:
        """Bring the cached index and delta up to date (building the index when there is none,
        or when the delta has grown past REBUILD_AT); False when none can exist."""
        self._refresh(cache)
        if cache.text is not None and cache.delta is not None:
            return True
        with self._read() as con:
            load_fts(con)
            if cache.text is None:
                current = text_index.build_id(con)
                cache.text = None if current is None else TextIndex.load(con, current)
            if cache.text is not None:
                cache.delta = cache.text.delta(con)
        missing = cache.text is None
        big = (
            cache.text is not None
            and cache.delta is not None
            and len(cache.delta.ids) > max(REBUILD_AT, cache.text.num_docs // 10)
        )
        if (missing or big) and not self.read_only:
            self.build_text_index()
            with self._read() as con:
                load_fts(con)
                current = text_index.build_id(con)
                assert current is not None
                cache.text = TextIndex.load(con, current)
                cache.delta = cache.text.delta(con)
            cache.masks = {k: v for k, v in cache.masks.items() if k[0] != "text"}
            cache.stamp = None  # the build wrote to the file
        return cache.text is not None

    def _word_match(
        self,
        query: str,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        notice: str,
        match_all: bool = False,
    ) -> _Ranking:
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
        with self._read() as con:
            rows = con.execute(
                f"SELECT id, score FROM (SELECT p.id, {found} AS score FROM prompts p "
                f"WHERE {clause}) WHERE score >= greatest(1, ?) ORDER BY score DESC, id",
                [*patterns, *params, len(words) if match_all else (min_score or 0)],
            ).fetchall()
        typed = tuple(QueryWord(w, w, False) for w in words)
        return _Ranking(
            [r[0] for r in rows[:limit]],
            [float(r[1]) for r in rows[:limit]],
            len(rows),
            notice,
            typed,
        )

    def _vector_ranking(
        self,
        model: str,
        vector: Any,
        where: PromptFilter,
        limit: int,
        min_score: float | None,
        engine: str | None,
    ) -> _Ranking:
        engine = self._engine(engine)
        if engine == "sql":
            clause, params = filter_sql(where)
            dims = len(vector)
            with self._read() as con:
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
            notice = None if rows or self._has_vectors(model) else _no_vectors(model)
            total = int(rows[0][2]) if rows else 0
            return _Ranking([r[0] for r in rows], [float(r[1]) for r in rows], total, notice)
        matrix, allowed = self._matrix(model, where)
        if not len(matrix.ids):
            return _Ranking([], [], 0, _no_vectors(model))
        if len(vector) != matrix.dims:
            raise ValidationError(
                "dims", len(vector), f"model {model!r} stores {matrix.dims}-dimension vectors"
            )
        positions, scores, total = matrix.top(
            np.asarray(vector, np.float32), allowed, limit, min_score
        )
        return _Ranking(list(matrix.ids[positions]), [float(s) for s in scores], total)

    def _engine(self, engine: str | None) -> str:
        return engine or ("numpy" if self.linger > 0 else "sql")

    def _matrix(self, model: str, where: PromptFilter) -> tuple[VectorMatrix, Positions]:
        """The model's current matrix and the rows passing the filter (loaded on first use
        and after a write changed them)."""
        cache = self._search_cache()
        with cache.lock:
            self._refresh(cache)
            matrix = cache.vectors.get(model)
            if matrix is None:
                with self._read() as con:
                    matrix = cache.vectors[model] = VectorMatrix.load(con, model)
            key = ("vectors", model, matrix.signature, where)
            if key not in cache.masks:
                clause, params = filter_sql(where)
                with self._read() as con:
                    cache.masks[key] = matrix.positions_where(con, clause, params)
            allowed: Positions = cache.masks[key]
        return matrix, allowed

    def _has_vectors(self, model: str) -> bool:
        with self._read() as con:
            row = con.execute(
                "SELECT count(*) FROM prompt_embeddings WHERE model = ?", [model]
            ).fetchone()
        return bool(row and row[0])

    # -- hits ------------------------------------------------------------------------------

    def _hits(self, ranking: _Ranking) -> list[SearchHit]:
        if not ranking.ids:
            return []
        with self._read() as con:
            found = _rows_of(
                con, "SELECT p.id, p.name, p.folder, p.tags, p.content FROM prompts p", ranking.ids
            )
        by_id = {row["id"]: row for row in found.to_pylist()}
        pattern = _hit_pattern(ranking.words)
        hits = []
        for prompt_id, score in zip(ranking.ids, ranking.scores, strict=True):
            if prompt_id not in by_id:  # deleted since it was ranked
                continue
            row = by_id[prompt_id]
            text, marks = snippet(row["content"], pattern)
            hits.append(
                SearchHit(
                    prompt_id, row["name"], row["folder"], tuple(row["tags"]), score, text, marks
                )
            )
        return hits

    # -- the in-memory cache ---------------------------------------------------------------

    def _query_provider(self, provider: EmbeddingProvider | None) -> EmbeddingProvider:
        """query_provider, remembered until the next write (it reads the active model)."""
        cache = self._search_cache()
        with cache.lock:
            self._refresh(cache)
            known = cache.provider
        if known is not None and known[0] is provider and known[1] is self.embedder:
            return known[2]
        chosen = self.query_provider(provider)
        with cache.lock:
            cache.provider = (provider, self.embedder, chosen)
        return chosen

    def _page_rows(self, ids: Sequence[str]) -> tuple[pa.Table, list[int]]:
        """ROWS_SELECT's columns for these prompts in their order, and which of `ids` they are
        (not deleted since ranked): from memory for a lingering (interactive) library, else
        fetched, as loading every row would cost a one-shot call more than it saves."""
        if self.linger > 0:
            return self._prompt_rows().take(ids)
        with self._read() as con:
            found = _rows_of(con, ROWS_SELECT, ids)
        at = {prompt_id: i for i, prompt_id in enumerate(found.column("id").to_pylist())}
        kept = [i for i, prompt_id in enumerate(ids) if prompt_id in at]
        return found.take(pa.array([at[ids[i]] for i in kept], pa.int64())), kept

    def _prompt_rows(self) -> PromptRows:
        """Every prompt's prompt_table columns, brought up to date after a write."""
        cache = self._search_cache()
        with cache.lock:
            self._refresh(cache)
            if cache.rows is None or cache.rows_stamp != cache.stamp:
                with self._read() as con:
                    rows = PromptRows.load(con) if cache.rows is None else cache.rows.refreshed(con)
                cache.rows, cache.rows_stamp = rows, cache.stamp
            return cache.rows

    def _ratings(self) -> dict[str, float]:
        """Average rating by prompt id, reloaded only after feedback changed."""
        cache = self._search_cache()
        with cache.lock:
            self._refresh(cache)
            if cache.ratings is None:
                with self._read() as con:
                    cache.feedback = tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                    rows = con.execute(_RATINGS).fetchall()
                cache.ratings = {pid: float(avg) for pid, avg in rows if avg is not None}
            return cache.ratings

    def _search_cache(self) -> _Cache:
        cache = self.__dict__.setdefault("_search_state", _Cache())
        assert isinstance(cache, _Cache)
        return cache

    def _refresh(self, cache: _Cache) -> None:
        """Drop what a write since the last look made stale (the caller holds cache.lock)."""
        stamp = _file_stamp(self.path)
        if stamp == cache.stamp:
            return
        with self._read() as con:
            prompts = tuple(con.execute(_PROMPTS_SIGNATURE).fetchone() or ())
            feedback = (
                tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                if cache.ratings is not None
                else None
            )
            current = text_index.build_id(con) if cache.text is not None else None
            vectors = {
                model: tuple(con.execute(VECTORS_SIGNATURE, [model]).fetchone() or ())
                for model in cache.vectors
            }
        if prompts != cache.prompts:
            cache.prompts, cache.delta, cache.masks = prompts, None, {}
        if feedback != cache.feedback:
            cache.feedback, cache.ratings = None, None
        cache.provider = None
        if cache.text is not None and cache.text.build_id != current:
            cache.text, cache.delta = None, None
        for model, signature in vectors.items():
            if cache.vectors[model].signature != signature:
                del cache.vectors[model]
        cache.stamp = stamp


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", limit, "must be a whole number of at least 1")


def _rows_of(con: duckdb.DuckDBPyConnection, select: str, ids: Sequence[str]) -> pa.Table:
    """`select` (FROM prompts p, no WHERE) for these prompt ids, in no particular order. A
    join with the ids as an Arrow table: an IN list of hundreds of ids is several times slower."""
    con.register("_wanted", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        return con.execute(f"{select} SEMI JOIN _wanted w ON w.id = p.id").to_arrow_table()
    finally:
        con.unregister("_wanted")


def _no_vectors(model: str) -> str:
    return f"no prompt has a vector of model {model!r} yet: embed the library first"


def _file_stamp(path: Any) -> tuple[int, ...]:
    """Changes whenever a transaction commits (to the WAL) or a checkpoint writes the file."""
    stamp: list[int] = []
    for name in (str(path), f"{path}.wal"):
        try:
            info = os.stat(name)
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return tuple(stamp)


def _top(ids: Any, scores: Any, limit: int, words: tuple[QueryWord, ...]) -> _Ranking:
    total = len(ids)
    if total > limit:
        edge = np.partition(scores, total - limit)[total - limit]
        keep = np.flatnonzero(scores >= edge)
        ids, scores = ids[keep], scores[keep]
    order = sorted(zip(ids.tolist(), scores.tolist(), strict=True), key=lambda h: (-h[1], h[0]))
    return _Ranking(
        [i for i, _ in order[:limit]], [s for _, s in order[:limit]], total, None, words
    )


def _hit_pattern(words: Sequence[QueryWord]) -> re.Pattern[str] | None:
    starts = sorted(
        {w for word in words for w in (word.raw, word.stem) if w}, key=len, reverse=True
    )
    if not starts:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in starts) + r")\w*", re.IGNORECASE)


def snippet(
    content: str, pattern: re.Pattern[str] | None, width: int = SNIPPET_WIDTH
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """One line of the content around the first hit (the start when there is none), with the
    spans of every hit inside it."""
    first = pattern.search(content) if pattern else None
    start = 0
    if first is not None and first.start() > width // 3:
        start = content.rfind(" ", 0, first.start() - width // 3) + 1
    window = content[start : start + width * 2]
    text = " ".join(window.split())
    cut = len(text) > width or start + len(window) < len(content)
    text = text[:width].rstrip()
    text = ("…" if start else "") + text + ("…" if cut else "")
    marks = tuple((m.start(), m.end()) for m in pattern.finditer(text)) if pattern else ()
    return text, marks
