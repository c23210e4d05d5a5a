"""The OpenAI-compatible provider: POST {base_url}/embeddings, as OpenAI, vLLM, llama.cpp's
server, LM Studio, LiteLLM and others answer it."""

from __future__ import annotations

from typing import Any

from storage.search.embedding.remote import RemoteProvider


class OpenAIProvider(RemoteProvider):
    name = "openai"
    default_model = "text-embedding-3-small"
    default_url = "https://api.openai.com/v1"
    path = "/embeddings"

    def _vectors(self, answer: Any) -> list[Any]:
        """{"data": [{"index": i, "embedding": [...]}, ...]}, in any order of index."""
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise self._malformed('expected {"data": [{"index", "embedding"}, ...]}')
        indexes = [item.get("index", position) for position, item in enumerate(data)]
        if sorted(indexes) != list(range(len(data))):
            raise self._malformed(f"the indexes {indexes[:8]} are not 0..{len(data) - 1}")
        ordered = sorted(zip(indexes, data, strict=True), key=lambda pair: pair[0])
        return [item.get("embedding") for _, item in ordered]
