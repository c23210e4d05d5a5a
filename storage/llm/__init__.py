"""Chat model providers over httpx (no vendor SDKs): `openai` (and compatible servers),
`anthropic` and `ollama`. `make_chat_provider(llm_settings_from(config))` makes one; its
`stream(request)` yields the answer as it arrives, `complete(request)` returns it whole."""

from __future__ import annotations

from storage.llm.anthropic import AnthropicChat
from storage.llm.base import ChatProvider
from storage.llm.chat import (
    ROLES,
    ChatEvent,
    ChatMessage,
    ChatRequest,
    ChatResult,
    Finished,
    Latency,
    TextDelta,
    Usage,
)
from storage.llm.ollama import OllamaChat
from storage.llm.openai import OpenAIChat
from storage.llm.settings import (
    CHAT_PROVIDERS,
    LLMSettings,
    llm_settings_from,
    make_chat_provider,
)

__all__ = [
    "CHAT_PROVIDERS",
    "ROLES",
    "AnthropicChat",
    "ChatEvent",
    "ChatMessage",
    "ChatProvider",
    "ChatRequest",
    "ChatResult",
    "Finished",
    "Latency",
    "LLMSettings",
    "OllamaChat",
    "OpenAIChat",
    "TextDelta",
    "Usage",
    "llm_settings_from",
    "make_chat_provider",
]
