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
import mmap
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from storage.db.background import is_interrupt
from storage.errors import VectorsChanged

FORMAT = 1
_ABANDONED = 3600.0  # a folder still being written after an hour was left by a dead process
_BATCH = 65_536
_SAMPLED = 16  # rows compared with the library when a kept base is opened
GATHER_READS = 1024  # rows gathered with a read each; more are read through the map

Floats = npt.NDArray[np.float32]
Keys = npt.NDArray[np.uint64]
Positions = npt.NDArray[np.int64]

# What identifies one stored vector: a replaced vector (new content, new time) has a new key.
KEY_SQL = "hash(prompt_id, content_hash, created_at)"
_ROWS = (
    f"SELECT prompt_id, hash(prompt_id) AS id_hash, {KEY_SQL} AS key, embedding "
    "FROM prompt_embeddings WHERE model = ?"
)  # no ORDER BY: DuckDB would hold every vector to sort them (a gigabyte at a million)
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
    ids: npt.NDArray[np.bytes_]  # per row: its prompt id (UTF-8, NUL-padded)
    ids_sorted: npt.NDArray[np.bytes_]  # the ids sorted ...
    id_order: Positions  # ... and the row each comes from
    keys: Keys  # per row: KEY_SQL
    hash_sorted: Keys  # hash(prompt_id) of every row, sorted ...
    hash_order: Positions  # ... and the row each comes from
    vectors: Floats  # (rows, dims), L2-normalised as stored
    folder: Path | None  # where it is kept (None: in memory)

    def prompt_id(self, position: int) -> str:
        return bytes(self.ids[position]).decode()

    def position(self, prompt_id: str) -> int | None:
        found = self.positions([prompt_id])[0]
        return None if found < 0 else int(found)

    def positions(self, prompt_ids: list[str]) -> Positions:
        """Each id's row, -1 when it has none."""
        if not prompt_ids or not self.meta.rows:
            return np.full(len(prompt_ids), -1, np.int64)
        encoded = [i.encode() for i in prompt_ids]
        fits = np.array([len(e) <= self.meta.width for e in encoded])
        wanted = np.array(encoded, f"S{self.meta.width}")  # too long ones: cut, then refused
        at = np.minimum(np.searchsorted(self.ids_sorted, wanted), self.meta.rows - 1)
        found = fits & (self.ids_sorted[at] == wanted)
        return np.where(found, self.id_order[at], -1).astype(np.int64)

    def chunks(self, size: int) -> Iterator[tuple[int, Floats]]:
        """(first row, vectors) a chunk at a time, read from the file rather than through the
        map when there is one: a pass over a gigabyte leaves no gigabyte resident here."""
        rows, dims = self.meta.rows, self.meta.dims
        if self.folder is None:
            for start in range(0, rows, size):
                yield start, np.asarray(self.vectors[start : start + size])
            return
        with (self.folder / "vectors.npy").open("rb") as f:
            np.lib.format.read_magic(f)
            np.lib.format.read_array_header_1_0(f)
            for start in range(0, rows, size):
                n = min(size, rows - start)
                yield start, np.fromfile(f, np.float32, n * dims).reshape(n, dims)

    def release(self) -> None:
        """Let the pages of the map that a pass over it left resident go (they stay in the
        page cache, and come back by the next pass's minor faults)."""
        mapped = getattr(self.vectors, "_mmap", None)  # np.memmap's own mmap
        if isinstance(mapped, mmap.mmap):
            mapped.madvise(mmap.MADV_DONTNEED)

    def gather(self, rows: Positions) -> Floats:
        """The vectors of these rows. A few are read from the file rather than through the
        map: a read through the map leaves the file's pages around each row resident (the
        kernel maps page cache a large folio at a time), ~0.4 GB after a session of
        re-ranked semantic searches at 1M prompts."""
        return read_rows(self.vectors, rows)

    def positions_of_hashes(self, hashes: Keys) -> Positions:
        """The rows whose hash(prompt_id) is among `hashes`."""
        at = np.searchsorted(self.hash_sorted, hashes)
        at = np.minimum(at, max(len(self.hash_sorted) - 1, 0))
        found = self.hash_sorted[at] == hashes if len(self.hash_sorted) else at < 0
        return np.asarray(self.hash_order[at[found]], np.int64)


def write(con: duckdb.DuckDBPyConnection, model: str, root: Path | None) -> VectorBase:
    """Read every vector of `model` into a new base, kept under `root` (in memory when None,
    or when `root` cannot be written: a full or read-only disk). Raises VectorsChanged when
    rows were written meanwhile (the caller holds a transaction: never, but for a model of
    several sizes)."""
    staging = _staging(root)
    if staging is not None and root is not None:
        try:
            return _write(con, model, staging, root)
        except BaseException as error:  # nothing half-written is left behind
            shutil.rmtree(staging, ignore_errors=True)
            # A full disk: read again into memory. Not an interrupted read (a paused one),
            # which Arrow raises as an OSError too: its transaction is aborted.
            if not isinstance(error, OSError) or is_interrupt(error):
                raise
    return _write(con, model, None, None)


def _write(
    con: duckdb.DuckDBPyConnection, model: str, staging: Path | None, root: Path | None
) -> VectorBase:
    """Arrow is imported here, where it is needed (a one-shot search imports no pyarrow)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    found = con.execute(_SIZES, [model]).fetchone()
    rows, low, high, width, newest = found if found else (0, None, None, None, None)
    if rows and low != high:
        raise VectorsChanged(f"model {model!r} stores vectors of several sizes")
    dims, width = int(high or 0), int(width or 1)
    ids = np.empty(int(rows), f"S{width}")
    keys = np.empty(int(rows), np.uint64)
    id_hash = np.empty(int(rows), np.uint64)
    vectors = _VectorsOut(staging, int(rows), dims)
    done = 0
    for batch in con.execute(_ROWS, [model]).to_arrow_reader(_BATCH):
        n = batch.num_rows
        if done + n > rows:
            raise VectorsChanged("vectors were added while the base was written")
        ids[done : done + n] = _fixed_width(batch.column("prompt_id"), width)
        keys[done : done + n] = batch.column("key").to_numpy()
        id_hash[done : done + n] = batch.column("id_hash").to_numpy()
        flat = pa.chunked_array([batch.column("embedding")]).combine_chunks().flatten()
        vectors.add(done, flat.to_numpy().reshape(n, dims))
        done += n
    if done != rows:
        raise VectorsChanged("vectors were removed while the base was written")
    key_sum = int(keys.sum(dtype=np.uint64))
    meta = BaseMeta(model, dims, int(rows), width, newest, key_sum)
    id_order = np.argsort(ids, kind="stable")
    hash_order = np.argsort(id_hash, kind="stable")
    arrays = {
        "ids": ids, "ids_sorted": ids[id_order], "id_order": id_order, "keys": keys,
        "hash_sorted": id_hash[hash_order], "hash_order": hash_order,
    }  # fmt: skip
    return _finish(meta, arrays, vectors, staging, root)


def open_kept(root: Path, con: duckdb.DuckDBPyConnection, model: str) -> VectorBase | None:
    """The current base under `root`, memory-mapped; None when there is none, or it is
    damaged or not this library's (then it is removed)."""
    try:
        pointer = json.loads((root / "current.json").read_text())
        folder = root / str(pointer["folder"])
        meta = BaseMeta(**json.loads((folder / "meta.json").read_text()))
        base = _mapped(meta, folder)
        if meta.model != model or not _consistent(base) or not _samples_match(con, base):
            raise ValueError("not the library's vectors")
        return base
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        shutil.rmtree(root, ignore_errors=True)
        return None


def replace_meta(base: VectorBase, meta: BaseMeta) -> VectorBase:
    """The same arrays under new bookkeeping (an ANN index was trained for them)."""
    if base.folder is not None:
        _write_json(base.folder / "meta.json", _as_dict(meta))
    return replace(base, meta=meta)


def _as_dict(meta: BaseMeta) -> dict[str, Any]:
    return {name: getattr(meta, name) for name in BaseMeta.__dataclass_fields__}


def _consistent(base: VectorBase) -> bool:
    n, meta = base.meta.rows, base.meta
    return (
        base.ids.shape == base.ids_sorted.shape == (n,)
        and base.ids.dtype == base.ids_sorted.dtype == np.dtype(f"S{meta.width}")
        and base.keys.shape == base.hash_sorted.shape == base.hash_order.shape == (n,)
        and base.id_order.shape == (n,)
        and base.vectors.shape == (n, meta.dims)
        and base.vectors.dtype == np.float32
    )


def _samples_match(con: duckdb.DuckDBPyConnection, base: VectorBase) -> bool:
    """A few rows (spread, and the last) compared with the library by key, and the vector of
    the newest of them that the library still holds: a base of another library at this path,
    or one whose bytes were damaged, is seldom right about all of them. A row the library has
    replaced or deleted since is no mismatch (the delta handles it). One vector only: DuckDB
    reads a vector by reading its row group's (16 spread rows: 0.85 s at 1M prompts)."""
    n = base.meta.rows
    if not n:
        return True
    picks = sorted({int(i) for i in np.linspace(0, n - 1, _SAMPLED)})
    rows = np.array(picks, np.int64)  # (read, not faulted in through the maps)
    ids = [bytes(i).decode() for i in read_rows(base.ids, rows)]
    keys = dict(zip(picks, read_rows(base.keys, rows).tolist(), strict=True))
    found = con.execute(
        f"SELECT prompt_id, {KEY_SQL} FROM prompt_embeddings "
        f"WHERE model = ? AND prompt_id IN ({', '.join('?' * len(ids))})",
        [base.meta.model, *ids],
    ).fetchall()
    current = {str(row[0]): int(row[1]) for row in found}
    same = [(at, i) for at, i in zip(picks, ids, strict=True) if current.get(i) == keys[at]]
    if not same:
        return len(found) == 0
    at, prompt_id = same[-1]
    row = con.execute(
        "SELECT embedding FROM prompt_embeddings WHERE model = ? AND prompt_id = ?",
        [base.meta.model, prompt_id],
    ).fetchone()
    stored = base.gather(np.array([at], np.int64))[0]
    return row is not None and np.array_equal(np.asarray(row[0], np.float32), stored)


def read_rows(array: npt.NDArray[Any], rows: Positions) -> npt.NDArray[Any]:
    """`array[rows]`, a few rows read from the file of a mapped array rather than faulted in
    through its map: a cold fault reads up to the disk's read-ahead around the row (8 MB on
    this machine), a read a page or a few. Through the map when its file is gone (a newer
    base replaced it, here or in another process): the map still holds it."""
    if not isinstance(array, np.memmap) or len(rows) > GATHER_READS:
        return np.asarray(array[rows])
    out = np.empty((len(rows), *array.shape[1:]), array.dtype)
    width = out.itemsize * int(np.prod(array.shape[1:], dtype=np.int64))
    raw = out.view(np.uint8).reshape(len(rows), width)  # each row's bytes
    try:
        with open(str(array.filename), "rb", buffering=0) as file:
            for i, row in enumerate(rows.tolist()):
                if os.preadv(file.fileno(), [raw[i]], array.offset + row * width) != width:
                    raise OSError(f"{array.filename}: row {row} cut short")
    except FileNotFoundError:
        return np.asarray(array[rows])
    return out


def _fixed_width(array: Any, width: int) -> npt.NDArray[np.bytes_]:
    """A string column as NUL-padded bytes, without a Python object per id when every id has
    the same length (UUIDs: the data buffer is already the array)."""
    if array.null_count == 0 and len(array):
        offsets = np.frombuffer(array.buffers()[1], np.int32, len(array) + 1, array.offset * 4)
        if np.all(np.diff(offsets) == width):
            data = array.buffers()[2]
            return np.frombuffer(data, f"S{width}", len(array), int(offsets[0]))
    return np.array([s.encode() for s in array.to_pylist()], f"S{width}")


_ARRAYS = ("ids", "ids_sorted", "id_order", "keys", "hash_sorted", "hash_order", "vectors")


class _VectorsOut:
    """The vectors of a base being written: appended to a .npy file under `staging` (written,
    not mapped: no gigabyte resident), or an array in memory when there is none."""

    def __init__(self, staging: Path | None, rows: int, dims: int) -> None:
        self.array: Floats | None = None
        self.file = None
        if staging is None:
            self.array = np.empty((rows, dims), np.float32)
            return
        self.file = (staging / "vectors.npy").open("wb")
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, dims)}
        np.lib.format.write_array_header_1_0(self.file, header)

    def add(self, start: int, vectors: Floats) -> None:
        if self.array is not None:
            self.array[start : start + len(vectors)] = vectors
        elif self.file is not None:
            self.file.write(np.ascontiguousarray(vectors, np.float32).tobytes())

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _finish(
    meta: BaseMeta,
    arrays: dict[str, Any],
    vectors: _VectorsOut,
    staging: Path | None,
    root: Path | None,
) -> VectorBase:
    vectors.close()
    if staging is not None and root is not None:
        for name, array in arrays.items():
            np.save(staging / f"{name}.npy", array)
        _write_json(staging / "meta.json", _as_dict(meta))
        _write_json(root / "current.json", {"format": FORMAT, "folder": staging.name})
        _remove_others(root, keep=staging.name)
        return _mapped(meta, staging)
    assert vectors.array is not None
    return VectorBase(meta, vectors=vectors.array, folder=None, **arrays)


def _mapped(meta: BaseMeta, folder: Path) -> VectorBase:
    loaded = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
    return VectorBase(meta, folder=folder, **loaded)


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
