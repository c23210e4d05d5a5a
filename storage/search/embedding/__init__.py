"""Embedding providers: `local` (offline hashed n-grams), `openai` and `ollama` (over httpx)."""

from __future__ import annotations

from storage.search.embedding.base import EmbeddingProvider, Matrix, normalise
from storage.search.embedding.local import LocalProvider
from storage.search.embedding.ollama import OllamaProvider
from storage.search.embedding.openai import OpenAIProvider
from storage.search.embedding.remote import RemoteProvider
from storage.search.embedding.settings import ProviderSettings, make_provider, settings_from

__all__ = [
    "EmbeddingProvider",
    "LocalProvider",
    "Matrix",
    "OllamaProvider",
    "OpenAIProvider",
    "ProviderSettings",
    "RemoteProvider",
    "make_provider",
    "normalise",
    "settings_from",
]
