"""The text index's arrays kept as .npy files in the user cache dir, opened memory-mapped:
a new process has its index in milliseconds instead of fetching and sorting every posting
from DuckDB (seconds at a million prompts). A cache: one folder per library file and index
build (`Key`), written whole into a temporary folder and renamed into place; a folder that
does not read back as written is deleted, and the index is loaded from the file again."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storage.search.text_index import POSTINGS_BATCH, TextIndex

# 2: each posting's weight kept in place of its tf and its doc's length; 3: the postings in
# the order of their terms, a term's id its place in the sorted dictionary (a prefix's terms
# lie side by side: "re" read 113 MB of postings from a cold cache, spread over the file),
# and the ids in UTF-8.
FORMAT = 3
KEEP = 4  # folders kept (the newest): other libraries' and earlier builds' indexes
ABANDONED = 3600.0
_READ_AHEAD = 8 << 20  # bytes a read-ahead request asks for (the most the kernel reads of one)
_ARRAYS = ("terms", "df", "offsets", "post_docs", "post_weight", "doc_ids", "doc_version")


@dataclass(frozen=True, slots=True)
class Key:
    library: str  # the file's path
    build_id: str
    signature: object  # what the index was built from (text_index.signature)

    @property
    def name(self) -> str:
        text = json.dumps([FORMAT, self.library, self.build_id, str(self.signature)])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def open_kept(root: Path, key: Key, wait: Callable[[], object] = lambda: None) -> TextIndex | None:
    """The index kept for `key`, memory-mapped; None when there is none or it is damaged
    (then it is removed). Its files are read ahead in a thread that calls `wait` between
    two chunks (Background.waiter: it gives way as the caller's reads do)."""
    folder = root / key.name
    if not folder.is_dir():
        return None
    try:
        return _read(folder, key, wait)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        shutil.rmtree(folder, ignore_errors=True)
        return None


def keep(root: Path, key: Key, index: TextIndex) -> None:
    """Write the index's arrays for `key` (best effort: a cache that cannot be written, on
    a full or read-only disk, costs the next process a load, nothing else)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=root))
        try:
            _write(staging, key, index)
            os.replace(staging, root / key.name)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _prune(root)
    except OSError:
        return


def _write(folder: Path, key: Key, index: TextIndex) -> None:
    order = np.array([index.termids[t] for t in index.terms], np.int64)  # by term
    counts = np.diff(index.offsets)[order]
    arrays = {
        "terms": np.array(index.terms, dtype=str),
        "df": index.df[order],
        "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        # UTF-8 (a UUID's 36 bytes, not numpy's 144 of UTF-32): every search reads its
        # best docs' ids, and the read-ahead reads them first.
        "doc_ids": np.array([str(i).encode() for i in index.doc_ids.tolist()], dtype=bytes),
        "doc_version": index.doc_version,
    }
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)
    _write_postings(folder, index, order)
    shapes = {name: list(array.shape) for name, array in arrays.items()}
    shapes.update(dict.fromkeys(("post_docs", "post_weight"), [len(index.post_docs)]))
    manifest = {
        "format": FORMAT,
        "key": key.name,
        "build_id": index.build_id,
        "num_docs": index.num_docs,
        "avgdl": index.avgdl,
        "shapes": shapes,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _write_postings(folder: Path, index: TextIndex, order: npt.NDArray[np.int64]) -> None:
    """The postings term by term in `order`, a batch of terms at a time: no second copy of
    them in memory (340 MB at a million prompts), and no map written into, which a full disk
    answers with SIGBUS where a write raises OSError."""
    starts, ends = index.offsets[order].tolist(), index.offsets[order + 1].tolist()
    for name, array in (("post_docs", index.post_docs.astype(np.int32, copy=False)),
                        ("post_weight", index.post_weight)):  # fmt: skip
        with open(folder / f"{name}.npy", "wb") as out:
            header = {"descr": np.lib.format.dtype_to_descr(array.dtype),
                      "fortran_order": False, "shape": (len(array),)}  # fmt: skip
            np.lib.format.write_array_header_1_0(out, header)
            batch: list[npt.NDArray[Any]] = []
            held = 0
            for start, end in zip(starts, ends, strict=True):
                batch.append(array[start:end])
                held += end - start
                if held >= POSTINGS_BATCH:
                    out.write(np.concatenate(batch).tobytes())
                    batch, held = [], 0
            if batch:
                out.write(np.concatenate(batch).tobytes())


def _read(folder: Path, key: Key, wait: Callable[[], object]) -> TextIndex:
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest["format"] != FORMAT or manifest["key"] != key.name:
        raise ValueError("another index")
    a = {name: _map(folder / f"{name}.npy", random=name == "doc_ids") for name in _ARRAYS}
    if any(list(a[n].shape) != manifest["shapes"][n] for n in _ARRAYS):
        raise ValueError("truncated")
    files = [folder / f"{name}.npy" for name in ("doc_ids", "post_docs", "post_weight")]
    _read_ahead(files, wait)
    offsets = a["offsets"]
    if len(offsets) and (offsets[0] != 0 or offsets[-1] != len(a["post_docs"])):
        raise ValueError("offsets do not span the postings")
    if np.any(np.diff(offsets) < 0):  # a term's postings would be a slice the wrong way
        raise ValueError("offsets out of order")
    terms = a["terms"].tolist()
    return TextIndex(
        build_id=str(manifest["build_id"]),
        terms=terms,
        termids={term: termid for termid, term in enumerate(terms)},
        df=a["df"],
        offsets=offsets,
        post_docs=a["post_docs"],
        post_weight=a["post_weight"],
        doc_ids=a["doc_ids"],
        doc_version=a["doc_version"],
        num_docs=int(manifest["num_docs"]),
        avgdl=float(manifest["avgdl"]),
    )


def _map(path: Path, *, random: bool) -> npt.NDArray[Any]:
    """The array of a .npy file, memory-mapped; `random`: read a page at a time where a
    fault reads the disk's read-ahead around it (8 MB here). A search reads the ids of its
    best docs only, a page each: through the plain map, the best 100 of "re" read every id
    at a million prompts from a cold cache."""
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    mapped = getattr(array, "_mmap", None)  # np.memmap's own mmap
    if random and isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    return np.asarray(array)  # not a memmap: its slice costs a Python-level __getitem__


def _prune(root: Path) -> None:
    """Keep the KEEP newest folders; a temporary one is another process's write, unless it
    was abandoned (older than ABANDONED seconds)."""
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    kept = [p for p in folders if not p.name.startswith(".writing-")][:KEEP]
    for folder in folders:
        writing = folder.name.startswith(".writing-")
        if folder in kept or (writing and time.time() - folder.stat().st_mtime < ABANDONED):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _read_ahead(paths: list[Path], wait: Callable[[], object]) -> None:
    """Have the kernel read these files into its page cache, in a thread of its own and not
    into this process's memory: after a reboot the first keystrokes at a million prompts
    faulted their postings and ids in from disk a page at a time (0.2-0.6 s). A chunk at a
    time (the kernel reads ahead at most 8 MB of one request), each waited for before the
    next is asked, and `wait` between two: 460 MB asked at once kept the disk busy for a
    second, under the analytics screen's first reads too (first open 312-619 ms after a
    reboot, 283-420 without it)."""
    if hasattr(os, "posix_fadvise"):
        threading.Thread(target=_advise, args=(paths, wait), name="read-ahead", daemon=True).start()


def _advise(paths: list[Path], wait: Callable[[], object]) -> None:
    """A hint only: an error (a file removed meanwhile, a file system that refuses the
    advice) ends it quietly, where a thread's own would be printed over the app's screen."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                size = os.fstat(fd).st_size
                for start in range(0, size, _READ_AHEAD):
                    wait()
                    os.posix_fadvise(fd, start, _READ_AHEAD, os.POSIX_FADV_WILLNEED)
                    os.pread(fd, 1, min(size, start + _READ_AHEAD) - 1)  # until it is read
            finally:
                os.close(fd)
        except OSError:
            return
