"""Search: BM25 text, semantic (cosine over stored vectors) and hybrid (weighted reciprocal
rank fusion, set per model: `fusion_for`), with the browse filters (PromptFilter) applied
before ranking. Scores: text is BM25, semantic the cosine with the query's vector, hybrid the
fused rank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.errors import ValidationError
from storage.models import SEARCH_MODES as MODES
from storage.models import Prompt, PromptFilter, PromptPage, Record, short_id
from storage.prompts import references as refs
from storage.search.cache import SearchCache
from storage.search.embedding import EmbeddingProvider
from storage.search.embeddings import EmbeddingService, _checked, embedding_text
from storage.search.ranking import Ranker, Ranking, check_limit
from storage.search.text_index import QueryWord, build_text_index
from storage.search.vectors_once import VectorCounts

if TYPE_CHECKING:  # imports pyarrow: a team library's, which a file's search does not pay
    from storage.db.lake_mirror import LakeMirror, Refresh

ENGINES = ("numpy", "sql")
FUSION_DEPTH = 200  # how far down each ranking hybrid fuses (at least the page asked for)
SNIPPET_WIDTH = 120


@dataclass(frozen=True, slots=True)
class Fusion:
    """Hybrid's score of a prompt: 1/(k + text rank) + semantic/(k + semantic rank)."""

    k: float
    semantic: float  # the semantic ranking's weight; the text ranking's is 1


# Measured with tests/perf/bench_meaning.py (paraphrased and keyword queries over
# awesome-chatgpt-prompts): the best mean MRR of the two sets. The bundled model ranks meaning
# better than BM25 does, the lexical one adds little to BM25; models not measured get the
# textbook k=60, equal weights.
MODEL_FUSION = {"wordllama-": Fusion(5, 2.0), "local-ngram-": Fusion(5, 0.5)}
DEFAULT_FUSION = Fusion(60, 1.0)


def fusion_for(model: str) -> Fusion:
    return next((f for p, f in MODEL_FUSION.items() if model.startswith(p)), DEFAULT_FUSION)


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


class SearchService:
    """On a team library `mirror` holds what search ranks in a local file (the text index
    too); every call first brings it to the lake's latest snapshot (`catch_up`).
    `cache_folder` is where the text index's arrays are kept between processes,
    `vectors_folder` each model's vectors (and ANN index)."""

    def __init__(
        self,
        db: Database,
        embeddings: EmbeddingService,
        mirror: LakeMirror | None = None,
        *,
        cache_folder: Path | None = None,
        vectors_folder: Path | None = None,
    ) -> None:
        self._library = db  # references are resolved here (versions and labels)
        self._db = db if mirror is None else mirror.local  # what is ranked and shown
        self._mirror = mirror
        self._embeddings = embeddings
        self._cache = SearchCache(self._db, embeddings, cache_folder, vectors_folder)
        self._ranker = Ranker(self._db, self._cache)

    def catch_up(self) -> Refresh | None:
        """Bring a team library's local mirror up to the lake (None: a file needs none)."""
        return None if self._mirror is None else self._mirror.refresh()

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
        self.catch_up()
        ranking = self._rank(query, mode, where, limit, min_score, provider, engine)
        return SearchResult(self._hits(ranking), mode, ranking.notice, ranking.total)

    def table(
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
        from storage.search import rows  # Arrow: imported by the one method that returns it

        self.catch_up()
        ranking = self._rank(
            query, mode, where, offset + limit, min_score, provider, engine, match_all
        )
        ids, scores = ranking.ids[offset:], ranking.scores[offset:]
        # Every row held: no query. A one-shot call (loading every row would cost it more
        # than it saves), or one made while another thread loads them, reads its page.
        held = self._cache.prompt_rows(wait=False) if self._db.interactive else None
        ratings = self._cache.ratings(wait=False) if self._db.interactive else None
        if held is not None and ratings is not None:
            table, kept = held.take(ids)
        else:
            with self._db.read() as con:
                table, kept = held.take(ids) if held is not None else rows.fetch(con, ids)
                ratings = ratings if ratings is not None else rows.ratings_of(con, ids)
        table = rows.scored(table, [(ratings.get(ids[i]), scores[i]) for i in kept])
        return PromptPage(table, ranking.total, offset, ranking.notice)

    def similar(self, ref: str, limit: int = 5, *, engine: str | None = None) -> SearchResult:
        """The live prompts nearest to `ref` by the active model's vectors; the notice says
        how many prompts have no vector (they cannot be among them)."""
        check_limit(limit)
        self.catch_up()
        engine = self._ranker.engine(engine)
        provider = self._cache.query_provider(None)
        # An id of a prompt the held rows know needs no lookup (the browse preview's case).
        held = self._cache.prompt_rows(wait=False) if self._db.interactive else None
        known = held is not None and held.row(ref) is not None
        prompt_id = ref if known else self._prompt(ref).id
        stored: Any = None
        if engine == "numpy":  # the stored vector is one of the (current) held ones
            vectors, _ = self._cache.matrix(provider.model, PromptFilter())
            stored = vectors.vector(prompt_id)
        else:
            with self._db.read() as con:
                row = con.execute(
                    "SELECT embedding FROM prompt_embeddings WHERE prompt_id = ? AND model = ?",
                    [prompt_id, provider.model],
                ).fetchone()
            stored = None if row is None else np.asarray(row[0], np.float32)
        if stored is not None:
            vector = stored
        else:
            prompt = self._prompt(prompt_id)
            text = embedding_text(prompt.name, prompt.description, prompt.content)
            vector = _checked(provider, provider.embed([text]), 1)[0]
        ranking = self._ranker.vectors(
            provider.model, vector, PromptFilter(), limit + 1, None, engine
        )
        keep = [i for i, pid in enumerate(ranking.ids) if pid != prompt_id][:limit]
        picked = Ranking(
            [ranking.ids[i] for i in keep], [ranking.scores[i] for i in keep], len(keep)
        )
        return SearchResult(self._hits(picked), "semantic", ranking.notice, len(keep))

    def prepare(self, mode: str = "text", where: PromptFilter = PromptFilter()) -> str | None:
        """Do now what the first search of `mode` under `where` would do (build or load the
        text index and its filter mask; load the active model's vectors; hold the rows and
        ratings search_table returns), so that an interactive first keystroke is fast.
        Returns the notice that search would give (a fallback, no vectors yet), or None."""
        self.catch_up()
        if self._db.interactive:
            self._cache.prompt_rows()
        self._cache.ratings()
        if mode == "text":
            with self._db.read() as con:
                if not load_fts(con):
                    return "full-text search unavailable: matching words instead of BM25"
            with self._cache.text_lock:
                ready = self._cache.ensure_text_index()
                if ready:  # the mask costs the first keystroke 0.1 s at 100k, 0.65 s at 1M
                    with self._db.read() as con:
                        self._cache.text_allowed(con, where)
                    if self._cache.text is not None:
                        self._cache.text_scorer(self._cache.text)
            return None if ready else "no text index yet (read-only library): matching words"
        return self.search("prepare", mode, where, limit=1).notice

    def build_text_index(self) -> int:
        """(Re)build the BM25 index now (search builds it lazily); returns the prompts indexed.
        The index is derived from the prompts like a cache, so it is not an audited change."""
        self.catch_up()
        return build_text_index(self._db)

    # -- ranking ---------------------------------------------------------------------------

    def _prompt(self, ref: str) -> Prompt:
        with self._library.read() as con:
            return refs.resolve(con, ref).prompt

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
    ) -> Ranking:
        if mode not in MODES:
            raise ValidationError("mode", mode, f"must be one of {', '.join(MODES)}")
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query", query, "must not be empty")
        check_limit(limit)
        if engine is not None and engine not in ENGINES:
            raise ValidationError("engine", engine, f"must be one of {', '.join(ENGINES)}")
        if mode == "text":
            return self._ranker.text(query, where, limit, min_score, match_all)
        chosen = self._cache.query_provider(provider)
        hybrid = mode == "hybrid"
        depth = max(limit, FUSION_DEPTH) if hybrid else limit
        floor = None if hybrid else min_score
        text: Ranking | None = None
        if self._ranker.engine(engine) == "sql" and floor is None:
            # One query, answered in DuckDB: what needs no query vector (the text ranking, the
            # counts) is read on a second thread while this one embeds the query (the model
            # loads in a one-shot process: 0.1-0.2 s), and while DuckDB ranks the vectors. A
            # read held through both keeps the file open: a library that lingers on no
            # connection would otherwise open and close it in two threads at once.
            with self._db.read(), ThreadPoolExecutor(max_workers=1) as pool:
                early = pool.submit(self._needing_no_vector, query, where, depth, match_all,
                                    chosen.model, hybrid)  # fmt: skip
                vector = _checked(chosen, chosen.embed([query]), 1)[0]
                semantic = self._ranker.vectors(
                    chosen.model, vector, where, depth, None, engine, lambda: early.result()[1]
                )
                text = early.result()[0]
        else:
            vector = _checked(chosen, chosen.embed([query]), 1)[0]
            semantic = self._ranker.vectors(chosen.model, vector, where, depth, floor, engine)
        if not hybrid:
            return semantic
        if text is None:
            text = self._ranker.text(query, where, depth, None, match_all, counted=False)
        fusion = fusion_for(chosen.model)
        fused: dict[str, float] = {}
        for ranking, weight in ((text, 1.0), (semantic, fusion.semantic)):
            for rank, prompt_id in enumerate(ranking.ids, start=1):
                fused[prompt_id] = fused.get(prompt_id, 0.0) + weight / (fusion.k + rank)
        order = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        if min_score is not None:
            order = [item for item in order if item[1] >= min_score]
        notice = "; ".join(n for n in (text.notice, semantic.notice) if n) or None
        return Ranking(
            [i for i, _ in order[:limit]],
            [s for _, s in order[:limit]],
            len(order),
            notice,
            text.words,
        )

    def _needing_no_vector(
        self, query: str, where: PromptFilter, depth: int, match_all: bool, model: str,
        hybrid: bool,
    ) -> tuple[Ranking | None, VectorCounts]:  # fmt: skip
        text = (
            self._ranker.text(query, where, depth, None, match_all, counted=False)
            if hybrid
            else None
        )
        return text, self._ranker.vector_counts(model, where)

    def _hits(self, ranking: Ranking) -> list[SearchHit]:
        if not ranking.ids:
            return []
        with self._db.read() as con:
            found = con.execute(
                "SELECT p.id, p.name, p.folder, p.tags, p.content FROM prompts p "
                "WHERE p.id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
                [ranking.ids],
            ).fetchall()
        by_id = {row[0]: row for row in found}
        pattern = _hit_pattern(ranking.words)
        hits = []
        for prompt_id, score in zip(ranking.ids, ranking.scores, strict=True):
            if prompt_id not in by_id:  # deleted since it was ranked
                continue
            _, name, folder, tags, content = by_id[prompt_id]
            text, marks = snippet(content, pattern)
            hits.append(SearchHit(prompt_id, name, folder, tuple(tags), score, text, marks))
        return hits


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
