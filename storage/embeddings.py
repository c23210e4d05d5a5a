"""Stored embeddings: embedding what is missing or stale, migrating to a new model."""

from __future__ import annotations

from storage.core import LibraryCore


class EmbeddingsMixin(LibraryCore):
    pass
