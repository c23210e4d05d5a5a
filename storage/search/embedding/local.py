"""The local provider: hashed character n-grams, no network, no download, deterministic.

It measures lexical similarity (shared words and word pieces), not meaning: "car" and
"automobile" are strangers to it. It is what works everywhere, offline, in milliseconds."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from storage.search.embedding.base import Matrix, normalise

_NOT_WORD = re.compile(r"[\W_]+")
# ASCII letters lower-cased and digits kept, every other byte a space: the ASCII case of _NOT_WORD.
_ASCII_WORDS = bytes(
    (c | 0x20 if chr(c).isalpha() else c) if chr(c).isalnum() and c < 128 else 0x20
    for c in range(256)
)
_NGRAMS = (3, 4, 5)
_CHUNK = 256  # texts hashed together: big enough for numpy, small enough for the cache
_BASE = np.uint64(0x100000001B3)  # FNV-64 prime, as a rolling multiplier
_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio constant: spreads the bits before bucketing


class LocalProvider:
    """Character 3/4/5-grams of the lower-cased words, hashed into `dims` signed buckets with
    sub-linear counts, L2-normalised. The whole batch is hashed at once in numpy."""

    name = "local"
    offline = True

    def __init__(self, dims: int = 384) -> None:
        if dims < 8:
            raise ValueError("dims must be at least 8")
        self.dims = dims
        self.model = f"local-ngram-{dims}"

    def embed(self, texts: Sequence[str]) -> Matrix:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), _CHUNK):
            self._add_counts(texts[start : start + _CHUNK], out[start : start + _CHUNK])
        np.copysign(np.log1p(np.abs(out)), out, out=out)
        return normalise(out)

    def _add_counts(self, texts: Sequence[str], out: Matrix) -> None:
        """Adds each text's signed n-gram counts to its row of `out`."""
        cleaned = [_words(text) for text in texts]
        # One byte string for the whole batch; NUL separates texts and never occurs inside one.
        codes = np.frombuffer(b"\x00".join(cleaned), dtype=np.uint8)
        lengths = np.fromiter((len(c) + 1 for c in cleaned), np.int64, len(cleaned))
        doc_of = np.repeat(np.arange(len(texts)), lengths)[: len(codes)]
        separators = np.concatenate(([0], np.cumsum(codes == 0)))
        wide = codes.astype(np.uint64)
        rolling = np.zeros(len(codes), dtype=np.uint64)
        for n in range(1, _NGRAMS[-1] + 1):
            count = len(codes) - n + 1
            if count <= 0:
                break
            # The hash of the n-gram at each start, from the (n-1)-gram's: h = h * BASE + next.
            rolling = rolling[:count] * _BASE + wide[n - 1 :]
            if n not in _NGRAMS:
                continue
            h = (rolling ^ np.uint64(n)) * _MIX
            within = separators[n:] == separators[:count]  # the n-gram holds no separator
            h, docs = h[within], doc_of[:count][within]
            buckets = ((h >> np.uint64(33)) % np.uint64(self.dims)).astype(np.int64)
            signs = np.where((h >> np.uint64(13)) & np.uint64(1), 1.0, -1.0)
            counts = np.bincount(docs * self.dims + buckets, weights=signs, minlength=out.size)
            out += counts.reshape(out.shape).astype(np.float32)


def _words(text: str) -> bytes:
    """The lower-cased words of `text` as UTF-8, one space between and around them."""
    if text.isascii():  # the common case, several times faster than the regular expression
        return b" " + b" ".join(text.encode().translate(_ASCII_WORDS).split()) + b" "
    return (" " + _NOT_WORD.sub(" ", text.lower()).strip() + " ").encode()
