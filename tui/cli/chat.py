"""What the verbs that send prompts to a chat model share (`run`, `enhance`): the provider the
settings and flags describe, sending a prepared run with its answer streamed to stdout, ctrl+c,
and the one-line summary of a run (its figures worded as the TUI's, tui.shared.run_format).
The chat providers (and httpx) are imported only when a verb sends something."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

import click

import storage
from storage import Library, PreparedRun, Run
from storage.models import short_id
from tui.shared import run_format
from tui.shared.settings import ConfigError, Settings

if TYPE_CHECKING:
    from storage import ChatProvider, RunStream

EXIT_CANCELLED = 130  # as a shell reports a command stopped by ctrl+c


def chat_provider(name: str | None, no_stream: bool = False) -> ChatProvider:
    """The provider of the user config's [llm] table, the environment and the flags."""
    try:
        config = Settings.load().llm
    except ConfigError as error:
        raise storage.PromptdeckError(str(error)) from error
    settings = storage.llm_settings_from(config, provider=name)
    if no_stream and settings.provider == "openai":
        settings = dataclasses.replace(settings, stream=False)  # one JSON answer
    return storage.make_chat_provider(settings)


def send(lib: Library, prepared: PreparedRun, chat: ChatProvider, live: bool) -> tuple[Run, str]:
    """Send the run and record it: (the run, the answer's text), the text written to stdout
    as it arrives when `live`. A failure is raised (the run recorded as failed); ctrl+c ends
    the process with EXIT_CANCELLED (the run recorded as cancelled)."""
    stream = storage.RunStream(lib.runs, prepared, chat)
    try:
        with stream:
            text = _answer(stream, live)
    except KeyboardInterrupt:
        _cancelled(stream.run, live)
    except storage.PromptdeckError:
        end_line(live and stream.run is not None and bool(stream.run.output))
        raise
    recorded = stream.run
    assert recorded is not None  # the stream ended: it was recorded
    return recorded, text


def _answer(stream: RunStream, live: bool) -> str:
    pieces: list[str] = []
    for event in stream:
        if isinstance(event, storage.TextDelta):
            pieces.append(event.text)
            if live:
                sys.stdout.write(event.text)
                sys.stdout.flush()
    return "".join(pieces)


def _cancelled(recorded: Run | None, live: bool) -> None:
    end_line(live and recorded is not None and bool(recorded.output))
    what = f"run {short_id(recorded.id)} recorded as cancelled" if recorded else "nothing sent"
    click.echo(f"promptdeck: cancelled; {what}", err=True)
    raise click.exceptions.Exit(EXIT_CANCELLED)


def end_line(needed: bool) -> None:
    """End a line of streamed text, so that what follows starts on its own line."""
    if needed and sys.stdout.isatty():
        click.echo()


def summary(found: Run) -> str:
    return (
        f"run {short_id(found.id)} {found.status}: {run_format.short_tokens(found)} tokens, "
        f"{run_format.cost(found)}, first token {run_format.ms(found.first_token_ms)}, "
        f"total {run_format.ms(found.latency_ms)}"
    )
