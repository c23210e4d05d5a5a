"""Every way a chat API can fail, against a real server on 127.0.0.1: refusals, retries with
backoff and Retry-After, timeouts, connections dropped before and during the answer, malformed
and error events. Each is one line naming the provider, what happened and the URL, and none
shows the API key; an answer that began and stopped is never retried."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storage.errors import LLMError, StreamInterrupted
from storage.llm import ChatProvider, ChatRequest, TextDelta
from tests.storage.chat_api import KEY, KINDS, MODEL, ChatApi, Reply, chat_provider

Make = Callable[..., ChatProvider]
REQUEST = ChatRequest.of(MODEL, "Say hello to the world.")


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(params=KINDS)
def make(request: pytest.FixtureRequest, api: ChatApi, sleeps: list[float]) -> Make:
    def build(**changes: Any) -> ChatProvider:
        return chat_provider(request.param, api.url, sleeps, **changes)

    return build


def failure(provider: ChatProvider) -> tuple[LLMError, str]:
    """The error streaming REQUEST raises, and the text that arrived first; checked to be one
    line about this provider, naming its URL, without the API key."""
    received: list[str] = []
    with pytest.raises(LLMError) as caught:
        for event in provider.stream(REQUEST):
            if isinstance(event, TextDelta):
                received.append(event.text)
    error = caught.value
    message = str(error)
    assert KEY not in message and KEY[:8] not in repr(vars(error))
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{provider.name}: ") and error.provider == provider.name
    assert error.url is not None and message.endswith(f"({error.url})")
    return error, "".join(received)


def refusal(provider: ChatProvider) -> LLMError:
    """A failure before any answer: a plain LLMError."""
    error, received = failure(provider)
    assert not isinstance(error, StreamInterrupted) and received == ""
    return error


def interruption(provider: ChatProvider) -> tuple[StreamInterrupted, str]:
    error, received = failure(provider)
    assert isinstance(error, StreamInterrupted)
    assert error.received == len(received)
    return error, received


# -- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("openai", {"error": {"message": "Incorrect API key provided", "type": "auth"}}),
        (
            "anthropic",
            {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}},
        ),
        ("ollama", {"error": "unauthorized"}),
    ],
)
def test_401_says_the_key_was_refused(
    api: ChatApi, sleeps: list[float], kind: str, body: dict[str, Any]
) -> None:
    api.script(Reply(401, body))
    error = refusal(chat_provider(kind, api.url, sleeps))
    said = body["error"] if kind == "ollama" else body["error"]["message"]
    assert f"401 Unauthorized: the API key was refused or is missing: {said}" in str(error)
    assert error.status == 401 and len(api.requests) == 1 and sleeps == []


def test_400_quotes_the_server(make: Make, api: ChatApi) -> None:
    api.script(Reply(400, {"error": {"message": "max_tokens: 999999 > 8192, the maximum"}}))
    error = refusal(make())
    assert "400 Bad Request: max_tokens: 999999 > 8192, the maximum" in str(error)
    assert error.status == 400 and len(api.requests) == 1


def test_404_names_the_model(make: Make, api: ChatApi) -> None:
    api.script(Reply(404, {"error": f"model '{MODEL}' not found"}))
    assert f"404 Not Found: model '{MODEL}' not found, or the URL is wrong" in str(refusal(make()))


def test_connection_refused(sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for kind in KINDS:
        error = refusal(chat_provider(kind, f"http://127.0.0.1:{port}", sleeps))
        assert "cannot connect (connection refused; is the server running?)" in str(error)
    assert sleeps == []


def test_credentials_in_the_url_are_not_shown(api: ChatApi, sleeps: list[float]) -> None:
    url = api.url.replace("http://", "http://user:pa55word@") + "?api-key=query5ecret"
    api.script(Reply(400, echo=True))
    message = str(refusal(chat_provider("ollama", url, sleeps)))
    assert "pa55word" not in message and "query5ecret" not in message
    assert message.endswith(f"({api.url}/api/chat)")


# -- retried --------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after(
    make: Make, api: ChatApi, sleeps: list[float]
) -> None:
    api.script(Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "7"}))
    assert make().complete(REQUEST).text == "Hello, world!"
    assert sleeps == [7.0] and len(api.requests) == 2


@pytest.mark.parametrize("status", [500, 503, 529])
def test_5xx_then_success_backs_off(
    make: Make, api: ChatApi, sleeps: list[float], status: int
) -> None:
    api.script(Reply(status), Reply(status))
    assert make().complete(REQUEST).text == "Hello, world!"
    assert sleeps == [0.5, 1.0] and len(api.requests) == 3


def test_500_exhausted(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    api.script(*[Reply(500)] * 3)
    error = refusal(make(max_retries=2))
    assert "gave up after 3 tries: last 500 Internal Server Error" in str(error)
    assert error.status == 500 and sleeps == [0.5, 1.0]


def test_a_retry_after_past_the_cap_gives_up_at_once(
    make: Make, api: ChatApi, sleeps: list[float]
) -> None:
    api.script(Reply(429, headers={"Retry-After": "600"}))
    error = refusal(make(max_wait=60.0))
    assert "(600s) would pass the 60s limit" in str(error) and sleeps == []


def test_a_connection_dropped_before_the_answer_is_retried(
    make: Make, api: ChatApi, sleeps: list[float]
) -> None:
    api.script(Reply(drop=True))
    assert make().complete(REQUEST).text == "Hello, world!"
    assert sleeps == [0.5] and len(api.requests) == 2


def test_a_slow_server_times_out_and_is_retried(
    make: Make, api: ChatApi, sleeps: list[float]
) -> None:
    api.script(Reply(delay=1.0))
    assert make(timeout=0.3).complete(REQUEST).text == "Hello, world!"
    assert sleeps == [0.5]


def test_a_slow_server_exhausts_the_retries(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    api.script(Reply(delay=1.0), Reply(delay=1.0))
    error = refusal(make(timeout=0.2, max_retries=1))
    assert "gave up after 2 tries: last no answer in 0.2s" in str(error)
    assert error.status is None and sleeps == [0.5]


# -- cut short: never retried ---------------------------------------------------------------


def test_a_connection_dropped_mid_stream(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    api.script(Reply(cut_after=2))
    error, received = interruption(make())
    assert received == "Hello, "
    assert "the answer stopped after 7 characters: the connection dropped (" in str(error)
    assert error.status == 200 and len(api.requests) == 1 and sleeps == []


def test_a_stall_mid_stream_times_out(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    api.script(Reply(stall=1.0))
    error, received = interruption(make(timeout=0.3))
    assert received == "Hello"
    assert "the answer stopped after 5 characters: no data for 0.3s" in str(error)
    assert len(api.requests) == 1 and sleeps == []


UNFINISHED = {  # one piece of text, then the body ends cleanly
    "openai": ('data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}', ""),
    "anthropic": (
        "event: content_block_delta",
        'data: {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hel"}}',
        "",
    ),
    "ollama": ('{"message": {"role": "assistant", "content": "Hel"}, "done": false}',),
}


def test_a_body_that_ends_before_the_answer_is_finished(make: Make, api: ChatApi) -> None:
    provider = make()
    api.script(Reply(lines=UNFINISHED[provider.name]))
    error, received = interruption(provider)
    assert received == "Hel"
    assert (
        "the answer stopped after 3 characters: the stream ended before the answer was finished"
        in str(error)
    )


MALFORMED = {
    "openai": ('data: {"choices": [{"index": 0, "delta": {"content": "Hi"', "", "data: [DONE]"),
    "anthropic": ("event: content_block_delta", "data: {not json", ""),
    "ollama": ('{"message": {"content": "Hi"}, "done": fa',),
}


def test_a_malformed_event_line(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    provider = make()
    api.script(Reply(lines=MALFORMED[provider.name]))
    error, received = interruption(provider)
    what = "line" if provider.name == "ollama" else "event"
    assert f"the answer stopped before any text: malformed {what} 1: not JSON: '" in str(error)
    assert len(api.requests) == 1 and sleeps == []


def _anthropic_error() -> tuple[str, ...]:
    delta = {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hi"}}
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    return (
        "event: content_block_delta",
        f"data: {json.dumps(delta)}",
        "",
        "event: error",
        f"data: {json.dumps(error)}",
        "",
    )


ERROR_EVENTS = {
    "openai": (
        'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}',
        "",
        'data: {"error": {"message": "Overloaded", "type": "server_error"}}',
        "",
    ),
    "anthropic": _anthropic_error(),
    "ollama": ('{"message": {"content": "Hi"}, "done": false}', '{"error": "Overloaded"}'),
}


def test_an_error_event_mid_stream(make: Make, api: ChatApi, sleeps: list[float]) -> None:
    provider = make()
    api.script(Reply(lines=ERROR_EVENTS[provider.name]))
    error, received = interruption(provider)
    assert received == "Hi"
    said = "overloaded_error: Overloaded" if provider.name == "anthropic" else "Overloaded"
    assert f"the answer stopped after 2 characters: the server sent an error: {said!r}" in str(
        error
    )
    assert len(api.requests) == 1 and sleeps == []


# -- the key never shows --------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404])
def test_a_key_echoed_in_an_error_body_is_hidden(make: Make, api: ChatApi, status: int) -> None:
    provider = make()
    api.script(Reply(status, echo=True))
    message = str(refusal(provider))  # which checks that no piece of the key shows
    header = "x-api-key: " if provider.name == "anthropic" else "Authorization: Bearer "
    assert f"bad request from {header}<hidden>" in message


def test_a_key_echoed_in_the_stream_is_hidden(make: Make, api: ChatApi) -> None:
    provider = make()
    line = f'{{"error": "key {KEY} is not allowed"}}'
    lines = {"ollama": (line,), "openai": (f"data: {line}", "")}
    lines["anthropic"] = ("event: error", f"data: {line}", "")
    api.script(Reply(lines=lines[provider.name]))
    error, _ = interruption(provider)
    assert "the server sent an error: 'key <hidden> is not allowed'" in str(error)


def test_a_key_in_a_malformed_line_is_hidden(make: Make, api: ChatApi) -> None:
    provider = make()
    api.script(Reply(lines=(f"data: {KEY}", "")))
    error, _ = interruption(provider)
    assert "<hidden>" in str(error)
