"""What search keeps in memory between calls, per library: the text index's postings, each
model's vector matrix and the filter masks over them, the ratings, the query provider and
(interactive libraries) every prompt's browse row. The database's change stamp tells whether
anything was written since the last look; only then do the SQL signatures below decide what
to reload, so a search after no change costs no reload and one after an edit no rebuild."""

from __future__ import annotations

import threading
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
    from storage.search.vector_index import Positions, VectorMatrix

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

    def __init__(self, db: Database, embeddings: EmbeddingService) -> None:
        self._db = db
        self._embeddings = embeddings
        self.lock = threading.Lock()
        self.stamp: tuple[int, ...] | None = None
        self.prompts: tuple[Any, ...] | None = None
        self.text: TextIndex | None = None
        self.delta: Delta | None = None
        self.vectors: dict[str, VectorMatrix] = {}
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
            stale = [model for model, held in self.vectors.items() if not held.current(con)]
        if prompts != self.prompts:
            self.prompts, self.delta, self.masks = prompts, None, {}
        if feedback != self.feedback:
            self.feedback, self.ratings_by_id = None, None
        self.provider = None
        self.unembedded_counts = {}
        if self.text is not None and self.text.build_id != current:
            self.text, self.delta = None, None
        for model in stale:
            del self.vectors[model]
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

    def matrix(self, model: str, where: PromptFilter) -> tuple[VectorMatrix, Positions]:
        """The model's current matrix and the rows passing the filter (loaded on first use
        and after a write changed them). Only an interactive library holds them: the modules
        are imported here, so that a one-shot search imports no pyarrow."""
        from storage.search.vector_index import VectorMatrix

        with self.lock:
            self.refresh()
            matrix = self.vectors.get(model)
            if matrix is None:
                with self._db.read() as con:
                    matrix = self.vectors[model] = VectorMatrix.load(con, model)
            key = ("vectors", model, matrix.signature, where)
            if key not in self.masks:
                clause, params = filter_sql(where)
                with self._db.read() as con:
                    self.masks[key] = matrix.positions_where(con, clause, params)
            allowed: Positions = self.masks[key]
        return matrix, allowed

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
