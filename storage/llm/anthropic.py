"""The Anthropic chat provider: POST {base_url}/v1/messages with the key in `x-api-key`, system
messages in the top-level `system` field, and the answer as server-sent events: message_start
(input tokens), content_block_delta (text), message_delta (stop reason, output tokens),
message_stop; or an `error` event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storage.llm.base import ChatProvider, End, Part
from storage.llm.chat import ChatRequest
from storage.llm.wire import Broken, count, json_object, server_events
from storage.remote.client import server_said

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens; sent when the request sets none


class AnthropicChat(ChatProvider):
    name = "anthropic"
    default_model = "claude-haiku-4-5"
    default_url = "https://api.anthropic.com"
    path = "/v1/messages"
    key_header = "x-api-key"
    headers = {"anthropic-version": API_VERSION}

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        system = [m.content for m in request.messages if m.role == "system"]
        turns = [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ]
        payload: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": turns,
            "stream": True,
        }
        if system:
            payload["system"] = "\n\n".join(system)
        if request.temperature is not None:
            payload["temperature"] = request.temperature
        return payload

    def _read(self, lines: Iterator[str]) -> Iterator[Part]:
        reason: str | None = None
        tokens_in: int | None = None
        tokens_out: int | None = None
        model: str | None = None
        for number, event in enumerate(server_events(lines), start=1):
            data = json_object(event.data, f"event {number}")
            kind = data.get("type", event.name)
            if kind == "error":
                raise Broken("the server sent an error", _error_text(data))
            if kind == "message_start":
                message = _dict(data.get("message"))
                usage = _dict(message.get("usage"))
                tokens_in = count(usage.get("input_tokens"))
                tokens_out = count(usage.get("output_tokens"))
                name = message.get("model")
                model = name if isinstance(name, str) and name else None
            elif kind == "content_block_delta":
                delta = _dict(data.get("delta"))
                text = delta.get("text")
                if delta.get("type") == "text_delta" and not isinstance(text, str):
                    raise Broken(f"malformed event {number}: text is not text", event.data)
                if delta.get("type") == "text_delta" and text:
                    yield text
            elif kind == "message_delta":
                stop = _dict(data.get("delta")).get("stop_reason")
                reason = str(stop) if stop else reason
                usage = _dict(data.get("usage"))  # counts so far; input_tokens in newer APIs
                tokens_in = _newer(usage.get("input_tokens"), tokens_in)
                tokens_out = _newer(usage.get("output_tokens"), tokens_out)
            elif kind == "message_stop":
                break
        else:  # the body ended without message_stop: finished only if the stop reason came
            if reason is None:
                return
        yield End(reason or "unknown", tokens_in, tokens_out, model)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _newer(value: Any, before: int | None) -> int | None:
    """A count from a later event, or the one from before when it reports none."""
    later = count(value)
    return before if later is None else later


def _error_text(data: dict[str, Any]) -> str:
    """{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}} as
    "overloaded_error: Overloaded"."""
    kind = _dict(data.get("error")).get("type")
    message = server_said(data)
    return f"{kind}: {message}" if kind and message else message or str(kind or "")
