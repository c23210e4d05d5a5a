"""A keystroke's BM25 over the held text index and its best docs, computed in buffers kept
from one keystroke to the next.

At a million prompts a two-letter prefix ("re") scores 1.8M postings into arrays of a million
docs and picks the best of 0.77M matches: ~80 MB of temporaries, allocated afresh by each
keystroke. Fresh memory costs its page faults (in a VM whose host takes freed memory back,
the host's faults as well): that, more than the arithmetic, set the first keystrokes' time
(75-130 ms of system time for "re" in the app). The buffers are made and touched once, when
the index opens (in the background), and a keystroke writes into them.

Not thread-safe: the search cache's text_lock is held around `best`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from storage.search.text_index import Bools, Delta, Floats, TextIndex


@dataclass(frozen=True, slots=True)
class Best:
    ids: list[str]  # best first (ties by id)
    scores: list[float]
    total: int  # docs that matched and passed the filter


class TextScorer:
    def __init__(self, index: TextIndex) -> None:
        self.index = index
        docs = len(index.doc_ids)
        longest = int(np.diff(index.offsets).max()) if len(index.offsets) > 1 else 0
        self._best = _touched(docs, np.float32)  # a query word's best term, by doc
        self._indexed = _touched(docs, np.float64)  # the words' sum, by doc
        self._words = _touched(docs, np.int32)  # how many words a doc holds
        self._passing = _touched(docs, np.bool_)
        self._over = _touched(docs, np.bool_)
        self._top = _touched(docs, np.float64)  # passing docs' scores, partitioned in place
        self._docs = _touched(longest, np.intp)  # one term's postings
        self._weight = _touched(longest, np.float32)
        self._held = _touched(longest, np.float32)

    def best(
        self,
        groups: Sequence[Sequence[str]],
        delta: Delta,
        allowed: tuple[Bools, Bools],
        min_score: float | None,
        limit: int,
        *,
        match_all: bool = False,
    ) -> Best:
        """The best `limit` of the indexed docs and the changed prompts (`delta`) that pass
        the filter masks `allowed`, for these groups (a query word's terms: it adds the
        score of the best of them). With `match_all`, a doc that lacks any word scores 0."""
        indexed = self._score(groups, delta, match_all)
        idf = partial(self.index.idf_now, delta=delta)
        fresh = delta.score(groups, idf, self.index.avgdl, match_all)
        floor = 0.0 if min_score is None else min_score
        passing = self._passing
        np.greater(indexed, 0.0, out=passing)
        if min_score is not None:
            np.logical_and(passing, np.greater_equal(indexed, floor, out=self._over), out=passing)
        np.logical_and(passing, allowed[0], out=passing)
        extra = np.flatnonzero((fresh > 0) & allowed[1] & (fresh >= floor))
        matched = int(np.count_nonzero(passing))
        total = matched + len(extra)
        if total > limit:
            edge = self._edge(indexed, fresh[extra], matched, limit)
            np.logical_and(passing, np.greater_equal(indexed, edge, out=self._over), out=passing)
            extra = extra[fresh[extra] >= edge]
        docs = np.flatnonzero(passing)
        hits = list(zip(self.index.ids_of(docs), indexed[docs].tolist(), strict=True))
        hits += [(delta.ids[i], float(fresh[i])) for i in extra.tolist()]
        hits.sort(key=lambda hit: (-hit[1], hit[0]))
        kept = hits[:limit]
        return Best([i for i, _ in kept], [s for _, s in kept], total)

    def _score(self, groups: Sequence[Sequence[str]], delta: Delta, match_all: bool) -> Floats:
        """BM25 of every indexed doc (by docid; stale ones 0)."""
        index, indexed, words, best = self.index, self._indexed, self._words, self._best
        indexed.fill(0.0)
        if match_all:
            words.fill(0)
        for group in groups:
            # float32: half the memory traffic of the gathers and scatters, which are most
            # of a keystroke's time; the words' scores are summed in float64.
            best.fill(0.0)
            first = True
            for term in group:
                termid = index.termids.get(term)
                if termid is None:
                    continue
                start, end = int(index.offsets[termid]), int(index.offsets[termid + 1])
                docs, weight = self._docs[: end - start], self._weight[: end - start]
                np.copyto(docs, index.post_docs[start:end], casting="safe")
                np.multiply(index.post_weight[start:end], index.idf_now(term, delta),
                            out=weight, dtype=np.float32)  # fmt: skip
                if not first:  # a term's docs are distinct: the first needs no maximum
                    held = self._held[: end - start]
                    np.take(best, docs, out=held, mode="clip")
                    np.maximum(held, weight, out=weight)
                best[docs] = weight
                first = False
            np.add(indexed, best, out=indexed)
            if match_all:
                np.add(words, np.greater(best, 0.0, out=self._over), out=words)
        if match_all:
            indexed[np.less(words, len(groups), out=self._over)] = 0.0
        indexed[delta.stale_docs] = 0.0
        return indexed

    def _edge(self, indexed: Floats, fresh: Floats, matched: int, limit: int) -> float:
        """The `limit`-th best score among the `matched` passing indexed docs and the changed
        prompts' scores `fresh`: the passing ones gathered into a buffer and partitioned
        there, in place."""
        top = self._top[:matched]
        np.compress(self._passing, indexed, out=top)
        k = min(limit, matched)
        pool: npt.NDArray[Any] = fresh
        if k:
            top.partition(matched - k)
            pool = np.concatenate([top[matched - k :], fresh])
        return float(np.partition(pool, len(pool) - limit)[len(pool) - limit])


def _touched(size: int, dtype: Any) -> npt.NDArray[Any]:
    """An array whose pages are this process's already: written once now, not faulted in
    by the first keystroke that uses it."""
    array = np.empty(size, dtype)
    array.fill(0)
    return array
