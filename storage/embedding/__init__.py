"""Embedding providers: `local` (offline hashed n-grams), `openai` and `ollama` (over httpx)."""

from __future__ import annotations

from storage.embedding.base import EmbeddingProvider, Matrix, normalise
from storage.embedding.local import LocalProvider

__all__ = ["EmbeddingProvider", "LocalProvider", "Matrix", "normalise"]
