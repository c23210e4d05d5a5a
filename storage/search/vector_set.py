"""One model's vectors as search ranks them: a `VectorBase` (memory-mapped), the `VectorDelta`
since it, and, above the size where brute force stops meeting its target, an `AnnIndex` over
the base. Exact where it is cheap: the delta always, the base by brute force when it has no
index, when few rows pass the filter, or when a minimum score asks for every match. Otherwise
the index proposes candidates among the allowed rows and their float32 cosines rank them; a
filter so narrow that the probed clusters hold too few falls back to the exact scan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import numpy.typing as npt

from storage.prompts.filters import passing
from storage.search.vector_base import Floats, VectorBase
from storage.search.vector_delta import VectorDelta

if TYPE_CHECKING:  # faiss: imported where an index is opened or built (vector_cache.py)
    from storage.search.ann_index import AnnIndex

Mask = npt.NDArray[np.bool_]
EXACT_UP_TO = 20_000  # allowed base rows: fewer are scanned exactly (a few milliseconds)
_MARGIN = 40  # candidates beyond the limit the index proposes for the exact re-ranking
# A pass over a larger base lets its map's pages go: before its index exists (a first launch
# at a million prompts, the preview's similar prompts) it left 1 GB resident.
MAPPED_AT_MOST = 256 * 2**20


@dataclass(frozen=True, slots=True)
class Allowed:
    """The rows passing a filter: over the base (replaced rows never) and over the delta."""

    base: Mask
    delta: Mask
    count: int


@dataclass(frozen=True, slots=True)
class VectorSet:
    base: VectorBase
    delta: VectorDelta
    ann: AnnIndex | None = None
    exact_up_to: int = EXACT_UP_TO  # allowed base rows scanned exactly even with an index

    @property
    def model(self) -> str:
        return self.base.meta.model

    @property
    def dims(self) -> int:
        return self.base.meta.dims or int(self.delta.vectors.shape[1])

    @property
    def stored(self) -> int:
        return self.base.meta.rows - int(self.delta.removed.sum()) + len(self.delta.ids)

    @property
    def signature(self) -> tuple[int, int]:
        return self.delta.signature

    def vector(self, prompt_id: str) -> Floats | None:
        """The stored vector of a prompt (None: it has none)."""
        if prompt_id in self.delta.ids:
            return np.asarray(self.delta.vectors[self.delta.ids.index(prompt_id)])
        at = self.base.position(prompt_id)
        if at is None or self.delta.removed[at]:
            return None
        vector: Floats = self.base.gather(np.array([at]))[0]
        return vector

    def allowed(
        self, con: duckdb.DuckDBPyConnection, clause: str, params: Sequence[object]
    ) -> Allowed:
        """The rows whose prompt passes a filter_sql clause (over alias p). The prompts are
        matched by hash(id), from the smaller side: the few excluded for the default filter."""
        found = con.execute(
            f"SELECT count(*) FILTER (WHERE {clause}), count(*) FROM prompts p", list(params)
        ).fetchone()
        passed, every = (int(found[0]), int(found[1])) if found else (0, 0)
        wanted = passed <= every - passed
        side = f"({clause})" if wanted else f"({clause}) IS NOT TRUE"
        hashes = con.execute(f"SELECT hash(p.id) AS h FROM prompts p WHERE {side}", list(params))
        rows = self.base.positions_of_hashes(np.asarray(hashes.fetchnumpy()["h"], np.uint64))
        base = np.zeros(self.base.meta.rows, np.bool_) if wanted else ~self.delta.removed
        base[rows] = wanted
        base &= ~self.delta.removed
        delta = np.zeros(len(self.delta.ids), np.bool_)
        if self.delta.ids:
            ok = passing(con, self.delta.ids, clause, params)
            delta = np.array([i in ok for i in self.delta.ids], np.bool_)
        return Allowed(base, delta, int(base.sum()) + int(delta.sum()))

    def top(
        self,
        query: Floats,
        allowed: Allowed,
        limit: int,
        min_score: float | None = None,
        give_way: Callable[[], None] | None = None,
    ) -> tuple[list[str], list[float], int]:
        """The best `limit` allowed prompts by cosine with the (normalised) query, best first
        (ties: the smaller id), and how many allowed rows reach min_score (all: without).
        `give_way` (a search that runs aside) is called between the steps of a search
        through the index (storage/db/background.py)."""
        if limit <= 0 or not allowed.count:
            return [], [], 0
        rows, scores, total = self._base_top(query, allowed.base, limit, min_score, give_way)
        hits = [(self.base.prompt_id(int(r)), float(s)) for r, s in zip(rows, scores, strict=True)]
        fresh = np.flatnonzero(allowed.delta)
        if len(fresh):
            found = self.delta.vectors[fresh] @ query
            if min_score is not None:
                keep = found >= min_score
                fresh, found = fresh[keep], found[keep]
            total += len(fresh)
            hits += [(self.delta.ids[i], float(s)) for i, s in zip(fresh, found, strict=True)]
        hits.sort(key=lambda hit: (-hit[1], hit[0]))
        return [h[0] for h in hits[:limit]], [h[1] for h in hits[:limit]], total

    def _base_top(
        self,
        query: Floats,
        allowed: Mask,
        limit: int,
        min_score: float | None,
        give_way: Callable[[], None] | None,
    ) -> tuple[npt.NDArray[np.int64], Floats, int]:
        count = int(allowed.sum())
        if self.ann is not None and min_score is None and count > self.exact_up_to:
            rows = self.ann.candidates(query, allowed, limit + _MARGIN, give_way)
            if len(rows) >= min(limit, count):
                if give_way is not None:
                    give_way()
                rows = np.sort(rows)  # the map read in order
                return _best(rows, self.base.gather(rows) @ query, limit) + (count,)
        return self._exact(query, allowed, count, limit, min_score)

    def _exact(
        self, query: Floats, allowed: Mask, count: int, limit: int, min_score: float | None
    ) -> tuple[npt.NDArray[np.int64], Floats, int]:
        rows = np.flatnonzero(allowed)
        if not len(rows):  # (an empty base has no dims: nothing to multiply)
            return rows, np.zeros(0, np.float32), 0
        if count * 3 > self.base.meta.rows:  # one pass over the matrix, then the filter
            scores = (self.base.vectors @ query)[rows]
            if self.base.vectors.nbytes > MAPPED_AT_MOST:  # (20 ms more for the next pass)
                self.base.release()
        else:  # a few rows: gather them
            scores = self.base.gather(rows) @ query
        if min_score is not None:
            keep = np.flatnonzero(scores >= min_score)
            rows, scores = rows[keep], scores[keep]
        best = _best(rows, scores, limit)
        return best[0], best[1], len(rows)


def _best(
    rows: npt.NDArray[np.int64], scores: Floats, limit: int
) -> tuple[npt.NDArray[np.int64], Floats]:
    """The `limit` best rows, and every row tied with the last of them (the caller orders ties
    by id: rows are not in id order)."""
    total = len(scores)
    if total > limit:
        edge = np.partition(scores, total - limit)[total - limit]
        keep = np.flatnonzero(scores >= edge)
        rows, scores = rows[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order]
