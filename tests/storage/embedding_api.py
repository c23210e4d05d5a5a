"""A real embedding API on 127.0.0.1 for tests: answers both the OpenAI (`.../embeddings`) and
the Ollama (`/api/embed`) shapes, records every request, and plays scripted replies (errors,
delays, wrong shapes) before falling back to correct answers.

    with EmbeddingApi(dims=8) as api:
        api.script(Reply(429, headers={"Retry-After": "2"}))
        provider = OpenAIProvider(ProviderSettings("openai", base_url=api.url + "/v1", ...))
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import numpy as np


def vector_for(text: str, dims: int) -> list[float]:
    """The vector the API gives `text`: deterministic, from its sha256, not normalised."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return [float(x) for x in np.random.default_rng(seed).uniform(-1.0, 1.0, dims)]


@dataclass
class Reply:
    """One scripted answer. With `body` None the API answers the request correctly, with
    `count` vectors (default: one per input) of `dims` width (default: the API's)."""

    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    count: int | None = None
    dims: int | None = None
    drop: bool = False  # close the connection without answering


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: Any


class EmbeddingApi:
    def __init__(self, dims: int = 8) -> None:
        self.dims = dims
        self.requests: list[Request] = []
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

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[Reply, bytes]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with self._lock:
            self.requests.append(Request(path, headers, body))
            reply = self._replies.popleft() if self._replies else Reply()
        if isinstance(reply.body, bytes):
            return reply, reply.body
        if reply.body is not None:
            return reply, json.dumps(reply.body).encode()
        texts = body["input"]
        vectors = [vector_for(text, reply.dims or self.dims) for text in texts]
        vectors = vectors[: reply.count] if reply.count is not None else vectors
        if path.endswith("/api/embed"):
            return reply, json.dumps({"model": body["model"], "embeddings": vectors}).encode()
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        data.reverse()  # OpenAI does not promise order; clients sort by index
        answer = {"object": "list", "data": data, "model": body["model"]}
        return reply, json.dumps(answer).encode()


def _handler(api: EmbeddingApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply, payload = api.answer(self.path, dict(self.headers.items()), raw)
            time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass  # quiet

    return Handler
