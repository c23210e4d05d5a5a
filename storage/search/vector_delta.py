"""What changed in prompt_embeddings since a `VectorBase` was written: the vectors added or
replaced since (held here, a few thousand at most), and the base rows replaced or deleted.

A vector is replaced by a new row (new content hash, new created_at), so the changes are read
from the rows created after the base's newest: one cheap scan, then only the new rows'
vectors. The library's signature (count and sum of the keys) checks the result: a deletion,
rows written in the base's last instant, or a clock set back show there as a mismatch, and
then every key is compared (slower, still no vector read but the new ones).

When this process's own writes alone stored vectors since (the write journal: they declare
the prompts they embedded), the delta takes in those prompts' rows, looked up by id, and
reads no signature: that scan of every key was most of the first semantic search after an
edit at a million prompts."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt

from storage.db.ids import LOOKUPS, literal_list
from storage.search.vector_base import KEY_SQL, Floats, Keys, VectorBase

# Changes whenever a vector of the model is added, replaced or removed.
VECTORS_SIGNATURE = (
    f"SELECT count(*), coalesce(sum({KEY_SQL}), 0) FROM prompt_embeddings WHERE model = ?"
)
_RECENT = (
    f"SELECT rowid, prompt_id, {KEY_SQL} AS key FROM prompt_embeddings "
    "WHERE model = ? AND (CAST(? AS TIMESTAMP) IS NULL OR created_at > CAST(? AS TIMESTAMP))"
)
# By rowid (stable within the caller's transaction): a filter on a hash would compute it for
# every row.
_VECTORS_OF = (
    f"SELECT prompt_id, {KEY_SQL} AS key, embedding FROM prompt_embeddings "
    "WHERE rowid IN (SELECT unnest(CAST(? AS BIGINT[])))"
)
# The rows of a few prompts: a literal list filters inside the scan, where a list parameter
# would be joined with every row.
_KEYS_OF = (
    f"SELECT rowid, prompt_id, {KEY_SQL} AS key FROM prompt_embeddings "
    "WHERE model = ? AND prompt_id IN ({ids})"
)


@dataclass(frozen=True, slots=True)
class VectorDelta:
    ids: tuple[str, ...]  # prompts whose vector was added or replaced since the base
    keys: Keys
    vectors: Floats  # (len(ids), dims)
    removed: npt.NDArray[np.bool_]  # per base row: replaced or deleted since
    signature: tuple[int, int]  # the library's (count, key sum) this delta brings it to

    @property
    def size(self) -> int:
        return len(self.ids) + int(self.removed.sum())


def signature(con: duckdb.DuckDBPyConnection, model: str) -> tuple[int, int]:
    found = con.execute(VECTORS_SIGNATURE, [model]).fetchone()
    return (int(found[0]), int(found[1]) % 2**64) if found else (0, 0)


def compute(
    con: duckdb.DuckDBPyConnection,
    base: VectorBase,
    now: tuple[int, int],
    previous: VectorDelta | None = None,
) -> VectorDelta:
    """The delta that brings `base` to the library's vectors, whose signature is `now`
    (`previous`: one computed earlier against the same base, whose vectors are reused). The
    caller holds one transaction through it (rowids are read, then used)."""
    if previous is not None and previous.signature == now:
        return previous
    if now[0] == base.meta.rows and now[1] % 2**64 == base.meta.key_sum:
        return empty(base)
    removed = np.zeros(base.meta.rows, np.bool_)
    newest = base.meta.newest
    recent = con.execute(_RECENT, [base.meta.model, newest, newest]).fetchall()
    rowids = np.array([row[0] for row in recent], np.int64)
    keys = np.array([row[2] for row in recent], np.uint64)
    at = base.positions([row[1] for row in recent])
    known = at >= 0
    known[known] = base.keys[at[known]] == keys[known]
    removed[at[(at >= 0) & ~known]] = True
    if not _adds_up(base, removed, keys[~known], now):
        removed, rowids, keys = _compare_all(con, base)
        return _fetched(con, base, rowids, keys, removed, now, previous)
    return _fetched(con, base, rowids[~known], keys[~known], removed, now, previous)


def declared(
    con: duckdb.DuckDBPyConnection, base: VectorBase, previous: VectorDelta, ids: frozenset[str]
) -> VectorDelta | None:
    """`previous` brought up to date when only the vectors of `ids` were stored or removed
    since it was computed (None: too many to look up). Their keys are looked up first, then
    the vectors of the rows new to the delta by rowid: a filter beside the vectors read the
    vectors of every row group (0.2 s cold at a million). Its signature is what the
    library's then is, by the same sums `compute` checks."""
    if not ids:
        return previous
    if len(ids) > LOOKUPS:
        return None
    listed = sorted(ids)
    found = con.execute(_KEYS_OF.format(ids=literal_list(listed)), [base.meta.model])
    current = {prompt_id: (int(rowid), int(key)) for rowid, prompt_id, key in found.fetchall()}
    removed = previous.removed.copy()
    rows = dict(zip(listed, base.positions(listed).tolist(), strict=True))
    for prompt_id, row in rows.items():
        now = current.get(prompt_id)
        if row >= 0 and (now is None or now[1] != int(base.keys[row])):
            removed[row] = True  # (a base row once replaced is never current again)
    kept = [n for n, i in enumerate(previous.ids) if i not in ids]
    fresh = [current[i] for i in sorted(current) if rows[i] < 0 or removed[rows[i]]]
    rowids = np.array([-1] * len(kept) + [rowid for rowid, _ in fresh], np.int64)
    keys = np.concatenate([previous.keys[kept], np.array([k for _, k in fresh], np.uint64)])
    now = _signature(base, removed, keys)
    return _fetched(con, base, rowids, keys, removed, now, previous)


def empty(base: VectorBase) -> VectorDelta:
    """No change since the base."""
    removed = np.zeros(base.meta.rows, np.bool_)
    now = (base.meta.rows, base.meta.key_sum)
    return VectorDelta((), np.zeros(0, np.uint64), _no_vectors(base), removed, now)


def _adds_up(
    base: VectorBase, removed: npt.NDArray[np.bool_], added: Keys, now: tuple[int, int]
) -> bool:
    count, total = _signature(base, removed, added)
    return count == now[0] and total == now[1] % 2**64


def _signature(base: VectorBase, removed: npt.NDArray[np.bool_], added: Keys) -> tuple[int, int]:
    """The library's signature (count, key sum) once `removed` base rows and `added` keys are
    taken into account."""
    count = base.meta.rows - int(removed.sum()) + len(added)
    total = base.meta.key_sum - int(base.keys[removed].sum(dtype=np.uint64))
    return count, (total + int(added.sum(dtype=np.uint64))) % 2**64


def _compare_all(
    con: duckdb.DuckDBPyConnection, base: VectorBase
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], Keys]:
    """Every key of the library against the base's: the rows gone, the rows (rowid, key) new."""
    found = con.execute(
        f"SELECT rowid, {KEY_SQL} AS key FROM prompt_embeddings WHERE model = ?",
        [base.meta.model],
    ).fetchnumpy()
    keys = np.asarray(found["key"], np.uint64)
    new = ~np.isin(keys, base.keys)
    return ~np.isin(base.keys, keys), np.asarray(found["rowid"], np.int64)[new], keys[new]


def _fetched(
    con: duckdb.DuckDBPyConnection,
    base: VectorBase,
    rowids: npt.NDArray[np.int64],
    keys: Keys,
    removed: npt.NDArray[np.bool_],
    now: tuple[int, int],
    previous: VectorDelta | None,
) -> VectorDelta:
    """The delta with the vectors of the rows (rowid, key) added: from `previous` when it
    holds them, else read."""
    reused: dict[int, tuple[str, Floats]] = {}
    if previous is not None:
        reused = {
            int(k): (i, previous.vectors[n])
            for n, (i, k) in enumerate(zip(previous.ids, previous.keys, strict=True))
        }
    missing = [int(r) for r, k in zip(rowids, keys, strict=True) if int(k) not in reused]
    if missing:
        rows = con.execute(_VECTORS_OF, [missing]).fetchall()
        for prompt_id, key, vector in rows:
            reused[int(key)] = (prompt_id, np.asarray(vector, np.float32))
    kept = [int(k) for k in keys if int(k) in reused]  # one deleted meanwhile: left out
    # An empty base has no width: the vectors' own.
    vectors = np.array([reused[k][1] for k in kept], np.float32) if kept else _no_vectors(base)
    return VectorDelta(
        tuple(reused[k][0] for k in kept), np.array(kept, np.uint64), vectors, removed, now
    )


def _no_vectors(base: VectorBase) -> Floats:
    return np.zeros((0, base.meta.dims), np.float32)
