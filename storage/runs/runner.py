"""RunStream: a PreparedRun sent through a ChatProvider, its events handed to the caller as they
arrive, and the run recorded when it ends, however it ends. The CLI's `run` iterates it in the
main thread; a TUI worker iterates it in its thread and posts a message per event."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from contextlib import closing
from types import TracebackType
from typing import Self

from storage.errors import LLMError, PromptdeckError
from storage.llm.base import ChatProvider
from storage.llm.chat import ChatEvent, ChatRequest, Finished, TextDelta, estimate_tokens
from storage.runs.models import PreparedRun, Run, RunOutcome
from storage.runs.service import RunService


class RunStream:
    """Iterate it for the answer: TextDelta... then one Finished. Once the iteration has ended,
    `run` is the recorded Run:

    * the answer finished: `ok`;
    * the provider failed (LLMError, StreamInterrupted): `failed` with its one-line reason,
      and the error is raised on to the caller;
    * the caller stopped early (`close()`, leaving a `with` block, ctrl+c's KeyboardInterrupt
      raised while it waited for the next piece): `cancelled`, with the text received so far.

    Nothing is sent before the first event is asked for; closed before that, nothing is
    recorded. A library opened read-only is refused at once (PromptdeckError). The library
    file is let go while the model answers, and the run is written in one transaction after
    the connection to the model is closed."""

    def __init__(
        self,
        runs: RunService,
        prepared: PreparedRun,
        provider: ChatProvider,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        runs.check_recordable()
        self.prepared = prepared
        self.run: Run | None = None
        self._runs = runs
        self._provider = provider
        self._clock = clock
        self._events = self._stream()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ChatEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop the answer (recorded as cancelled, unless it had already ended)."""
        self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _stream(self) -> Generator[ChatEvent]:
        prepared = self.prepared
        request = ChatRequest(
            prepared.messages, prepared.model, prepared.temperature, prepared.max_tokens
        )
        self._runs.release()
        pieces: list[str] = []
        started = self._clock()
        first: float | None = None
        outcome: RunOutcome | None = None
        try:
            with closing(self._provider.stream(request)) as events:
                for event in events:
                    if isinstance(event, TextDelta):
                        first = self._clock() if first is None else first
                        pieces.append(event.text)
                    elif isinstance(event, Finished):
                        outcome = _finished("".join(pieces), event)
                    yield event
        except LLMError as error:
            outcome = self._stopped("failed", pieces, started, first, str(error))
            raise
        except BaseException as error:  # GeneratorExit (closed), KeyboardInterrupt, a bug
            if outcome is None:
                if isinstance(error, GeneratorExit | KeyboardInterrupt):
                    outcome = self._stopped("cancelled", pieces, started, first)
                else:
                    reason = str(error) if isinstance(error, PromptdeckError) else ""
                    why = reason or f"unexpected {type(error).__name__}"
                    outcome = self._stopped("failed", pieces, started, first, why)
            raise
        finally:
            if outcome is not None:
                self.run = self._runs.record(prepared, outcome)

    def _stopped(
        self,
        status: str,
        pieces: list[str],
        started: float,
        first: float | None,
        error: str | None = None,
    ) -> RunOutcome:
        """An answer that did not finish: what came, its tokens estimated, its times as seen
        here."""
        output = "".join(pieces)
        sent = sum(len(message.content) for message in self.prepared.messages)
        return RunOutcome(
            status=status,
            output=output,
            tokens_in=estimate_tokens(sent),
            tokens_out=estimate_tokens(len(output)),
            tokens_estimated=True,
            latency_ms=_ms(self._clock() - started),
            first_token_ms=None if first is None else _ms(first - started),
            error=error,
        )


def _finished(output: str, finished: Finished) -> RunOutcome:
    latency = finished.latency
    return RunOutcome(
        status="ok",
        output=output,
        tokens_in=finished.usage.tokens_in,
        tokens_out=finished.usage.tokens_out,
        tokens_estimated=finished.usage.estimated,
        latency_ms=_ms(latency.total),
        first_token_ms=None if latency.first_token is None else _ms(latency.first_token),
        finish_reason=finished.finish_reason,
        answered_by=finished.model,
    )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
