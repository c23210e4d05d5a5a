"""What the run, compare and enhance screens' workers do, in plain values: the [llm] settings a
screen starts from, and `stream_answer`, which prepares a run (or an enhancement), sends it,
and posts the answer as it arrives (batched), then how it ended. No widgets here; the chat
providers (and httpx) are imported when a screen first asks for them."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import storage
from storage import Library, PromptdeckError
from tui.messages import AnswerDelta, AnswerEnded, AnswerStarted, LibraryChanged

if TYPE_CHECKING:
    from textual.message import Message

    from storage import ChatProvider, PreparedRun, RunStream

BATCH_SECONDS = 0.05  # the answer reaches the screen at most 20 times a second


def make_clock() -> Callable[[], float]:
    """The clock a run is timed by (its provider's and RunStream's), one per run: the
    snapshot tests put a fixed one here."""
    return time.monotonic


FALLBACK_PROVIDER = "ollama"  # storage.llm's default: local, needs no key


@dataclass(frozen=True)
class AnswerJob:
    """One answer to ask for: `ref` names the prompt (ID, or ID@N for a version), `model`
    None for the prompt's own or the provider's configured one, `llm` the [llm] table."""

    side: str  # which pane the answer fills: run, a, b
    ref: str
    values: dict[str, str]
    provider: str
    model: str | None
    llm: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold an API key
    enhance: tuple[str, str] | None = None  # (phase, method): ask for a rewrite of the prompt


def providers() -> tuple[str, ...]:
    return tuple(storage.CHAT_PROVIDERS)


def _default_model(provider: str) -> str:
    kind = storage.CHAT_PROVIDERS.get(provider)
    return kind.default_model if kind is not None else ""


def configured(llm: Mapping[str, Any], provider: str | None = None) -> tuple[str, str]:
    """The provider (the [llm] one unless `provider`) and its configured model. Settings that
    cannot be used yet (a missing key) still name them; running says what is wrong."""
    try:
        settings = storage.llm_settings_from(llm, provider=provider)
    except PromptdeckError:
        name = provider or str(llm.get("provider") or FALLBACK_PROVIDER)
        own = llm.get("model") if llm.get("provider", FALLBACK_PROVIDER) == name else None
        return name, str(own or _default_model(name))
    return settings.provider, settings.model or _default_model(settings.provider)


def stream_answer(
    library: Library,
    job: AnswerJob,
    post: Callable[[Message], object],
    post_to_app: Callable[[Message], object],
    cancelled: Callable[[], bool],
) -> None:
    """(In a thread worker) prepare, send and record the run of `job`, posting AnswerStarted,
    AnswerDelta (text gathered over BATCH_SECONDS) and always one AnswerEnded. When
    `cancelled()` turns true the answer is stopped at its next piece and recorded cancelled."""
    chat: ChatProvider | None = None
    stream: RunStream | None = None
    error: str | None = None
    try:
        clock = make_clock()
        settings = storage.llm_settings_from(job.llm, provider=job.provider)
        chat = storage.make_chat_provider(settings, clock=clock)
        prepared = _prepared(library, job, chat)
        post(AnswerStarted(job.side, prepared))
        with storage.RunStream(library.runs, prepared, chat, clock=clock) as stream:
            _pump(stream, job.side, post, cancelled, clock)
    except PromptdeckError as failed:
        error = str(failed)
    finally:
        if chat is not None:
            chat.close()
        run = stream.run if stream is not None else None
        post(AnswerEnded(job.side, run, error))
        if run is not None:
            post_to_app(LibraryChanged(select=run.prompt_id))


def _prepared(library: Library, job: AnswerJob, chat: ChatProvider) -> PreparedRun:
    if job.enhance is not None:
        return library.enhance.prepare(
            job.ref,
            storage.Enhancement(*job.enhance),
            provider=chat.name,
            model=job.model or chat.model,
            stream=chat.streaming,
        )
    return library.runs.prepare(
        job.ref,
        job.values,
        provider=chat.name,
        default_model=chat.model,
        model=job.model or None,
        stream=chat.streaming,
    )


def _pump(
    stream: RunStream,
    side: str,
    post: Callable[[Message], object],
    cancelled: Callable[[], bool],
    clock: Callable[[], float],
) -> None:
    pending: list[str] = []
    sent_at = float("-inf")
    try:
        for event in stream:
            if cancelled():
                break  # leaving the `with` closes the stream: recorded as cancelled
            if isinstance(event, storage.TextDelta):
                pending.append(event.text)
                now = clock()
                if now - sent_at >= BATCH_SECONDS:
                    post(AnswerDelta(side, "".join(pending)))
                    pending.clear()
                    sent_at = now
    finally:
        if pending:
            post(AnswerDelta(side, "".join(pending)))
