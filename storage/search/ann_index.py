"""An approximate nearest-neighbour index over a `VectorBase` (faiss, IVF with 8-bit scalar
codes, inner product): the vectors are split into `nlist` clusters by k-means, and a query
scans only the `nprobe` clusters nearest to it, 8 bits a dimension (a quarter of float32's
memory). Its labels are the base's row positions, so a filter is a bitmap over rows
(`IDSelectorBitmap`). The caller re-ranks its candidates by the exact float32 cosine.

Kept beside the base's arrays (`index.faiss`) and opened memory-mapped. faiss is imported
here only: a process that never searches by meaning above the threshold never loads it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from storage.search.vector_base import Floats, Positions, VectorBase

FILE = "index.faiss"
_TRAIN_PER_LIST = 64  # k-means sample: rows per cluster (faiss asks for at least 39)
_ADD_BATCH = 65_536
_SEED = 1234
_CHECKED = 16  # rows searched for when a kept index is opened


def nlist_for(rows: int) -> int:
    """Clusters: about sqrt(rows) (1,000 at a million: ~1,000 rows a cluster), and no more
    than k-means can train without a warning on stderr (39 rows a cluster: the TUI's
    screen)."""
    return max(1, min(4096, math.isqrt(max(rows, 1)), rows // 39))


def nprobe_for(nlist: int) -> int:
    """Clusters a query scans (every one of a small index). Measured on the bundled model's
    vectors (164 queries, recall@10 against exact search after the exact re-ranking): at
    100k (316 clusters) 32 gave 0.947, 48 0.973; at 1M (1,000) 64 gave 0.965, 96 0.982."""
    return max(min(nlist, 48), nlist // 10)


@dataclass(frozen=True, slots=True)
class AnnIndex:
    index: Any  # faiss.IndexIVFScalarQuantizer, labels = base rows
    nlist: int
    nprobe: int

    @property
    def rows(self) -> int:
        return int(self.index.ntotal)

    def candidates(
        self,
        query: Floats,
        allowed: npt.NDArray[np.bool_] | None,
        k: int,
        give_way: Callable[[], None] | None = None,
        probes: int | None = None,
    ) -> Positions:
        """Up to `k` base rows, nearest first by the codes' score; only `allowed` rows (None:
        every row). Fewer than `k` when the probed clusters (`probes`, else nprobe) hold fewer
        allowed rows. Searched in one call (2 ms at a million rows), or, given `give_way`
        (the search runs aside), a cluster at a time with `give_way` before each: a cold
        cluster is read from disk with what lies around it in the map (up to the disk's
        read-ahead, 8 MB on this machine), and 16 at a time had up to 128 MB of reads under
        way when the screen in front wanted the disk."""
        probes = self.nprobe if probes is None else probes
        selector, bits = None, None
        if allowed is not None:
            bits = np.packbits(allowed, bitorder="little")
            # (its size in bytes: a damaged file's label past the rows is then refused, not read
            # beyond the bitmap)
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        one = np.ascontiguousarray(query.reshape(1, -1), np.float32)
        near, lists = self.index.quantizer.search(one, probes)
        scores, labels, ptr = [], [], faiss.swig_ptr
        step = probes if give_way is None else 1
        for start in range(0, probes, step):
            if give_way is not None:
                give_way()
            near_part = np.ascontiguousarray(near[:, start : start + step])
            lists_part = np.ascontiguousarray(lists[:, start : start + step])
            params = faiss.SearchParametersIVF(sel=selector, nprobe=lists_part.shape[1])  # type: ignore[call-arg]
            found_scores = np.empty((1, k), np.float32)
            found = np.empty((1, k), np.int64)
            # (faiss's Python search_preassigned takes no parameters: the filter, the batch)
            self.index.search_preassigned_c(
                1,
                ptr(one),
                k,
                ptr(lists_part),
                ptr(near_part),
                ptr(found_scores),
                ptr(found),
                False,
                params,
            )
            scores.append(found_scores[0])
            labels.append(found[0])
        del bits  # kept alive until the search is done
        every, score = np.concatenate(labels), np.concatenate(scores)
        # -1: no more; beyond the rows: a damaged file (never a crash)
        kept = (every >= 0) & (every < self.rows)
        every, score = every[kept], score[kept]
        return np.asarray(every[np.argsort(-score, kind="stable")[:k]], np.int64)


def build(base: VectorBase, trained: AnnIndex | None = None) -> AnnIndex:
    """An index of every row of `base`; `trained`'s clusters and codes reused when given (no
    k-means), else trained on a sample of the base. The vectors are read in chunks. On one
    core: a build runs in the background, and on two cores it took both from the keystrokes
    (at a million vectors 10.4 s on one core, 7.5 s on two)."""
    with _one_core():
        return _build(base, trained)


@contextmanager
def _one_core() -> Iterator[None]:
    """faiss's OpenMP threads for the calling thread only (a per-thread setting): one."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _build(base: VectorBase, trained: AnnIndex | None) -> AnnIndex:
    rows, dims = base.meta.rows, base.meta.dims
    if trained is not None:
        index = _untrained_copy(trained, dims)
    else:
        nlist = nlist_for(rows)
        index = faiss.index_factory(dims, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        sample = min(rows, nlist * _TRAIN_PER_LIST)
        picked = np.zeros(rows, np.bool_)
        picked[np.random.default_rng(_SEED).choice(rows, sample, replace=False)] = True
        index.train(np.concatenate([v[picked[s : s + len(v)]] for s, v in base.chunks(_ADD_BATCH)]))
    for start, chunk in base.chunks(_ADD_BATCH):
        index.add_with_ids(chunk, np.arange(start, start + len(chunk), dtype=np.int64))
    return _indexed(index)


def _untrained_copy(trained: AnnIndex, dims: int) -> Any:
    """An empty index with `trained`'s clusters and codes. Copied by hand: faiss cannot clone
    the lists of an index opened memory-mapped (a kept one, in any later process)."""
    index: Any = faiss.index_factory(dims, f"IVF{trained.nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    clusters = faiss.extract_index_ivf(trained.index).quantizer
    index.quantizer.add(clusters.reconstruct_n(0, trained.nlist))
    index.sq.trained = trained.index.sq.trained  # the scalar quantizer's ranges
    index.is_trained = True
    return index


def keep(index: AnnIndex, folder: Path) -> None:
    """Write it beside its base (best effort: a cache that cannot be written costs the next
    process a build, nothing else)."""
    temporary = folder / f".{FILE}.writing"
    try:
        faiss.write_index(index.index, str(temporary))
        temporary.replace(folder / FILE)
    except (OSError, RuntimeError):
        temporary.unlink(missing_ok=True)


def open_kept(base: VectorBase, give_way: Callable[[], None] | None = None) -> AnnIndex | None:
    """The index kept beside `base`, memory-mapped; None when there is none, or it does not
    match the base (then it is removed). Its check searches give way (`candidates`)."""
    if base.folder is None or not (base.folder / FILE).exists():
        return None
    path = base.folder / FILE
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
        if index.ntotal != base.meta.rows or index.d != base.meta.dims:
            raise ValueError("not this base's index")
        ann = _indexed(index)
        if not _finds_itself(ann, base, give_way):
            raise ValueError("damaged")
        return ann
    except (RuntimeError, ValueError, AttributeError):
        path.unlink(missing_ok=True)
        return None


def _finds_itself(ann: AnnIndex, base: VectorBase, give_way: Callable[[], None] | None) -> bool:
    """A few rows, spread, each find itself among its nearest in its own cluster (the one
    nearest to it, where it was added): a file whose lists or codes were damaged seldom does
    (its header read back whole). One cluster each, not nprobe: at a million rows a cold
    check read 380 MB of lists with nprobe (385 ms), and a few MB with one."""
    picks = np.unique(np.linspace(0, base.meta.rows - 1, _CHECKED).astype(np.int64))
    vectors = base.gather(picks)  # (read, not faulted in through the map: 8 MB around each)
    found = sum(
        int(row) in ann.candidates(vector, None, 10, give_way, probes=1)
        for row, vector in zip(picks, vectors, strict=True)
    )
    return bool(found >= len(picks) - 1)


def _indexed(index: Any) -> AnnIndex:
    nlist = int(faiss.extract_index_ivf(index).nlist)
    return AnnIndex(index, nlist, nprobe_for(nlist))
