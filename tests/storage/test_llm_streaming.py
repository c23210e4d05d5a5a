"""The chat providers against a real HTTP server on 127.0.0.1 speaking each protocol: what they
send, the text as it arrives, usage reported or estimated, latency, and OpenAI's whole answer."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storage.errors import LLMError, StreamInterrupted
from storage.llm import (
    AnthropicChat,
    ChatMessage,
    ChatProvider,
    ChatRequest,
    Finished,
    Latency,
    OllamaChat,
    OpenAIChat,
    TextDelta,
    Usage,
    llm_settings_from,
    make_chat_provider,
)
from tests.storage.chat_api import (
    ANSWERED_BY,
    KEY,
    KINDS,
    MODEL,
    PIECES,
    TOKENS_IN,
    TOKENS_OUT,
    ChatApi,
    Reply,
    chat_provider,
)

Make = Callable[..., ChatProvider]
REQUEST = ChatRequest(
    (ChatMessage("system", "Answer briefly."), ChatMessage("user", "Say hello to the world.")),
    MODEL,
)
STOPPED = {"openai": "stop", "anthropic": "end_turn", "ollama": "stop"}


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(params=KINDS)
def make(request: pytest.FixtureRequest, api: ChatApi, sleeps: list[float]) -> Make:
    """`make(**settings)`: a provider of each kind talking to `api`."""

    def build(**changes: Any) -> ChatProvider:
        return chat_provider(request.param, api.url, sleeps, **changes)

    return build


# -- what is sent ---------------------------------------------------------------------------


def test_openai_request(api: ChatApi, sleeps: list[float]) -> None:
    provider = chat_provider("openai", api.url, sleeps)
    provider.complete(ChatRequest(REQUEST.messages, MODEL, temperature=0.2, max_tokens=50))
    [sent] = api.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.body == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Say hello to the world."},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "max_tokens": 50,
    }


def test_anthropic_request(api: ChatApi, sleeps: list[float]) -> None:
    provider = chat_provider("anthropic", api.url, sleeps)
    messages = (
        ChatMessage("system", "Answer briefly."),
        ChatMessage("system", "In English."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello."),
        ChatMessage("user", "Again"),
    )
    provider.complete(ChatRequest(messages, MODEL, temperature=0.5))
    [sent] = api.requests
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in sent.headers
    assert sent.body == {
        "model": MODEL,
        "max_tokens": 4096,  # required by the API: sent when the request sets none
        "system": "Answer briefly.\n\nIn English.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Again"},
        ],
        "stream": True,
        "temperature": 0.5,
    }


def test_ollama_request(api: ChatApi, sleeps: list[float]) -> None:
    provider = chat_provider("ollama", api.url, sleeps)
    provider.complete(ChatRequest.of(MODEL, "Hi", temperature=0, max_tokens=64))
    provider.complete(ChatRequest.of(MODEL, "Hi"))
    first, second = api.requests
    assert first.path == "/api/chat"
    assert first.body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "options": {"temperature": 0.0, "num_predict": 64},
    }
    assert "options" not in second.body


# -- what comes back ------------------------------------------------------------------------


def test_text_then_one_finished_with_reported_usage(make: Make) -> None:
    provider = make()
    *deltas, finished = list(provider.stream(REQUEST))
    assert deltas == [TextDelta(piece) for piece in PIECES]
    assert isinstance(finished, Finished)
    assert finished.finish_reason == STOPPED[provider.name]
    assert finished.usage == Usage(TOKENS_IN, TOKENS_OUT, estimated=False)
    assert not finished.truncated
    # Ollama names the model it was asked for; the others the one that answered.
    assert finished.model == (MODEL if provider.name == "ollama" else ANSWERED_BY)


def test_usage_is_estimated_when_the_api_reports_none(make: Make, api: ChatApi) -> None:
    api.script(Reply(usage=False))
    finished = make().complete(REQUEST).finished
    sent = len("Answer briefly.") + len("Say hello to the world.")
    assert finished.usage == Usage(math.ceil(sent / 4), math.ceil(13 / 4), estimated=True)


def test_a_cut_at_max_tokens_is_truncated(make: Make, api: ChatApi) -> None:
    provider = make()
    reason = "max_tokens" if provider.name == "anthropic" else "length"
    api.script(Reply(finish=reason))
    finished = provider.complete(REQUEST).finished
    assert finished.finish_reason == reason and finished.truncated


def test_complete_returns_the_whole_answer(make: Make) -> None:
    result = make().complete(REQUEST)
    assert result.text == "Hello, world!"
    assert result.finished.usage.tokens_out == TOKENS_OUT


def test_latency_is_read_from_the_injected_clock(make: Make) -> None:
    ticks = iter([100.0, 100.25, 102.0])  # sent, first text, finished
    result = make(clock=lambda: next(ticks)).complete(REQUEST)
    assert result.finished.latency == Latency(first_token=0.25, total=2.0)


def test_no_text_has_no_first_token(make: Make, api: ChatApi) -> None:
    api.script(Reply(pieces=()))
    result = make().complete(REQUEST)
    assert result.text == "" and result.finished.latency.first_token is None


def test_text_arrives_while_the_server_is_still_sending(make: Make, api: ChatApi) -> None:
    hold = threading.Event()
    api.script(Reply(hold=hold))
    events = make().stream(REQUEST)
    try:
        assert next(events) == TextDelta("Hello")
        assert api.holding.wait(2.0)  # the rest is not sent yet, and the first piece is here
    finally:
        hold.set()
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta(p) for p in PIECES[1:]]


def test_pieces_arriving_over_time_are_timed(make: Make, api: ChatApi) -> None:
    api.script(Reply(gap=0.05))
    started = time.monotonic()
    latency = make().complete(REQUEST).finished.latency
    assert latency.first_token is not None
    assert latency.total - latency.first_token >= 0.15  # at least 3 gaps after the first piece
    assert latency.total <= time.monotonic() - started


def test_a_stream_given_up_half_way_lets_the_next_one_run(make: Make, api: ChatApi) -> None:
    provider = make()
    events = provider.stream(REQUEST)
    assert next(events) == TextDelta("Hello")
    events.close()  # the caller stopped reading: the connection is closed
    assert provider.complete(REQUEST).text == "Hello, world!"


# -- OpenAI without streaming ---------------------------------------------------------------


def test_openai_whole_answer(api: ChatApi, sleeps: list[float]) -> None:
    ticks = iter([1.0, 3.0, 3.0])
    provider = chat_provider("openai", api.url, sleeps, stream=False, clock=lambda: next(ticks))
    result = provider.complete(REQUEST)
    assert "stream" not in api.requests[0].body
    assert "stream_options" not in api.requests[0].body
    assert result.text == "Hello, world!"
    assert result.finished == Finished(
        "stop", Usage(TOKENS_IN, TOKENS_OUT, False), Latency(2.0, 2.0), ANSWERED_BY
    )


def test_openai_whole_answer_of_the_wrong_shape(api: ChatApi, sleeps: list[float]) -> None:
    api.script(Reply(body={"choices": []}))
    provider = chat_provider("openai", api.url, sleeps, stream=False)
    with pytest.raises(LLMError) as caught:
        provider.complete(REQUEST)
    assert not isinstance(caught.value, StreamInterrupted)
    assert "openai: malformed response: expected {" in str(caught.value)


# -- made from settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "env", "header"),
    [
        ("openai", {"OPENAI_API_KEY": KEY}, "Authorization"),
        ("anthropic", {"ANTHROPIC_API_KEY": KEY}, "x-api-key"),
        ("ollama", {}, None),
    ],
)
def test_made_from_settings(
    api: ChatApi, kind: str, env: dict[str, str], header: str | None
) -> None:
    base_url = api.url + "/v1" if kind == "openai" else api.url
    settings = llm_settings_from({"provider": kind, "base_url": base_url}, env)
    provider = make_chat_provider(settings)
    expected = {"openai": OpenAIChat, "anthropic": AnthropicChat, "ollama": OllamaChat}[kind]
    assert type(provider) is expected
    assert provider.model == expected.default_model
    assert provider.complete(ChatRequest.of(provider.model, "Hi")).text == "Hello, world!"
    if header is not None:
        assert KEY in api.requests[0].headers[header]
    assert KEY not in repr(provider) and KEY not in repr(settings)
    provider.close()
