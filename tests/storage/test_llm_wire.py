"""The pieces under the chat providers: body chunks to lines, lines to server-sent events and
NDJSON objects, and the checks a ChatRequest makes of what it is given."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from storage.errors import ValidationError
from storage.llm import ChatMessage, ChatRequest
from storage.llm.wire import Broken, ServerEvent, json_lines, server_events, text_lines


def test_lines_are_whole_however_the_chunks_fall() -> None:
    body = "first\r\nsecond — naïve\n\nlast".encode()
    for size in (1, 2, 3, 7, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert list(text_lines(chunks)) == ["first", "second — naïve", "", "last"]


def test_a_line_is_given_as_soon_as_it_is_whole() -> None:
    seen: list[str] = []

    def chunks() -> Any:
        yield b"one\ntw"
        assert seen == ["one"]  # read before the next chunk is asked for
        yield b"o\n"

    for line in text_lines(chunks()):
        seen.append(line)
    assert seen == ["one", "two"]


def test_server_events() -> None:
    lines = [
        ": a comment, skipped",
        "event: message_start",
        'data: {"a": 1}',
        "id: 7",
        "",
        "",
        "data: first line",
        "data:second line",
        "",
        "event: ping",  # a name with no data is no event
        "",
        "data: [DONE]",  # the body ends without the last blank line
    ]
    assert list(server_events(lines)) == [
        ServerEvent("message_start", '{"a": 1}'),
        ServerEvent("message", "first line\nsecond line"),
        ServerEvent("message", "[DONE]"),
    ]


def test_json_lines_number_what_they_cannot_read() -> None:
    assert list(json_lines(['{"a": 1}', "", '{"b": 2}'])) == [{"a": 1}, {"b": 2}]
    with pytest.raises(Broken) as caught:
        list(json_lines(['{"a": 1}', "[1, 2]"]))
    assert (caught.value.what, caught.value.said) == (
        "malformed line 2: not a JSON object",
        "[1, 2]",
    )


def test_a_request_keeps_its_messages_as_a_tuple() -> None:
    request = ChatRequest([ChatMessage("user", "hi")], "m")  # type: ignore[arg-type]
    assert request.messages == (ChatMessage("user", "hi"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.model = "other"  # type: ignore[misc]


def test_of_makes_a_one_question_request() -> None:
    request = ChatRequest.of("m", "question", system="rules", temperature=1, max_tokens="20")
    assert request.messages == (ChatMessage("system", "rules"), ChatMessage("user", "question"))
    assert (request.temperature, request.max_tokens) == (1.0, 20)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ChatMessage("tool", "x"), "role: must be one of system, user, assistant"),
        (lambda: ChatMessage("user", None), "content: must be text"),  # type: ignore[arg-type]
        (lambda: ChatRequest((), "m"), "messages: must be one or more ChatMessages"),
        (lambda: ChatRequest(("hi",), "m"), "messages: must be one"),  # type: ignore[arg-type]
        (lambda: ChatRequest.of("", "hi"), "model: must be a model name"),
        (lambda: ChatRequest.of("m", "hi", temperature=3), "temperature: must be between 0 and 2"),
        (lambda: ChatRequest.of("m", "hi", max_tokens=0), "max_tokens: must be between 1 and"),
        (lambda: ChatRequest.of("m", "hi", max_tokens=1.5), "max_tokens: must be a whole number"),
    ],
)
def test_a_request_names_what_is_wrong(make: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make()
