"""Search: BM25 text (fts), semantic (array_cosine_similarity + numpy), hybrid (RRF)."""

from __future__ import annotations

from storage.core import LibraryCore


class SearchMixin(LibraryCore):
    pass
