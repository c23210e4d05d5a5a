"""Embedding providers: `wordllama` (the bundled offline model, the default), `local`
(offline hashed n-grams), `openai` and `ollama` (over httpx).

The HTTP providers are imported when first named (PEP 562 `__getattr__`): a search with the
bundled model must not pay for importing httpx."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from storage.search.embedding.base import EmbeddingProvider, Matrix, normalise
from storage.search.embedding.local import LocalProvider
from storage.search.embedding.settings import (
    ProviderSettings,
    make_provider,
    offline_provider,
    settings_from,
)
from storage.search.embedding.wordllama import WordLlamaProvider

if TYPE_CHECKING:
    from storage.search.embedding.ollama import OllamaProvider
    from storage.search.embedding.openai import OpenAIProvider
    from storage.search.embedding.remote import RemoteProvider

_ON_USE = {
    "OllamaProvider": "storage.search.embedding.ollama",
    "OpenAIProvider": "storage.search.embedding.openai",
    "RemoteProvider": "storage.search.embedding.remote",
}


def __getattr__(name: str) -> object:
    module = _ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


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
