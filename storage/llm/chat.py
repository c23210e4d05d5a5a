"""What a chat provider is asked and what it answers: a ChatRequest in, ChatEvents out (text as it
arrives, then one Finished), or a ChatResult when the whole answer is wanted at once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from storage.errors import ValidationError

# A request sends a chat prompt's messages: the message type is the prompts' own.
from storage.prompts.roles import ROLES as ROLES
from storage.prompts.roles import ChatMessage as ChatMessage
from storage.prompts.validation import clean_max_tokens, clean_temperature


@dataclass(frozen=True)
class ChatRequest:
    """One conversation to answer. `temperature` and `max_tokens` None: the provider's default
    (Anthropic requires max_tokens; its provider sends DEFAULT_MAX_TOKENS)."""

    messages: tuple[ChatMessage, ...]
    model: str
    temperature: float | None = None
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        messages = tuple(self.messages)  # a list is accepted and kept as a tuple
        if not messages or not all(isinstance(m, ChatMessage) for m in messages):
            raise ValidationError("messages", self.messages, "must be one or more ChatMessages")
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValidationError("model", self.model, "must be a model name")
        object.__setattr__(self, "messages", messages)
        object.__setattr__(self, "temperature", clean_temperature(self.temperature))
        object.__setattr__(self, "max_tokens", clean_max_tokens(self.max_tokens))

    @classmethod
    def of(cls, model: str, user: str, *, system: str | None = None, **options: Any) -> ChatRequest:
        """A one-question request: an optional system message, then `user`."""
        first = [ChatMessage("system", system)] if system is not None else []
        return cls((*first, ChatMessage("user", user)), model, **options)


@dataclass(frozen=True)
class Usage:
    """Tokens read and written. `estimated` when the API reported either count not, and it was
    counted here as characters / 4 instead."""

    tokens_in: int
    tokens_out: int
    estimated: bool


@dataclass(frozen=True)
class Latency:
    """Seconds from sending the request (retries included) to the first text, and to the end.
    `first_token` is None when no text came."""

    first_token: float | None
    total: float


@dataclass(frozen=True)
class TextDelta:
    """The next piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The last event of an answer. `finish_reason` is the API's own word (stop, length,
    end_turn, max_tokens, ...); `model` the model that answered, as the API names it."""

    finish_reason: str
    usage: Usage
    latency: Latency
    model: str

    @property
    def truncated(self) -> bool:
        """The answer was cut at max_tokens."""
        return self.finish_reason in ("length", "max_tokens")


ChatEvent = TextDelta | Finished


@dataclass(frozen=True)
class ChatResult:
    """A whole answer: its text and how it finished."""

    text: str
    finished: Finished


def estimate_tokens(text_length: int) -> int:
    """Tokens in so many characters of text, roughly (4 characters a token)."""
    return math.ceil(text_length / 4)
