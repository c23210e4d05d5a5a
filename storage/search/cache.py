"""What search keeps in memory between calls, per library: the text index's postings, each
model's vector matrix and the filter masks over them, the ratings, the query provider and
(interactive libraries) every prompt's browse row. The database's change stamp tells whether
anything was written since the last look; only then do the SQL signatures below decide what
to reload, so a search after no change costs no reload and one after an edit no rebuild."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.models import PromptFilter
from storage.prompts.filters import filter_sql
from storage.search import text_index
from storage.search.embedding import EmbeddingProvider
from storage.search.embeddings import EmbeddingService
from storage.search.text_index import Delta, TextIndex, build_text_index

if TYPE_CHECKING:  # imported where they are loaded (they import pyarrow: see `matrix`)
    from storage.search.rows import PromptRows
    from storage.search.vector_cache import VectorCache
    from storage.search.vector_set import Allowed, VectorSet

# A delta above this many prompts (and a tenth of the index) is cheaper rebuilt than re-scored.
REBUILD_AT = 2000

_PROMPTS_SIGNATURE = (
    "SELECT count(*), coalesce(sum(hash(id, current_version, archived_at)), 0) FROM prompts"
)
_FEEDBACK_SIGNATURE = "SELECT count(*), coalesce(sum(hash(prompt_id, rating)), 0) FROM feedback"
_RATINGS = "SELECT prompt_id, avg_rating FROM mart.prompt_ratings"
_UNEMBEDDED = (
    "SELECT count(*) FROM prompts p WHERE p.archived_at IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM prompt_embeddings e WHERE e.prompt_id = p.id AND e.model = ?)"
)


class SearchCache:
    """Fields are read and written under `lock` (the ranker holds it while it scores)."""

    def __init__(
        self, db: Database, embeddings: EmbeddingService, vectors_folder: Path | None = None
    ) -> None:
        self._db = db
        self._embeddings = embeddings
        self._vectors_folder = vectors_folder  # where the vectors are kept (None: in memory)
        self._vector_cache: VectorCache | None = None
        self.lock = threading.Lock()
        self._vectors_lock = threading.Lock()
        self.stamp: tuple[int, ...] | None = None
        self.generation = 0  # writes seen (a change of stamp)
        self.prompts: tuple[Any, ...] | None = None
        self.text: TextIndex | None = None
        self.delta: Delta | None = None
        self.masks: dict[tuple[Any, ...], Any] = {}
        self.rows: PromptRows | None = None
        self.rows_stamp: tuple[int, ...] | None = None  # the stamp the rows were brought up to
        self.feedback: tuple[Any, ...] | None = None
        self.ratings_by_id: dict[str, float] | None = None  # average rating (rated ones only)
        # (provider asked for, library embedder, the query provider they give): the active
        # model is read from the file, so this holds until the next write.
        self.provider: tuple[Any, Any, EmbeddingProvider] | None = None
        self.unembedded_counts: dict[str, int] = {}  # live prompts without a vector, by model

    def refresh(self) -> None:
        """Drop what a write since the last look made stale (the caller holds the lock)."""
        stamp = self._db.change_stamp()
        if stamp == self.stamp:
            return
        with self._db.read() as con:
            prompts = tuple(con.execute(_PROMPTS_SIGNATURE).fetchone() or ())
            feedback = (
                tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                if self.ratings_by_id is not None
                else None
            )
            current = text_index.build_id(con) if self.text is not None else None
        if prompts != self.prompts:
            self.prompts, self.delta, self.masks = prompts, None, {}
        if feedback != self.feedback:
            self.feedback, self.ratings_by_id = None, None
        self.provider = None
        self.unembedded_counts = {}
        if self.text is not None and self.text.build_id != current:
            self.text, self.delta = None, None
        self.generation += 1  # each model's vectors look at their signature again
        self.stamp = stamp

    def ensure_text_index(self) -> bool:
        """Bring the cached index and delta up to date (building the index when there is none,
        or when the delta has grown past REBUILD_AT); False when none can exist."""
        self.refresh()
        if self.text is not None and self.delta is not None:
            return True
        with self._db.read() as con:
            load_fts(con)
            if self.text is None:
                current = text_index.build_id(con)
                self.text = None if current is None else TextIndex.load(con, current)
            if self.text is not None:
                self.delta = self.text.delta(con)
        missing = self.text is None
        big = (
            self.text is not None
            and self.delta is not None
            and len(self.delta.ids) > max(REBUILD_AT, self.text.num_docs // 10)
        )
        if (missing or big) and not self._db.read_only:
            build_text_index(self._db)
            with self._db.read() as con:
                load_fts(con)
                current = text_index.build_id(con)
                assert current is not None
                self.text = TextIndex.load(con, current)
                self.delta = self.text.delta(con)
            self.masks = {k: v for k, v in self.masks.items() if k[0] != "text"}
            self.stamp = None  # the build wrote to the file
        return self.text is not None

    @property
    def vectors(self) -> VectorCache:
        """Each model's vectors (kept in the cache dir; an index above a size), made on first
        use: its modules are imported here, so that a one-shot search imports no pyarrow."""
        from storage.search.vector_cache import VectorCache

        with self._vectors_lock:
            if self._vector_cache is None:
                self._vector_cache = VectorCache(self._db, self._vectors_folder)
            return self._vector_cache

    def matrix(self, model: str, where: PromptFilter) -> tuple[VectorSet, Allowed]:
        """The model's current vectors and the rows passing the filter (brought up to date
        after a write changed them: the delta since the kept base, not a reload)."""
        with self.lock:
            self.refresh()
            generation = self.generation
        vectors = self.vectors.get(model, generation)
        key = ("vectors", model, generation, where)
        with self._vectors_lock:
            held = self.masks.get(key)
        if held is not None and held[0] is vectors.base and held[1] is vectors.delta:
            allowed: Allowed = held[2]
            return vectors, allowed
        clause, params = filter_sql(where)
        with self._db.read() as con:
            allowed = vectors.allowed(con, clause, params)
        with self._vectors_lock:
            self.masks[key] = (vectors.base, vectors.delta, allowed)
        return vectors, allowed

    def query_provider(self, provider: EmbeddingProvider | None) -> EmbeddingProvider:
        """EmbeddingService.query_provider, remembered until the next write (it reads the
        active model). A one-shot process asks once: no signature is read to remember it."""
        if not self._db.interactive:
            return self._embeddings.query_provider(provider)
        with self.lock:
            self.refresh()
            known = self.provider
        if known is not None and known[0] is provider and known[1] is self._embeddings.embedder:
            return known[2]
        chosen = self._embeddings.query_provider(provider)
        with self.lock:
            self.provider = (provider, self._embeddings.embedder, chosen)
        return chosen

    def prompt_rows(self) -> PromptRows:
        """Every prompt's prompt_table columns, brought up to date after a write."""
        from storage.search.rows import PromptRows  # see `matrix`

        with self.lock:
            self.refresh()
            if self.rows is None or self.rows_stamp != self.stamp:
                with self._db.read() as con:
                    rows = PromptRows.load(con) if self.rows is None else self.rows.refreshed(con)
                self.rows, self.rows_stamp = rows, self.stamp
            return self.rows

    def ratings(self) -> dict[str, float]:
        """Average rating by prompt id, reloaded only after feedback changed."""
        with self.lock:
            self.refresh()
            if self.ratings_by_id is None:
                with self._db.read() as con:
                    self.feedback = tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                    rows = con.execute(_RATINGS).fetchall()
                self.ratings_by_id = {pid: float(avg) for pid, avg in rows if avg is not None}
            return self.ratings_by_id

    def unembedded(self, model: str) -> int:
        """Live prompts with no vector of `model`: semantic search cannot rank them."""
        with self.lock:
            self.refresh()
            if model not in self.unembedded_counts:
                with self._db.read() as con:
                    row = con.execute(_UNEMBEDDED, [model]).fetchone()
                self.unembedded_counts[model] = int(row[0]) if row else 0
            return self.unembedded_counts[model]
