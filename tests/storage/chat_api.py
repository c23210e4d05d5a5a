"""A real chat API on 127.0.0.1 for tests, speaking all three protocols by path: OpenAI's
`.../chat/completions` (server-sent events ending with [DONE], or one JSON answer when not
asked to stream), Ollama's `/api/chat` (NDJSON) and Anthropic's `/v1/messages` (named
server-sent events). Streamed answers are sent in HTTP/1.1 chunks, one per event, flushed as
they go. It records every request and plays scripted replies (errors, delays, cuts, raw lines)
before falling back to correct answers.

    with ChatApi() as api:
        api.script(Reply(429, headers={"Retry-After": "2"}), Reply(cut_after=2))
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from storage.llm import CHAT_PROVIDERS, ChatProvider, LLMSettings

KINDS = tuple(CHAT_PROVIDERS)  # openai, anthropic, ollama
KEY = "sk-test-5ecret-0123456789abcdef"
MODEL = "chat-small"
PIECES = ("Hello", ", ", "world", "!")  # the answer's text, one piece per event
TOKENS_IN = 17  # the counts the API reports (when `usage`)
TOKENS_OUT = 4
ANSWERED_BY = "served-model-2024"  # the model name the API reports
_KEYS = ("Authorization", "x-api-key")  # the headers an API key is sent in


def chat_provider(
    kind: str,
    url: str,
    sleeps: list[float],
    *,
    clock: Callable[[], float] = time.monotonic,
    **settings: Any,
) -> ChatProvider:
    """A provider of `kind` talking to the API at `url` with KEY, recording its waits in
    `sleeps` (nothing really sleeps); `settings` change LLMSettings."""
    base_url = url + "/v1" if kind == "openai" else url
    options: dict[str, Any] = {"model": MODEL, "base_url": base_url, "api_key": KEY}
    chosen = LLMSettings(kind, **(options | {"timeout": 2.0, "max_retries": 3} | settings))
    return CHAT_PROVIDERS[kind](chosen, sleep=sleeps.append, jitter=False, clock=clock)


@dataclass
class Reply:
    """One scripted answer. With `body` None and `lines` None the API streams PIECES (or
    `pieces`) in its protocol."""

    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without answering
    echo: bool = False  # answer `status` with an error body quoting the request's headers,
    # the key's first
    pieces: tuple[str, ...] = PIECES
    usage: bool = True  # report token counts
    finish: str | None = None  # the finish reason; None: the protocol's "stop"
    gap: float = 0.0  # seconds between events
    cut_after: int | None = None  # drop the connection after this many pieces of text
    stall: float = 0.0  # seconds to wait after the first piece
    hold: threading.Event | None = None  # after the first piece, wait (up to 5 s) for it
    lines: tuple[str, ...] | None = None  # the streamed body's lines, sent as they are


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: Any


class ChatApi:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.holding = threading.Event()  # set while a reply waits for its `hold`
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then correctly again."""
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[Reply, Any]:
        """The reply to this request, which is recorded, and its decoded body."""
        body = json.loads(raw)
        with self._lock:
            self.requests.append(Request(path, headers, body))
            return (self._replies.popleft() if self._replies else Reply()), body


def frames(path: str, body: Any, reply: Reply) -> list[tuple[bytes, bool]]:
    """The streamed answer as (event bytes, whether it carries a piece of text)."""
    if reply.lines is not None:
        return [(line.encode() + b"\n", False) for line in reply.lines]
    if path.endswith("/api/chat"):
        return _ollama(body, reply)
    if path.endswith("/v1/messages"):
        return _anthropic(reply)
    return _openai(reply)


def whole_answer(reply: Reply) -> dict[str, Any]:
    """OpenAI's answer when not asked to stream."""
    answer: dict[str, Any] = {
        "object": "chat.completion",
        "model": ANSWERED_BY,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(reply.pieces)},
                "finish_reason": reply.finish or "stop",
            }
        ],
    }
    if reply.usage:
        answer["usage"] = {"prompt_tokens": TOKENS_IN, "completion_tokens": TOKENS_OUT}
    return answer


def _sse(data: Any, event: str | None = None) -> bytes:
    named = f"event: {event}\n" if event else ""
    return f"{named}data: {json.dumps(data)}\n\n".encode()


def _openai(reply: Reply) -> list[tuple[bytes, bool]]:
    def chunk(choices: list[Any], usage: Any = None) -> bytes:
        data = {"object": "chat.completion.chunk", "model": ANSWERED_BY, "choices": choices}
        return _sse(data | {"usage": usage})

    out = [(chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}]), False)]
    out += [(chunk([{"index": 0, "delta": {"content": p}}]), True) for p in reply.pieces]
    finish = reply.finish or "stop"
    out.append((chunk([{"index": 0, "delta": {}, "finish_reason": finish}]), False))
    if reply.usage:
        usage = {"prompt_tokens": TOKENS_IN, "completion_tokens": TOKENS_OUT, "total_tokens": 21}
        out.append((chunk([], usage), False))
    return [*out, (b"data: [DONE]\n\n", False)]


def _ollama(body: Any, reply: Reply) -> list[tuple[bytes, bool]]:
    def line(data: dict[str, Any]) -> bytes:
        return json.dumps({"model": body["model"]} | data).encode() + b"\n"

    out = [
        (line({"message": {"role": "assistant", "content": p}, "done": False}), True)
        for p in reply.pieces
    ]
    last: dict[str, Any] = {"message": {"role": "assistant", "content": ""}, "done": True}
    last["done_reason"] = reply.finish or "stop"
    if reply.usage:
        last |= {"prompt_eval_count": TOKENS_IN, "eval_count": TOKENS_OUT}
    return [*out, (line(last), False)]


def _anthropic(reply: Reply) -> list[tuple[bytes, bool]]:
    usage = {"input_tokens": TOKENS_IN, "output_tokens": 1} if reply.usage else {}
    message = {"type": "message", "role": "assistant", "model": ANSWERED_BY, "usage": usage}
    out = [
        (_sse({"type": "message_start", "message": message}, "message_start"), False),
        (_sse({"type": "content_block_start", "index": 0}, "content_block_start"), False),
        (_sse({"type": "ping"}, "ping"), False),
    ]
    for piece in reply.pieces:
        delta = {"type": "content_block_delta", "delta": {"type": "text_delta", "text": piece}}
        out.append((_sse(delta, "content_block_delta"), True))
    ending = {
        "type": "message_delta",
        "delta": {"stop_reason": reply.finish or "end_turn"},
        "usage": {"output_tokens": TOKENS_OUT} if reply.usage else {},
    }
    return [
        *out,
        (_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"), False),
        (_sse(ending, "message_delta"), False),
        (_sse({"type": "message_stop"}, "message_stop"), False),
    ]


def _handler(api: ChatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked bodies, kept-alive connections

        def handle(self) -> None:
            # The client may close a kept-alive connection it had stopped reading.
            with contextlib.suppress(ConnectionError):
                super().handle()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = dict(self.headers.items())
            reply, body = api.take(self.path, headers, raw)
            time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            try:
                if reply.echo:
                    keys_first = sorted(headers.items(), key=lambda h: h[0] not in _KEYS)
                    said = " ".join(f"{k}: {v}" for k, v in keys_first)
                    self._whole(reply, {"error": {"message": f"bad request from {said}"}})
                elif reply.body is not None or reply.status != 200:
                    scripted = {"error": {"message": f"scripted {reply.status}"}}
                    self._whole(reply, scripted if reply.body is None else reply.body)
                elif body.get("stream") is not True:
                    self._whole(reply, whole_answer(reply))
                else:
                    self._stream(reply, frames(self.path, body, reply))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a timeout test)

        def _whole(self, reply: Reply, body: Any) -> None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, reply: Reply, events: list[tuple[bytes, bool]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            texts = 0
            for event, has_text in events:
                self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                self.wfile.flush()
                texts += has_text
                if has_text and texts == reply.cut_after:
                    self.close_connection = True  # no closing chunk: the body is cut
                    return
                if has_text and texts == 1:
                    time.sleep(reply.stall)
                    if reply.hold is not None:
                        api.holding.set()
                        reply.hold.wait(5.0)
                        api.holding.clear()
                time.sleep(reply.gap)
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args: Any) -> None:
            pass  # quiet

    return Handler
