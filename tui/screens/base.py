"""DeckScreen: what every full screen shares: the app's library, and worker errors shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual import on
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from storage.errors import PromptdeckError
from tui.messages import StatusMessage
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import PromptdeckApp

ResultType = TypeVar("ResultType")


class DeckScreen(Screen[ResultType]):
    @property
    def deck(self) -> PromptdeckApp:
        return self.app  # type: ignore[return-value]

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker error reaches the status line, worded as storage worded it."""
        error = event.worker.error
        if event.state is not WorkerState.ERROR or error is None:
            return
        if isinstance(error, PromptdeckError):
            self.post_message(StatusMessage(str(error), error=True))
        else:
            self.post_message(StatusMessage(f"{type(error).__name__}: {error}", error=True))

    def on_status_message(self, message: StatusMessage) -> None:
        self.query_one(StatusLine).say(message.text, error=message.error)
