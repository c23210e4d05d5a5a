"""Each embedding model's `VectorSet`, kept up to date: the base kept in the user cache dir
opened (or written, the first time), the delta since brought up to date after a write, and,
in an interactive library, work done in a background thread while search keeps answering
exactly: the ANN index built for a base of `ann_from` vectors or more that has none, and a
new base (with its index) written when the delta has grown past `rebase_at`. A one-shot
process ranks in DuckDB (vectors_once.py) and never builds.

Retraining: a new base reuses the old index's clusters (no k-means) unless the library has
drifted from what they were trained on: more rows changed since the training than half the
rows trained on, or a size at which another number of clusters is chosen (`nlist_for`)."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from storage.db.database import Database
from storage.db.write_journal import Declared
from storage.search import vector_base, vector_delta
from storage.search.vector_base import VectorBase
from storage.search.vector_set import EXACT_UP_TO, VectorSet

if TYPE_CHECKING:  # faiss is imported where an index is opened or built
    from storage.search.ann_index import AnnIndex

ANN_FROM = 150_000  # vectors: below, brute force meets its target (tests/perf/bench_ann.py)
REBASE_AT = 5_000  # delta rows (or a fiftieth of the base, when more) that call for a new base
KEEP = 4  # libraries x models whose vectors are kept (the most recently written)


class VectorCache:
    def __init__(
        self,
        db: Database,
        folder: Path | None,
        *,
        ann_from: int = ANN_FROM,
        rebase_at: int = REBASE_AT,
        exact_up_to: int = EXACT_UP_TO,
    ) -> None:
        self._db = db
        self._folder = folder  # where bases are kept (None: held in memory only)
        self._ann_from = ann_from
        self._rebase_at = rebase_at
        self._exact_up_to = exact_up_to
        self._lock = threading.Lock()  # the sets
        self._sets: dict[str, VectorSet] = {}
        self._checked: dict[str, int] = {}  # the generation each set was last brought up to
        # Per model: the generation the notes reach, and the prompts whose vectors our own
        # writes stored since its set was last brought up to date (None: unknown, another
        # write may have changed any). Its own lock: a note must not wait for a set loading.
        self._stored: dict[str, tuple[int, frozenset[str] | None]] = {}
        self._stored_lock = threading.Lock()
        self._work_lock = threading.Lock()
        self._work: threading.Thread | None = None
        self.failure: str | None = None  # why the last background work failed (search goes on)

    def held(self) -> dict[str, VectorSet]:
        return dict(self._sets)

    def note(self, generation: int, declared: Declared | None) -> None:
        """The writes SearchCache saw as `generation` declared this (None: unknown)."""
        with self._stored_lock:
            for model, (reached, stored) in self._stored.items():
                merged = None
                if stored is not None and declared is not None and generation == reached + 1:
                    merged = stored | declared.embedded
                self._stored[model] = (generation, merged)

    def get(self, model: str, generation: int) -> VectorSet:
        """The model's vectors as of `generation` (SearchCache's count of writes seen)."""
        with self._lock:
            held = self._sets.get(model)
            if held is None or self._checked.get(model) != generation:
                with self._stored_lock:  # taken before the read: a later write is seen later
                    reached, stored = self._stored.get(model, (-1, None))
                    self._stored[model] = (generation, frozenset())
                    stored = stored if reached == generation else None  # a note missed
                try:
                    with self._db.read() as con, _transaction(con):
                        held = self._current(con, model, held, stored)
                except BaseException:  # (a paused read, say) what was stored is not known now
                    with self._stored_lock:
                        self._stored[model] = (-1, None)
                    raise
                self._sets[model], self._checked[model] = held, generation
        if self._db.interactive:
            self._start_work(model, held)
        return held

    def _current(
        self,
        con: duckdb.DuckDBPyConnection,
        model: str,
        held: VectorSet | None,
        stored: frozenset[str] | None,
    ) -> VectorSet:
        """`held` brought up to date: by the prompts our writes `stored` vectors of when that
        is known, else by the library's signature (opened the first time)."""
        if held is not None and stored is not None:
            delta = vector_delta.declared(con, held.base, held.delta, stored)
            if delta is not None:
                return replace(held, delta=delta)
        now = vector_delta.signature(con, model)
        if held is None:
            return self._open(con, model, now)
        return replace(held, delta=vector_delta.compute(con, held.base, now, held.delta))

    def _behind(self, base: VectorBase) -> int:
        return max(self._rebase_at, base.meta.rows // 50)

    def _index(self, base: VectorBase) -> AnnIndex | None:
        if base.meta.rows < self._ann_from:
            return None
        from storage.search import ann_index

        return ann_index.open_kept(base, self._db.background.give_way_if_aside())

    def wait(self) -> None:
        """Until the background work is done (tests and benchmarks)."""
        while (work := self._work) is not None and work.is_alive():
            work.join()

    def _root(self, model: str) -> Path | None:
        if self._folder is None:
            return None
        text = json.dumps([vector_base.FORMAT, str(self._db.path), model])
        return self._folder / hashlib.sha256(text.encode()).hexdigest()[:24]

    def _open(self, con: duckdb.DuckDBPyConnection, model: str, now: tuple[int, int]) -> VectorSet:
        root = self._root(model)
        base = None if root is None else vector_base.open_kept(root, con, model)
        if base is None:
            base = self._write(con, model)
        delta = vector_delta.compute(con, base, now)
        return VectorSet(base, delta, self._index(base), self._exact_up_to)

    def _write(self, con: duckdb.DuckDBPyConnection, model: str) -> VectorBase:
        """A new base (the caller holds a transaction: an embedding run may be storing
        batches meanwhile)."""
        root = self._root(model)
        base = vector_base.write(con, model, root)
        if root is not None and base.folder is not None:
            _prune(root.parent, keep=root.name)
        return base

    # -- background work ------------------------------------------------------------------

    def _start_work(self, model: str, held: VectorSet) -> None:
        rebase = held.delta.size > self._behind(held.base)
        index = held.ann is None and held.base.meta.rows >= self._ann_from
        if not (rebase or index):
            return
        with self._work_lock:
            if self._work is not None and self._work.is_alive():
                return
            self._work = threading.Thread(
                target=self._background, args=(model, held, rebase), daemon=True,
                name=f"vectors-{model}",
            )  # fmt: skip
            self._work.start()

    def _background(self, model: str, held: VectorSet, rebase: bool) -> None:
        try:
            if rebase:
                self._rebase(model, held)
            else:
                self._build_index(model, held)
            self.failure = None
        # Any error: a thread's own would be printed over the app's screen and lost; kept here,
        # it is shown by whoever asks (tests assert there is none). Exact search goes on.
        except Exception as error:  # noqa: BLE001
            self.failure = f"{type(error).__name__}: {error}"

    def _build_index(self, model: str, held: VectorSet) -> None:
        from storage.search import ann_index

        ann = ann_index.build(held.base)
        base, ann = _trained(held.base, ann, held.base.meta.rows, 0)
        with self._lock:
            current = self._sets.get(model)
            if current is not None and current.base is held.base:
                self._sets[model] = replace(current, base=base, ann=ann)

    def _rebase(self, model: str, held: VectorSet) -> None:
        from storage.search import ann_index

        with self._db.read() as con, _transaction(con):
            base = self._write(con, model)
        ann: AnnIndex | None = None
        if base.meta.rows >= self._ann_from:
            changed = held.base.meta.changed_since_training + held.delta.size
            if _drifted(held, base, changed):
                ann = ann_index.build(base)
                base, ann = _trained(base, ann, base.meta.rows, 0)
            else:
                ann = ann_index.build(base, held.ann)
                base, ann = _trained(base, ann, held.base.meta.trained_rows, changed)
        with self._lock:  # the next get brings the delta up to date against the new base
            self._sets[model] = VectorSet(base, vector_delta.empty(base), ann, self._exact_up_to)
            self._checked.pop(model, None)
            with self._stored_lock:  # by its signature: the base was read in its own snapshot
                self._stored[model] = (-1, None)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One snapshot for the reads of a base and its delta (which use rowids); reads only."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    finally:
        con.execute("ROLLBACK")


def _drifted(held: VectorSet, base: VectorBase, changed: int) -> bool:
    from storage.search.ann_index import nlist_for

    trained = held.base.meta.trained_rows
    if held.ann is None or not trained:
        return True
    nlist = held.ann.nlist
    moved = not nlist // 2 <= nlist_for(base.meta.rows) <= nlist * 2
    return moved or changed > trained // 2


def _trained(
    base: VectorBase, ann: AnnIndex, trained_rows: int, changed: int
) -> tuple[VectorBase, AnnIndex]:
    """`base` with its index kept beside it, and the training's bookkeeping; the index as
    kept (memory-mapped: its pages are the file's, which the kernel can drop, where the one
    built holds a quarter of the vectors' size in the process)."""
    from storage.search import ann_index

    meta = replace(base.meta, trained_rows=trained_rows, changed_since_training=changed)
    base = vector_base.replace_meta(base, meta)
    if base.folder is not None:
        ann_index.keep(ann, base.folder)
        ann = ann_index.open_kept(base) or ann
    return base, ann


def _prune(folder: Path, keep: str) -> None:
    """Keep the vectors of the KEEP libraries (and models) written most recently."""
    try:
        roots = [p for p in folder.iterdir() if p.is_dir() and p.name != keep]
        roots.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:  # another process pruning at the same time
        return
    for stale in roots[KEEP - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)
