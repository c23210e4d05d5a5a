"""Embedding providers: `local` (offline hashed n-grams), `openai` and `ollama` (over httpx)."""

from __future__ import annotations

from storage.embedding.base import EmbeddingProvider, Matrix, normalise
from storage.embedding.local import LocalProvider
from storage.embedding.ollama import OllamaProvider
from storage.embedding.openai import OpenAIProvider
from storage.embedding.remote import RemoteProvider
from storage.embedding.settings import ProviderSettings, make_provider, settings_from

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
