"""What every chat provider shares: sending a ChatRequest through the ApiClient, reading the
answer as it streams, timing it, counting (or estimating) its tokens, and one-line errors. A
provider module says only where to POST, what to send and how to read what comes back."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from storage.errors import LLMError, ProviderError, StreamInterrupted
from storage.llm.chat import (
    ChatEvent,
    ChatRequest,
    ChatResult,
    Finished,
    Latency,
    TextDelta,
    Usage,
    estimate_tokens,
)
from storage.llm.wire import Broken, text_lines
from storage.remote.client import ApiClient
from storage.remote.urls import redact_url

if TYPE_CHECKING:
    from storage.llm.settings import LLMSettings


@dataclass(frozen=True)
class End:
    """How the API said the answer ended; a count it did not report is None."""

    reason: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    model: str | None = None


Part = str | End  # what a provider reads from its answer: pieces of text, then one End


class ChatProvider(ABC):
    """`stream(request)` yields the answer's text as it arrives, then one Finished; `complete`
    returns it whole. Failures raise LLMError (nothing came: refused, unreachable, gave up
    retrying) or StreamInterrupted (the answer began, then stopped; not retried)."""

    name: ClassVar[str]
    default_model: ClassVar[str]
    default_url: ClassVar[str]
    path: ClassVar[str]
    key_header: ClassVar[str] = "Authorization"  # sent as `Bearer <key>`; others as the key
    headers: ClassVar[Mapping[str, str]] = {}  # sent with every request

    def __init__(
        self,
        settings: LLMSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = settings.model or self.default_model  # for requests that name no other
        self.base_url = settings.base_url or self.default_url
        self.streaming = settings.stream
        self._clock = clock
        self._client = ApiClient(
            self.name,
            self.base_url,
            api_key=settings.api_key,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            max_wait=settings.max_wait,
            key_header=self.key_header,
            headers=self.headers,
            errors=LLMError,
            transport=transport,
            sleep=sleep,
            jitter=jitter,
        )

    def __repr__(self) -> str:
        shown = redact_url(self.base_url)  # no user:password or query in a log
        return f"{type(self).__name__}(model={self.model!r}, base_url={shown!r})"

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ChatRequest) -> ChatResult:
        """The whole answer, once it has finished."""
        pieces: list[str] = []
        for event in self.stream(request):
            if isinstance(event, TextDelta):
                pieces.append(event.text)
            else:
                return ChatResult("".join(pieces), event)
        raise AssertionError("stream() ends with a Finished event")

    def stream(self, request: ChatRequest) -> Generator[ChatEvent]:
        """TextDeltas as the text arrives, then one Finished with the usage and latency. The
        request is sent when the first event is asked for; `close()` the generator to stop
        early (its connection is closed). The key (in any form, or 8 characters of it) never
        shows in the text: an end that could begin it waits for the next piece."""
        started = self._clock()
        first: float | None = None
        received = 0  # characters of text so far
        end: End | None = None
        hider = self._client.hider()  # a server that echoes the key gets it hidden
        with closing(self._parts(request)) as parts:
            try:
                for part in parts:
                    if isinstance(part, End):
                        end = part
                        break
                    if part:
                        first = self._clock() if first is None else first
                        received += len(part)
                        shown = hider.feed(part)
                        if shown:
                            yield TextDelta(shown)
            except Broken as problem:
                said = f": {self._client.quote(problem.said)!r}" if problem.said else ""
                raise self._interrupted(f"{problem.what}{said}", received) from None
            except httpx.TimeoutException:
                raise self._interrupted(
                    f"no data for {self._client.timeout:g}s", received
                ) from None
            except httpx.TransportError as error:
                what = f"the connection dropped ({self._client.reason(error)})"
                raise self._interrupted(what, received) from None
            except httpx.HTTPError as error:  # a body that cannot be decoded (gzip, ...)
                what = f"the body could not be read ({self._client.reason(error)})"
                raise self._interrupted(what, received) from None
        if end is None:
            raise self._interrupted("the stream ended before the answer was finished", received)
        held = hider.flush()
        if held:
            yield TextDelta(held)
        ended = self._clock()
        sent = sum(len(message.content) for message in request.messages)
        usage = Usage(
            tokens_in=estimate_tokens(sent) if end.tokens_in is None else end.tokens_in,
            tokens_out=estimate_tokens(received) if end.tokens_out is None else end.tokens_out,
            estimated=end.tokens_in is None or end.tokens_out is None,
        )
        latency = Latency(None if first is None else first - started, ended - started)
        yield Finished(end.reason, usage, latency, end.model or request.model)

    def _parts(self, request: ChatRequest) -> Generator[Part]:
        with self._client.stream(self.path, self._payload(request), model=request.model) as body:
            yield from self._read(text_lines(body))

    def _interrupted(self, what: str, received: int) -> ProviderError:
        so_far = f"after {received} characters" if received else "before any text"
        return self._client.error(
            f"the answer stopped {so_far}: {what}",
            self.path,
            200,
            kind=StreamInterrupted,
            received=received,
        )

    def _malformed(self, what: str) -> ProviderError:
        """An LLMError about a whole (not streamed) answer of the wrong shape."""
        return self._client.error(f"malformed response: {what}", self.path)

    @staticmethod
    def _messages(request: ChatRequest) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in request.messages]

    @abstractmethod
    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body asking for a streamed answer to `request`."""

    @abstractmethod
    def _read(self, lines: Iterator[str]) -> Iterator[Part]:
        """The text in a streamed answer's lines, then its End; Broken when a line cannot be
        read or the server reports an error. Ending without an End means the stream was cut."""
