"""Embedding providers: `wordllama` (the bundled offline model, the default), `local`
(offline hashed n-grams), `openai` and `ollama` (over httpx)."""

from __future__ import annotations

from storage.search.embedding.base import EmbeddingProvider, Matrix, normalise
from storage.search.embedding.local import LocalProvider
from storage.search.embedding.ollama import OllamaProvider
from storage.search.embedding.openai import OpenAIProvider
from storage.search.embedding.remote import RemoteProvider
from storage.search.embedding.settings import (
    ProviderSettings,
    make_provider,
    offline_provider,
    settings_from,
)
from storage.search.embedding.wordllama import WordLlamaProvider

__all__ = [
    "EmbeddingProvider",
    "LocalProvider",
    "Matrix",
    "OllamaProvider",
    "OpenAIProvider",
    "ProviderSettings",
    "RemoteProvider",
    "WordLlamaProvider",
    "make_provider",
    "offline_provider",
    "normalise",
    "settings_from",
]
