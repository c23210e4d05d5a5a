"""The stored vectors of one embedding model as an in-memory numpy matrix, for keystroke-speed
semantic search; the SQL path (array_cosine_similarity) ranks the same way and serves one-shot
callers. Rows are ordered by prompt id, so equal scores rank by id on both paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from storage.search.embedding import Matrix

Ids = npt.NDArray[np.object_]
Positions = npt.NDArray[np.int64]

# Changes whenever a vector of the model is added, replaced or removed.
VECTORS_SIGNATURE = (
    "SELECT count(*), coalesce(sum(hash(prompt_id, content_hash, created_at)), 0) "
    "FROM prompt_embeddings WHERE model = ?"
)


@dataclass(frozen=True, slots=True)
class VectorMatrix:
    model: str
    dims: int
    ids: Ids  # prompt ids, sorted
    matrix: Matrix  # (len(ids), dims), L2-normalised rows
    signature: tuple[object, ...]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, model: str) -> VectorMatrix:
        signature = tuple(con.execute(VECTORS_SIGNATURE, [model]).fetchone() or ())
        table = con.execute(
            "SELECT prompt_id, dims, embedding FROM prompt_embeddings WHERE model = ? "
            "ORDER BY prompt_id",
            [model],
        ).to_arrow_table()
        ids = np.array(table.column("prompt_id").to_pylist(), dtype=object)
        if not len(ids):
            return cls(model, 0, ids, np.zeros((0, 0), np.float32), signature)
        dims = int(table.column("dims")[0].as_py())
        flat = pa.chunked_array(table.column("embedding")).combine_chunks().flatten()
        matrix = np.ascontiguousarray(flat.to_numpy(), dtype=np.float32).reshape(len(ids), dims)
        return cls(model, dims, ids, matrix, signature)

    def current(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Whether the file still holds the vectors this matrix was loaded from."""
        found = con.execute(VECTORS_SIGNATURE, [self.model]).fetchone()
        return tuple(found or ()) == self.signature

    def position(self, prompt_id: str) -> int | None:
        at = int(np.searchsorted(self.ids, prompt_id))
        return at if at < len(self.ids) and self.ids[at] == prompt_id else None

    def positions_where(
        self, con: duckdb.DuckDBPyConnection, clause: str, params: Sequence[object]
    ) -> Positions:
        """Rows whose prompt passes a filter_sql clause (over alias p)."""
        ids = pa.array(self.ids.tolist(), pa.string())
        rows = pa.table({"id": ids, "pos": np.arange(len(self.ids))})
        con.register("_vector_rows", rows)
        try:
            found = con.execute(
                f"SELECT v.pos FROM _vector_rows v JOIN prompts p ON p.id = v.id WHERE {clause}",
                list(params),
            ).fetchnumpy()
        finally:
            con.unregister("_vector_rows")
        return np.sort(np.asarray(found["pos"], dtype=np.int64))

    def top(
        self,
        query: Matrix,
        allowed: Positions,
        limit: int,
        min_score: float | None = None,
    ) -> tuple[Positions, npt.NDArray[np.float32], int]:
        """Best `limit` allowed rows by cosine with the (normalised) query vector, best first
        (ties: the smaller prompt id, as ORDER BY score DESC, prompt_id in SQL), and how many
        allowed rows reach min_score."""
        if not len(allowed) or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32), 0
        scores = (self.matrix @ query)[allowed]  # one pass over the matrix, then the filter
        if min_score is not None:
            keep = np.flatnonzero(scores >= min_score)
            scores, allowed = scores[keep], allowed[keep]
        total = len(scores)
        if total > limit:
            # Everything scoring at least the limit-th best, so that ties at the edge are kept.
            edge = np.partition(scores, total - limit)[total - limit]
            keep = np.flatnonzero(scores >= edge)
            scores, allowed = scores[keep], allowed[keep]
        order = np.lexsort((allowed, -scores))[:limit]
        return allowed[order], scores[order], total
