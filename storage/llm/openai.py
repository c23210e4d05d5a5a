"""The OpenAI-compatible chat provider: POST {base_url}/chat/completions, as OpenAI, vLLM,
llama.cpp's server, LM Studio, LiteLLM and others answer it. Streamed (server-sent events
ending with `data: [DONE]`, usage in the last chunk) unless settings.stream is off."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from storage.llm.base import ChatProvider, End, Part
from storage.llm.chat import ChatRequest
from storage.llm.wire import Broken, count, json_object, server_events
from storage.remote.client import server_said


class OpenAIChat(ChatProvider):
    name = "openai"
    default_model = "gpt-4o-mini"
    default_url = "https://api.openai.com/v1"
    path = "/chat/completions"

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": request.model, "messages": self._messages(request)}
        if self.streaming:
            payload |= {"stream": True, "stream_options": {"include_usage": True}}
        if request.temperature is not None:
            payload["temperature"] = request.temperature
        if request.max_tokens is not None:
            payload["max_tokens"] = request.max_tokens
        return payload

    def _parts(self, request: ChatRequest) -> Generator[Part]:
        if self.streaming:
            yield from super()._parts(request)
            return
        answer = self._client.post(self.path, self._payload(request), model=request.model)
        choice = _first_choice(answer)
        message = choice.get("message") if choice is not None else None
        text = message.get("content") if isinstance(message, dict) else None
        if choice is None or not isinstance(text, str | None):
            raise self._malformed('expected {"choices": [{"message": {"content"}}]}')
        yield text or ""
        yield End(str(choice.get("finish_reason") or "unknown"), *_usage(answer), _model(answer))

    def _read(self, lines: Iterator[str]) -> Iterator[Part]:
        """Chunks of {"choices": [{"delta": {"content"}, "finish_reason"}]}; the finish reason
        comes in the last chunk with a choice, usage in one after it (choices empty or null)."""
        reason: str | None = None
        tokens: tuple[int | None, int | None] = (None, None)
        model: str | None = None
        for number, event in enumerate(server_events(lines), start=1):
            if event.data.strip() == "[DONE]":
                break
            chunk = json_object(event.data, f"event {number}")
            if "error" in chunk:
                raise Broken("the server sent an error", server_said(chunk))
            choices = chunk.get("choices") or []
            if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
                raise Broken(f"malformed event {number}: choices is not a list", event.data)
            for choice in choices[:1]:  # one answer was asked for
                delta = choice.get("delta") or {}
                text = delta.get("content") if isinstance(delta, dict) else None
                if not isinstance(text, str | None):
                    raise Broken(f"malformed event {number}: content is not text", event.data)
                if text:
                    yield text
                if choice.get("finish_reason"):
                    reason = str(choice["finish_reason"])
            tokens = _usage(chunk) if chunk.get("usage") else tokens
            model = _model(chunk) or model
        else:  # the body ended without [DONE]: finished only if the finish reason came
            if reason is None:
                return
        yield End(reason or "unknown", *tokens, model)


def _first_choice(answer: Any) -> dict[str, Any] | None:
    choices = answer.get("choices") if isinstance(answer, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return None


def _usage(body: Any) -> tuple[int | None, int | None]:
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return None, None
    return count(usage.get("prompt_tokens")), count(usage.get("completion_tokens"))


def _model(body: Any) -> str | None:
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else None
