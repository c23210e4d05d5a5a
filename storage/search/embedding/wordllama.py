"""The wordllama provider: static token embeddings distilled from Llama 2 (WordLlama's
`l2_supercat` model, 256 dimensions), read from the files bundled in the `wordllama` wheel.

A text's vector is the mean of its tokens' vectors: it knows topics and synonyms ("toothache"
is near "dentist"), not word order or negation. Inference is a table lookup in numpy, offline.
Only the two bundled files are read: the `wordllama` package itself is never imported (its
loader would reach for the network when a file is not where it looks, and it configures the
root logger on import)."""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from itertools import chain
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from storage.errors import ProviderError
from storage.search.embedding.base import Matrix, normalise

MODEL = "wordllama-l2-256"
DIMS = 256
MAX_CHARS = 16_000  # a text is embedded from its first 16,000 characters (about 4,000 tokens)
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_CHUNK = 256  # texts looked up together: bounds the (tokens x 256) gather to tens of MB
_TENSOR = "embedding.weight"
_DTYPES: dict[str, type[np.floating]] = {"F16": np.float16, "F32": np.float32}


@dataclass
class _Model:
    tokenizer: Tokenizer
    # (vocabulary, DIMS): one vector per token id, mapped from the file, not read: a query
    # reads only its tokens' rows (reading the table whole cost a CLI search 50 ms and 32 MB)
    table: npt.NDArray[np.floating]
    _whole: npt.NDArray[np.float32] | None = None

    def rows_for(self, texts: int) -> npt.NDArray[np.floating]:
        """The table to look texts up in: the mapped rows for one text (a query, a save), the
        whole table as float32 for a batch (made once: gathering float16 rows and converting
        them made an embedding run's lookups about 1.7x slower). Both give the same sums."""
        if texts == 1:
            return self.table
        with _loading:
            if self._whole is None:
                self._whole = np.ascontiguousarray(self.table, np.float32)
            return self._whole


_loaded: _Model | None = None
_loading = threading.Lock()


class WordLlamaProvider:
    """The bundled model, loaded once per process on the first text it embeds."""

    name = "wordllama"
    model = MODEL
    dims = DIMS
    offline = True

    def embed(self, texts: Sequence[str]) -> Matrix:
        model = _model()
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        for start in range(0, len(texts), _CHUNK):
            chunk = [text[:MAX_CHARS] for text in texts[start : start + _CHUNK]]
            encoded = model.tokenizer.encode_batch(chunk, add_special_tokens=False)
            table = model.rows_for(len(chunk))
            _sum_tokens(table, [e.ids for e in encoded], out[start : start + _CHUNK])
        return normalise(out)


def _sum_tokens(
    table: npt.NDArray[np.floating], ids: list[list[int]], out: npt.NDArray[np.float32]
) -> None:
    """Each text's token vectors summed into its row of `out` (a text of no tokens stays 0).
    The sum points where the mean does: normalising makes them the same vector. A token
    repeated in a text ("the", "you") is looked up once and weighted by its count: about
    three times faster than gathering every token's row."""
    lengths = np.fromiter((len(i) for i in ids), np.int64, len(ids))
    filled = np.flatnonzero(lengths)
    if not len(filled):
        return
    vocabulary = len(table)
    flat = np.fromiter(chain.from_iterable(ids), np.int64, int(lengths.sum()))
    np.clip(flat, 0, vocabulary - 1, out=flat)
    text = np.repeat(np.arange(len(ids)), lengths)
    pairs, counts = np.unique(text * vocabulary + flat, return_counts=True)
    text_of, token = np.divmod(pairs, vocabulary)
    weighted = table[token].astype(np.float32, copy=False) * counts[:, None].astype(np.float32)
    out[filled] = np.add.reduceat(weighted, np.searchsorted(text_of, filled), axis=0)


def _model() -> _Model:
    global _loaded
    with _loading:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> _Model:
    folder = _package_folder()
    weights, tokenizer = folder / _WEIGHTS, folder / _TOKENIZER
    try:
        table = _mapped(weights)
        loaded = Tokenizer.from_file(str(tokenizer))
    except Exception as error:  # a missing or damaged file; tokenizers raises bare Exception
        raise ProviderError(
            f"wordllama: cannot read the bundled model in {folder}: {error}", provider="wordllama"
        ) from error
    if table.shape[1:] != (DIMS,):
        raise ProviderError(
            f"wordllama: {weights} holds {table.shape}, not {DIMS}-dimension vectors",
            provider="wordllama",
        )
    loaded.no_padding()
    loaded.no_truncation()
    return _Model(loaded, table)


def _mapped(weights: Path) -> npt.NDArray[np.floating]:
    """The token table of a safetensors file, memory-mapped: an 8-byte little-endian header
    size, a JSON header giving the tensor's dtype, shape and byte range, then the data."""
    with weights.open("rb") as file:
        (size,) = struct.unpack("<Q", file.read(8))
        tensor = json.loads(file.read(size))[_TENSOR]
    dtype = np.dtype(_DTYPES[tensor["dtype"]]).newbyteorder("<")
    rows, dims = (int(n) for n in tensor["shape"])
    start, end = (int(n) for n in tensor["data_offsets"])
    if end - start != rows * dims * dtype.itemsize:
        raise ValueError(f"{_TENSOR} holds {end - start} bytes, not {rows} x {dims}")
    table: npt.NDArray[np.floating] = np.memmap(
        weights, dtype, "r", offset=8 + size + start, shape=(rows, dims)
    )
    return table


def _package_folder() -> Path:
    """Where the wordllama wheel put its files, found without importing it."""
    spec = find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            "wordllama: the package is not installed (pip install -e . installs it)",
            provider="wordllama",
        )
    return Path(next(iter(spec.submodule_search_locations)))
