"""DeckScreen: what every full screen shares: the app (as a Deck), worker errors shown on
the status line, catching up with library changes when the screen is shown again, and a
pause its background loading gives way to while another screen covers it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, cast

from textual import on, work
from textual.binding import ActiveBinding
from textual.events import ScreenResume, ScreenSuspend
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from storage import Pause
from tui.deck import Deck
from tui.keys import declared_place
from tui.messages import StatusMessage
from tui.shared.formatting import error_line
from tui.widgets.status_line import StatusLine

ResultType = TypeVar("ResultType")
MessageType = TypeVar("MessageType", bound=Message)


class DeckScreen(Screen[ResultType]):
    _seen_generation: int | None = None  # the library generation this screen last showed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Held while another screen is in front: workers loading ahead of need run under it
        # (storage/db/background.py), so the screen in front has the cores.
        self.covered = Pause()

    @property
    def deck(self) -> Deck:
        return cast(Deck, self.app)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Textual's, with each node's bindings in the order declared: a key remapped in the
        keymap is otherwise moved last, past the edge of an 80-column footer."""
        bindings = super().active_bindings
        nodes = list(dict.fromkeys(active.node for active in bindings.values()))

        def place(item: tuple[str, ActiveBinding]) -> tuple[int, int]:
            active = item[1]
            return nodes.index(active.node), declared_place(active.node, active.binding)

        return dict(sorted(bindings.items(), key=place))

    def cover(self) -> None:
        """Another screen comes in front: loading ahead of need gives way to it."""
        self.covered.hold()

    def uncover(self) -> None:
        self.covered.release()

    @on(ScreenSuspend)
    def _suspended(self) -> None:
        self.cover()

    @on(ScreenResume)
    def _resumed(self) -> None:
        self.uncover()
        self.catch_up()

    def catch_up(self) -> None:
        """Read again if the library changed since this screen last showed it (the first
        time the screen is shown, its own first read is under way)."""
        generation = self.deck.generation
        if self._seen_generation is not None and self._seen_generation != generation:
            self.refresh_library(self.deck.last_written)
        self._seen_generation = generation

    def refresh_library(self, select: str | None) -> None:
        """Screens that show library data read it again here; `select` is the prompt the
        newest write was about."""

    def read_early(self, read: Callable[[], MessageType]) -> None:
        """Start the screen's first database read now, in a thread, while the screen is
        still being built, so that the query and the layout overlap. Call `deliver_early`
        from on_mount: it posts the message the read returns to the screen. (A Textual
        worker would begin only when the event loop next runs: once the screen is built,
        60-110 ms after the key for the analytics screen at a million prompts.)"""
        self._early = asyncio.get_running_loop().run_in_executor(None, read)

    @work(exclusive=True, group="early", exit_on_error=False)
    async def deliver_early(self) -> None:
        self.post_message(await self._early)  # an error: on the status line, as worded

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker error reaches the status line, worded as storage worded it."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            self.post_message(StatusMessage(error_line(error), error=True))

    def on_status_message(self, message: StatusMessage) -> None:
        message.stop()
        self.query_one(StatusLine).say(message.text, error=message.error)
