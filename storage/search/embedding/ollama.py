"""The Ollama provider: POST {base_url}/api/embed with {"model", "input": [...]}."""

from __future__ import annotations

from typing import Any

from storage.search.embedding.remote import RemoteProvider


class OllamaProvider(RemoteProvider):
    name = "ollama"
    default_model = "nomic-embed-text"
    default_url = "http://127.0.0.1:11434"
    path = "/api/embed"

    def _vectors(self, answer: Any) -> list[Any]:
        """{"embeddings": [[...], ...]}, in input order."""
        vectors = answer.get("embeddings") if isinstance(answer, dict) else None
        if not isinstance(vectors, list):
            raise self._malformed('expected {"embeddings": [[...], ...]}')
        return vectors
