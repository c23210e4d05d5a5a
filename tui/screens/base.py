"""DeckScreen: what every full screen shares: the app's library, and worker errors shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerFailed, WorkerState

from storage.errors import PromptdeckError
from tui.messages import StatusMessage
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import PromptdeckApp

ResultType = TypeVar("ResultType")
MessageType = TypeVar("MessageType", bound=Message)


class DeckScreen(Screen[ResultType]):
    @property
    def deck(self) -> PromptdeckApp:
        return self.app  # type: ignore[return-value]

    def read_early(self, read: Callable[[], MessageType]) -> None:
        """Start the screen's first database read now, in a thread of the app, while the
        screen is still being built, so that the query and the layout overlap. Call
        `deliver_early` from on_mount: it posts the message the read returns to the screen."""
        self._early: Worker[MessageType] = self.app.run_worker(
            read, thread=True, exit_on_error=False, group="early-read"
        )

    @work(exclusive=True, group="early", exit_on_error=False)
    async def deliver_early(self) -> None:
        try:
            message = await self._early.wait()
        except WorkerFailed as failed:
            raise failed.error from None  # shown on the status line as storage worded it
        self.post_message(message)

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
