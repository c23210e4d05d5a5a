"""How a streamed answer arrives: body chunks become lines, lines become server-sent events
(OpenAI, Anthropic) or JSON objects (Ollama's NDJSON). A line or event that cannot be read
raises Broken, which the provider turns into a StreamInterrupted."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


class Broken(Exception):
    """The stream cannot go on: `what` happened; `said` is the server's text (quoted, with its
    secrets hidden, by the provider)."""

    def __init__(self, what: str, said: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.said = said


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The body's lines, without their line ends, each as soon as it is whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")


@dataclass(frozen=True)
class ServerEvent:
    """One server-sent event: its `event:` name ("message" when none) and its `data:` lines."""

    name: str
    data: str


def server_events(lines: Iterable[str]) -> Iterator[ServerEvent]:
    """The events in an event stream: fields up to a blank line; comments (`:`) and fields
    other than event and data are skipped. An event the body ends inside is still given (some
    servers close without the last blank line); an unreadable one fails when it is decoded."""
    name = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield ServerEvent(name or "message", "\n".join(data))
            name, data = "", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if data:
        yield ServerEvent(name or "message", "\n".join(data))


def json_object(text: str, what: str) -> dict[str, Any]:
    """`text` decoded as a JSON object, or Broken naming `what` (an event, a line)."""
    try:
        value = json.loads(text)
    except ValueError:
        raise Broken(f"malformed {what}: not JSON", text) from None
    if not isinstance(value, dict):
        raise Broken(f"malformed {what}: not a JSON object", text)
    return value


def json_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON object on each non-blank line (NDJSON)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield json_object(line, f"line {number}")


def count(value: Any) -> int | None:
    """A token count as an API reports it, None when absent or not a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
