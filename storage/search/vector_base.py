"""One model's stored vectors as arrays kept in the user cache dir and opened memory-mapped
(`.npy`, `np.load(mmap_mode="r")`): a new process has them in milliseconds, and a million
vectors cost no gigabyte of process memory nor a million Python strings. A base is a snapshot:
what changed in prompt_embeddings since it was written is a `VectorDelta` (vector_delta.py),
and a new base is written when that delta has grown (SearchCache decides when).

A base is written whole into a temporary folder, then named current (`current.json`, replaced
atomically); one that does not read back as written, or whose sampled rows differ from the
library's, is deleted and written again. Without a folder (none given, or one that cannot be
written) the same arrays are held in memory."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from storage.errors import VectorsChanged

FORMAT = 1
_ABANDONED = 3600.0  # a folder still being written after an hour was left by a dead process
_BATCH = 65_536
_SAMPLED = 16  # rows compared with the library when a kept base is opened

Floats = npt.NDArray[np.float32]
Keys = npt.NDArray[np.uint64]
Positions = npt.NDArray[np.int64]

# What identifies one stored vector: a replaced vector (new content, new time) has a new key.
KEY_SQL = "hash(prompt_id, content_hash, created_at)"
_ROWS = (
    f"SELECT prompt_id, hash(prompt_id) AS id_hash, {KEY_SQL} AS key, embedding "
    "FROM prompt_embeddings WHERE model = ? ORDER BY prompt_id"
)
_SIZES = (
    "SELECT count(*), min(dims), max(dims), max(strlen(prompt_id)), max(created_at)::VARCHAR "
    "FROM prompt_embeddings WHERE model = ?"
)


@dataclass(frozen=True, slots=True)
class BaseMeta:
    model: str
    dims: int
    rows: int
    width: int  # bytes of the widest prompt id
    newest: str | None  # the latest created_at among its vectors (what a delta reads from)
    key_sum: int  # sum of the keys, modulo 2**64 (a delta checks the library against it)
    trained_rows: int = 0  # rows the ANN index's quantizer was trained on (0: no index)
    changed_since_training: int = 0  # rows added or replaced since that training


@dataclass(frozen=True, slots=True)
class VectorBase:
    meta: BaseMeta
    ids: npt.NDArray[np.bytes_]  # prompt ids (UTF-8, NUL-padded), sorted
    keys: Keys  # per row: KEY_SQL
    hash_sorted: Keys  # hash(prompt_id) of every row, sorted ...
    hash_order: Positions  # ... and the row each comes from
    vectors: Floats  # (rows, dims), L2-normalised as stored
    folder: Path | None  # where it is kept (None: in memory)

    def prompt_id(self, position: int) -> str:
        return bytes(self.ids[position]).decode()

    def position(self, prompt_id: str) -> int | None:
        wanted = prompt_id.encode()
        if len(wanted) > self.meta.width:
            return None
        at = int(np.searchsorted(self.ids, wanted))
        return at if at < len(self.ids) and self.ids[at] == wanted else None

    def positions_of_hashes(self, hashes: Keys) -> Positions:
        """The rows whose hash(prompt_id) is among `hashes`."""
        at = np.searchsorted(self.hash_sorted, hashes)
        at = np.minimum(at, max(len(self.hash_sorted) - 1, 0))
        found = self.hash_sorted[at] == hashes if len(self.hash_sorted) else at < 0
        return np.asarray(self.hash_order[at[found]], np.int64)


def write(con: duckdb.DuckDBPyConnection, model: str, root: Path | None) -> VectorBase:
    """Read every vector of `model` into a new base, kept under `root` (in memory when None,
    or when `root` cannot be written). Raises VectorsChanged when rows were written meanwhile.
    Arrow is imported here: a one-shot process opens kept bases, and imports no pyarrow."""
    import pyarrow as pa  # type: ignore[import-untyped]

    found = con.execute(_SIZES, [model]).fetchone()
    rows, low, high, width, newest = found if found else (0, None, None, None, None)
    if rows and low != high:
        raise VectorsChanged(f"model {model!r} stores vectors of several sizes")
    dims, width = int(high or 0), int(width or 1)
    staging = _staging(root)
    arrays = _Arrays(staging, int(rows), dims, width)
    done, key_sum = 0, 0
    reader = con.execute(_ROWS, [model]).to_arrow_reader(_BATCH)
    for batch in reader:
        n = batch.num_rows
        if done + n > rows:
            raise VectorsChanged("vectors were added while the base was written")
        arrays.ids[done : done + n] = _fixed_width(batch.column("prompt_id"), width)
        keys = batch.column("key").to_numpy()
        arrays.keys[done : done + n] = keys
        key_sum = (key_sum + int(keys.sum(dtype=np.uint64))) % 2**64
        arrays.id_hash[done : done + n] = batch.column("id_hash").to_numpy()
        flat = pa.chunked_array([batch.column("embedding")]).combine_chunks().flatten()
        arrays.vectors[done : done + n] = flat.to_numpy().reshape(n, dims)
        done += n
    if done != rows:
        raise VectorsChanged("vectors were removed while the base was written")
    order = np.argsort(arrays.id_hash, kind="stable")
    meta = BaseMeta(model, dims, int(rows), width, newest, key_sum)
    return arrays.finish(meta, order, root)


def open_kept(
    root: Path, con: duckdb.DuckDBPyConnection, model: str, *, remove: bool = True
) -> VectorBase | None:
    """The current base under `root`, memory-mapped; None when there is none, or it is
    damaged or not this library's (then it is removed, unless `remove` is False: a one-shot
    process leaves it to the app that writes a new one)."""
    try:
        pointer = json.loads((root / "current.json").read_text())
        folder = root / str(pointer["folder"])
        meta = BaseMeta(**json.loads((folder / "meta.json").read_text()))
        base = VectorBase(
            meta,
            np.load(folder / "ids.npy", mmap_mode="r"),
            np.load(folder / "keys.npy", mmap_mode="r"),
            np.load(folder / "hash_sorted.npy", mmap_mode="r"),
            np.load(folder / "hash_order.npy", mmap_mode="r"),
            np.load(folder / "vectors.npy", mmap_mode="r"),
            folder,
        )
        if meta.model != model or not _consistent(base) or not _samples_match(con, base):
            raise ValueError("not the library's vectors")
        return base
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        if remove:
            shutil.rmtree(root, ignore_errors=True)
        return None


def replace_meta(base: VectorBase, meta: BaseMeta) -> VectorBase:
    """The same arrays under new bookkeeping (an ANN index was trained for them)."""
    if base.folder is not None:
        _write_json(base.folder / "meta.json", _as_dict(meta))
    return VectorBase(
        meta, base.ids, base.keys, base.hash_sorted, base.hash_order, base.vectors, base.folder
    )


def _as_dict(meta: BaseMeta) -> dict[str, Any]:
    return {name: getattr(meta, name) for name in BaseMeta.__dataclass_fields__}


def _consistent(base: VectorBase) -> bool:
    n, meta = base.meta.rows, base.meta
    return (
        base.ids.shape == (n,)
        and base.ids.dtype == np.dtype(f"S{meta.width}")
        and base.keys.shape == base.hash_sorted.shape == base.hash_order.shape == (n,)
        and base.vectors.shape == (n, meta.dims)
        and base.vectors.dtype == np.float32
    )


def _samples_match(con: duckdb.DuckDBPyConnection, base: VectorBase) -> bool:
    """A few rows (spread, and the last) compared with the library: a base of another library
    at this path, or one whose bytes were damaged, is seldom right about all of them. A row
    the library has replaced or deleted since is no mismatch (the delta handles it)."""
    n = base.meta.rows
    if not n:
        return True
    picks = sorted({int(i) for i in np.linspace(0, n - 1, _SAMPLED)})
    ids = [base.prompt_id(i) for i in picks]
    found = con.execute(
        f"SELECT prompt_id, {KEY_SQL}, embedding FROM prompt_embeddings "
        "WHERE model = ? AND prompt_id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        [base.meta.model, ids],
    ).fetchall()
    current = {row[0]: (int(row[1]), row[2]) for row in found}
    seen = 0
    for at, prompt_id in zip(picks, ids, strict=True):
        if prompt_id not in current or current[prompt_id][0] != int(base.keys[at]):
            continue
        seen += 1
        stored = np.asarray(current[prompt_id][1], np.float32)
        if not np.array_equal(stored, base.vectors[at]):
            return False
    return seen > 0 or len(found) == 0


def _fixed_width(array: Any, width: int) -> npt.NDArray[np.bytes_]:
    """A string column as NUL-padded bytes, without a Python object per id when every id has
    the same length (UUIDs: the data buffer is already the array)."""
    if array.null_count == 0 and len(array):
        offsets = np.frombuffer(array.buffers()[1], np.int32, len(array) + 1, array.offset * 4)
        if np.all(np.diff(offsets) == width):
            data = array.buffers()[2]
            return np.frombuffer(data, f"S{width}", len(array), int(offsets[0]))
    return np.array([s.encode() for s in array.to_pylist()], f"S{width}")


class _Arrays:
    """The arrays of a base being written: .npy files memory-mapped for writing under
    `staging`, or plain arrays in memory when there is none."""

    def __init__(self, staging: Path | None, rows: int, dims: int, width: int) -> None:
        self.staging = staging
        self.ids = self._new("ids", (rows,), np.dtype(f"S{width}"))
        self.keys = self._new("keys", (rows,), np.dtype(np.uint64))
        self.id_hash = np.empty(rows, np.uint64)
        self.vectors = self._new("vectors", (rows, dims), np.dtype(np.float32))

    def _new(self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        if self.staging is None:
            return np.empty(shape, dtype)
        return np.lib.format.open_memmap(self.staging / f"{name}.npy", "w+", dtype, shape)

    def finish(self, meta: BaseMeta, order: Positions, root: Path | None) -> VectorBase:
        hash_sorted = self.id_hash[order]
        staging = self.staging
        if staging is None or root is None:
            return VectorBase(meta, self.ids, self.keys, hash_sorted, order, self.vectors, None)
        try:
            np.save(staging / "hash_sorted.npy", hash_sorted)
            np.save(staging / "hash_order.npy", order)
            for array in (self.ids, self.keys, self.vectors):
                array.flush()
            _write_json(staging / "meta.json", _as_dict(meta))
            _write_json(root / "current.json", {"format": FORMAT, "folder": staging.name})
        except OSError:  # a full disk: this process keeps what it read
            shutil.rmtree(staging, ignore_errors=True)
            return VectorBase(meta, self.ids, self.keys, hash_sorted, order, self.vectors, None)
        _remove_others(root, keep=staging.name)
        return VectorBase(
            meta,
            np.load(staging / "ids.npy", mmap_mode="r"),
            np.load(staging / "keys.npy", mmap_mode="r"),
            np.load(staging / "hash_sorted.npy", mmap_mode="r"),
            np.load(staging / "hash_order.npy", mmap_mode="r"),
            np.load(staging / "vectors.npy", mmap_mode="r"),
            staging,
        )


def _staging(root: Path | None) -> Path | None:
    if root is None:
        return None
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="base-", dir=root))
    except OSError:  # a read-only or full cache dir: held in memory instead
        return None


def _write_json(path: Path, value: object) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)


def _remove_others(root: Path, keep: str) -> None:
    """Earlier bases (a process still mapping one keeps its pages) and abandoned writes."""
    for folder in root.glob("base-*"):
        if folder.name == keep:
            continue
        fresh = time.time() - folder.stat().st_mtime < _ABANDONED
        if fresh and not (folder / "meta.json").exists():
            continue  # another process is writing it
        shutil.rmtree(folder, ignore_errors=True)
