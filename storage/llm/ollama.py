"""The Ollama chat provider: POST {base_url}/api/chat, answered with one JSON object per line
(NDJSON), each with a piece of `message.content`; the last has `done: true`, `done_reason`
and the token counts `prompt_eval_count` and `eval_count`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from storage.llm.base import ChatProvider, End, Part
from storage.llm.chat import ChatRequest
from storage.llm.wire import Broken, count, json_lines
from storage.remote.client import server_said


class OllamaChat(ChatProvider):
    name = "ollama"
    default_model = "llama3.2"
    default_url = "http://127.0.0.1:11434"
    path = "/api/chat"

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        payload = {"model": request.model, "messages": self._messages(request), "stream": True}
        return payload | ({"options": options} if options else {})

    def _read(self, lines: Iterator[str]) -> Iterator[Part]:
        for line in json_lines(lines):
            if "error" in line:
                raise Broken("the server sent an error", server_said(line))
            message = line.get("message") or {}
            text = message.get("content") if isinstance(message, dict) else None
            if not isinstance(text, str | None):
                raise Broken("malformed line: message.content is not text", json.dumps(line))
            if text:
                yield text
            if line.get("done") is True:
                model = line.get("model")
                yield End(
                    str(line.get("done_reason") or "unknown"),
                    count(line.get("prompt_eval_count")),
                    count(line.get("eval_count")),
                    model if isinstance(model, str) and model else None,
                )
                return
