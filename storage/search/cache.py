"""What search keeps in memory between calls, per library: the text index's postings, each
model's vector matrix and the filter masks over them, the ratings, the query provider and
(interactive libraries) every prompt's browse row. The database's change stamp tells whether
anything was written since the last look; only then do the SQL signatures below decide what
to reload, so a search after no change costs no reload and one after an edit no rebuild.

Each of them loads under a lock of its own, so that one slow to load (a million vectors)
never holds up another (the text index a keystroke needs): a caller that must not wait asks
with `*_if_ready` and answers from the file meanwhile. The text index's arrays are also kept
on disk (storage/search/text_postings.py), so a new process opens them instead of rebuilding
them from tens of millions of postings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.db.connection import load_fts
from storage.db.database import Database
from storage.db.write_journal import Declared
from storage.models import PromptFilter
from storage.prompts.filters import filter_sql
from storage.search import prompt_keys, text_catch_up, text_index, text_postings
from storage.search.embedding import EmbeddingProvider
from storage.search.embeddings import EmbeddingService
from storage.search.prompt_keys import Changes, PromptKeys
from storage.search.text_index import Bools, Delta, TextIndex, build_text_index
from storage.search.text_scorer import TextScorer

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
_LIVE = "SELECT count(*) FROM prompts WHERE archived_at IS NULL"


class SearchCache:
    """`text_lock` is held while the text index is brought up to date and while it scores;
    `build_lock` while the index is (re)built in the file; the rest have private locks.
    `refresh` only drops references, so a holder keeps scoring what it took. `generation`
    counts the writes seen (vector masks are keyed by it), `resets` those that made the
    prompt-derived caches stale whole: what was loaded while it moved may predate the write,
    so the loader looks again (`_settled`).

    An interactive library holds each prompt's key (storage/search/prompt_keys.py): after a
    write, the prompts it added or changed are queued for the rows and the text delta and
    masks, which take in just those when next asked (a deletion reloads the text side)."""

    def __init__(
        self,
        db: Database,
        embeddings: EmbeddingService,
        folder: Path | None = None,
        vectors_folder: Path | None = None,
    ) -> None:
        self._db = db
        self._embeddings = embeddings
        self._folder = folder  # where the text index's arrays are kept (None: not kept)
        self._vectors_folder = vectors_folder  # where the vectors are kept (None: in memory)
        self._vector_cache: VectorCache | None = None
        self.text_lock = threading.Lock()
        self.build_lock = threading.Lock()
        self._stamp_lock = threading.Lock()
        self._vectors_lock = threading.Lock()
        self._rows_lock = threading.Lock()
        self._ratings_lock = threading.Lock()
        self._counts_lock = threading.Lock()
        self._keys_lock = threading.Lock()
        self.stamp: tuple[int, ...] | None = None
        self.generation = 0
        self.resets = 0
        self.prompts: tuple[Any, ...] | None = None  # a one-shot library's signature
        self._keys: PromptKeys | None = None  # an interactive library's
        self._rows_pending: set[str] | None = set()  # changed since the rows (None: all)
        self._text_pending: set[str] = set()  # changed since the text delta
        self.text: TextIndex | None = None
        self._scorer: TextScorer | None = None  # its buffers, for `text` (under text_lock)
        self.delta: Delta | None = None
        # By filter: which indexed docs and which delta prompts pass it (the delta they were
        # made for); held under text_lock.
        self.text_masks: dict[PromptFilter, tuple[Bools, Bools, Delta]] = {}
        self.masks: dict[tuple[Any, ...], Any] = {}  # the vectors' filter masks
        self.rows: PromptRows | None = None
        self.rows_stamp: tuple[int, ...] | None = None  # the stamp the rows were brought up to
        self.feedback: tuple[Any, ...] | None = None
        self.ratings_by_id: dict[str, float] | None = None  # average rating (rated ones only)
        # (provider asked for, library embedder, the query provider they give): the active
        # model is read from the file, so this holds until the next write.
        self.provider: tuple[Any, Any, EmbeddingProvider] | None = None
        self.unembedded_counts: dict[str, int] = {}  # live prompts without a vector, by model

    def refresh(self) -> None:
        """Drop what a write since the last look made stale."""
        self._load_keys()
        with self._stamp_lock:
            stamp = self._db.change_stamp()
            if stamp == self.stamp:
                return
            self.generation += 1  # each model's vectors look at their signature again
            self.masks = {}  # the vectors' masks, keyed by the generation
            declared = self._db.changed_since(self.stamp) if self._db.interactive else None
            if self._vector_cache is not None:
                self._vector_cache.note(self.generation, declared)
            with self._db.read() as con:
                feedback = (
                    tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                    if self.ratings_by_id is not None and (declared is None or declared.feedback)
                    else self.feedback  # (none held, or no feedback written since)
                )
                current = text_index.build_id(con) if self.text is not None else None
                # Last: it moves the held keys on, so no query may fail after it (a paused
                # read) before the changes it found are queued below.
                changes = self._prompt_changes(con, declared)
            if changes is None or changes.deleted:
                self.resets += 1
                self.delta, self.text_masks = None, {}
                self._rows_pending = None if changes is None else self._rows_pending
            if changes:
                self._text_pending |= changes.ids
                if self._rows_pending is not None:
                    self._rows_pending |= changes.ids
            if feedback != self.feedback:
                self.feedback, self.ratings_by_id = None, None
            self.provider = None
            self.unembedded_counts = {}
            if self.text is not None and self.text.build_id != current:
                self.resets += 1
                self.text, self.delta, self.text_masks = None, None, {}
                self._scorer = None  # (and its maps of the old index's files)
            self.stamp = stamp

    def _prompt_changes(self, con: Any, declared: Declared | None) -> Changes | None:
        """The prompts added or changed since the last look (None: unknown, all may have):
        what our own writes declared, when they alone wrote since."""
        if not self._db.interactive:  # one look per process: a signature, no keys held
            prompts = tuple(con.execute(_PROMPTS_SIGNATURE).fetchone() or ())
            same = prompts == self.prompts
            self.prompts = prompts
            return Changes(frozenset(), deleted=False) if same else None
        if self._keys is None:  # being loaded: every write reloads whole meanwhile
            return None
        if declared is not None:  # only our own writes since: the keys need not be read
            if len(declared.prompts) > prompt_keys.MAX_CHANGES:
                return None
            return Changes(declared.prompts, deleted=False)  # (held keys behind: see again)
        self._keys, changes = self._keys.since(con)
        return changes

    def _load_keys(self) -> None:
        """An interactive library's prompt keys, loaded once (0.15-0.7 s at a million
        prompts) by the first caller, outside the stamp lock, so that the others (a
        keystroke) go on meanwhile. They are kept only when no write landed between the
        last look and now: else what was loaded before may predate a write they hold."""
        if self._keys is not None or self.stamp is None or not self._db.interactive:
            return  # (the first look comes first: the keys are kept only after one)
        if not self._keys_lock.acquire(blocking=False):
            return
        try:
            before = self._db.change_stamp()
            with self._db.read() as con:
                keys = PromptKeys.load(con)
            with self._stamp_lock:
                if self._keys is None and before == self.stamp == self._db.change_stamp():
                    self._keys = keys
        finally:
            self._keys_lock.release()

    def _settled(self, generation: int, counter: str = "generation") -> bool:
        """After a load begun at `generation` (of `counter`): True when no write was seen
        meanwhile; else the next refresh looks again (what was loaded may be stale)."""
        if generation == getattr(self, counter):
            return True
        with self._stamp_lock:
            self.stamp = None
        return False

    def ensure_text_index(self) -> bool:
        """Bring the cached index and delta up to date (the caller holds `text_lock`): open
        the kept arrays or load them from the file, and build the index when there is none or
        the delta has grown past REBUILD_AT. False when none can exist."""
        while True:
            self.refresh()
            resets = self.resets
            ready = self._update_text()
            if self._settled(resets, "resets"):
                return ready
            self.delta = None  # computed before a write: again

    def _update_text(self) -> bool:
        with self._stamp_lock:
            pending, self._text_pending = self._text_pending, set()
        text, delta = self.text, self.delta
        if text is not None and delta is not None:
            if pending:
                try:
                    delta = self._catch_up_text(delta, pending)
                except BaseException:  # (a paused read, say) they are still to take in
                    with self._stamp_lock:
                        self._text_pending |= pending
                    raise
            if len(delta.ids) <= max(REBUILD_AT, text.num_docs // 10):
                return True
        with self._db.read() as con:
            load_fts(con)
            if self.text is None:
                self.text = self._open_text(con)
            if self.text is not None:
                self.delta, self.text_masks = self.text.delta(con), {}
        missing = self.text is None
        big = (
            self.text is not None
            and self.delta is not None
            and len(self.delta.ids) > max(REBUILD_AT, self.text.num_docs // 10)
        )
        if (missing or big) and not self._db.read_only:
            with self.build_lock:
                build_text_index(self._db)
            with self._db.read() as con:
                load_fts(con)
                self.text = self._open_text(con)
                assert self.text is not None
                self.delta, self.text_masks = self.text.delta(con), {}
        return self.text is not None

    def _catch_up_text(self, delta: Delta, ids: set[str]) -> Delta:
        """The delta and the filter masks with these changed prompts taken in; kept unless a
        write made them stale whole meanwhile (then the caller's `_settled` loads again)."""
        masks = self.text_masks
        with self._db.read() as con:
            load_fts(con)
            updated = text_catch_up.updated(con, delta, ids)
            patched = {
                where: (
                    text_catch_up.patch_allowed(con, allowed, ids, *filter_sql(where)),
                    fresh,
                    of,
                )
                for where, (allowed, fresh, of) in masks.items()
            }
        with self._stamp_lock:
            if self.delta is delta and self.text_masks is masks:
                self.delta, self.text_masks = updated, patched
        return updated

    def text_scorer(self, index: TextIndex) -> TextScorer:
        """What scores `index` (under text_lock): its buffers made the first time, by
        prepare() in the background when the app opens, or by a keystroke after a rebuild."""
        if self._scorer is None or self._scorer.index is not index:
            self._scorer = None  # the old buffers go before the new ones are made
            self._scorer = TextScorer(index)
        return self._scorer

    def text_allowed(self, con: Any, where: PromptFilter) -> tuple[Bools, Bools]:
        """Which indexed docs and which delta prompts pass the filter (the caller holds
        text_lock, and has brought the index up to date)."""
        assert self.text is not None and self.delta is not None
        clause, params = filter_sql(where)
        held = self.text_masks.get(where)
        if held is None:
            allowed = self.text.docs_where(con, clause, params)
        elif held[2] is self.delta:
            return held[0], held[1]
        else:
            allowed = held[0]
        fresh = text_catch_up.fresh_where(con, self.delta, clause, params)
        self.text_masks[where] = (allowed, fresh, self.delta)
        return allowed, fresh

    def _open_text(self, con: Any) -> TextIndex | None:
        """The file's index: its kept arrays when they are there, else loaded (and kept)."""
        found = text_index.build_id(con)
        if found is None:
            return None
        key = text_postings.Key(str(self._db.path), found, text_index.signature(con))
        if self._folder is not None:
            kept = text_postings.open_kept(self._folder, key, self._db.background.waiter())
            if kept is not None:
                return kept
        index = TextIndex.load(con, found)
        if self._folder is None:
            return index
        text_postings.keep(self._folder, key, index)
        # As kept (memory-mapped): the loaded arrays held 0.65 GB of the process at 1M.
        return text_postings.open_kept(self._folder, key, self._db.background.waiter()) or index

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
        self.refresh()
        known = self.provider
        if known is not None and known[0] is provider and known[1] is self._embeddings.embedder:
            return known[2]
        chosen = self._embeddings.query_provider(provider)
        self.provider = (provider, self._embeddings.embedder, chosen)
        return chosen

    def prompt_rows(self, *, wait: bool = True) -> PromptRows | None:
        """Every prompt's prompt_table columns, brought up to date after a write; None when
        `wait` is False and another thread is loading them."""
        self.refresh()
        if not self._rows_lock.acquire(blocking=wait):
            return None
        try:
            with self._stamp_lock:
                seen, pending = self.stamp, self._rows_pending
                self._rows_pending = set()
            try:
                self._update_rows(seen, pending)
            except BaseException:  # (a paused read, say) they are still to take in
                with self._stamp_lock:
                    if self._rows_pending is not None:
                        self._rows_pending = (
                            None if pending is None else self._rows_pending | pending
                        )
                raise
            self.rows_stamp = seen
            return self.rows
        finally:
            self._rows_lock.release()

    def _update_rows(self, seen: tuple[int, ...] | None, pending: set[str] | None) -> None:
        from storage.search.rows import PromptRows  # see `matrix`

        if self.rows is None or pending is None:
            with self._db.read() as con:
                rows = PromptRows.load(con) if self.rows is None else self.rows.refreshed(con)
            self.rows = rows
        elif pending or (self._keys is None and self.rows_stamp != seen):
            with self._db.read() as con:  # a one-shot library has no keys: compare all
                self.rows = self.rows.updated(con, pending) if pending else self.rows.refreshed(con)

    def ratings(self, *, wait: bool = True) -> dict[str, float] | None:
        """Average rating by prompt id, reloaded only after feedback changed; None when
        `wait` is False and another thread is loading them."""
        self.refresh()
        if not self._ratings_lock.acquire(blocking=wait):
            return None
        try:
            ratings = self.ratings_by_id
            if ratings is None:
                generation = self.generation
                with self._db.read() as con:
                    self.feedback = tuple(con.execute(_FEEDBACK_SIGNATURE).fetchone() or ())
                    rows = con.execute(_RATINGS).fetchall()
                ratings = {pid: float(avg) for pid, avg in rows if avg is not None}
                self.ratings_by_id = ratings
                self._settled(generation)
            return ratings
        finally:
            self._ratings_lock.release()

    def unembedded(self, model: str) -> int:
        """Live prompts with no vector of `model`: semantic search cannot rank them. The live
        prompts less those with a vector (the default filter's mask over the held vectors):
        a join of every prompt with every vector cost 0.4 s at 100k after each write."""
        self.refresh()
        with self._counts_lock:
            if model not in self.unembedded_counts:
                _, embedded = self.matrix(model, PromptFilter())
                with self._db.read() as con:
                    row = con.execute(_LIVE).fetchone()
                live = int(row[0]) if row else 0
                self.unembedded_counts[model] = max(live - embedded.count, 0)
            return self.unembedded_counts[model]
