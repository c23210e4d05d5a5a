"""Work done ahead of need gives way to what the user waits for. A thread loading caches
(browse preparing its text index) runs `stepping_aside(pause)`; while the app holds the pause
(another screen is in front; for browse's preview, also a search the user typed), a query of
that thread's is interrupted and a read it begins is refused, both as `Paused`, so the two
cores go to what the user waits for; a long computation
outside DuckDB (a search of the vectors) calls `give_way` between its steps to stop there
alike. `run_aside` waits for the release and takes the job up again from its start: what it
had loaded is kept, only the step it was in is done again. Writes are never interrupted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from typing import TypeVar

import duckdb

from storage.errors import Paused

T = TypeVar("T")

POLL_SECONDS = 0.1  # how often a paused job looks whether it was cancelled
# How often a hold interrupts the reads still running: an interrupt that lands between two
# queries of a read is lost (DuckDB clears it as the next query starts), so it is repeated.
INTERRUPT_EVERY = 0.005


def is_interrupt(error: BaseException) -> bool:
    """Whether `error` is DuckDB's interrupt: an InterruptException, or the OSError an Arrow
    reader over a result raises when the query under it is interrupted between two batches
    (storage code that takes an OSError for a full disk must let this one through)."""
    return isinstance(error, duckdb.InterruptException) or (
        isinstance(error, OSError) and str(error).startswith("INTERRUPT Error")
    )


class Pause:
    """Held while a background job's results are not wanted yet, for one reason or more (a
    screen in front, a search the user waits for); the reads it runs are interrupted from the
    hold until they end."""

    def __init__(self) -> None:
        self._released = threading.Event()
        self._released.set()
        self._lock = threading.Lock()
        self._reasons: set[str] = set()
        self._running: set[duckdb.DuckDBPyConnection] = set()
        self._interrupted: set[duckdb.DuckDBPyConnection] = set()  # by a hold, running still

    @property
    def held(self) -> bool:
        return not self._released.is_set()

    def hold(self, reason: str = "covered") -> None:
        with self._lock:
            self._reasons.add(reason)
            if self.held:
                return
            self._released.clear()
            self._interrupt_running()
            if self._running:
                threading.Thread(target=self._interrupt_until_left, daemon=True).start()

    def _interrupt_running(self) -> None:
        """(The caller holds _lock.)"""
        for con in self._running:
            con.interrupt()
        self._interrupted |= self._running

    def _interrupt_until_left(self) -> None:
        """Interrupt the running reads again until they have ended or the pause is released."""
        while True:
            time.sleep(INTERRUPT_EVERY)
            with self._lock:
                if not self.held or not self._running:
                    return
                self._interrupt_running()

    def release(self, reason: str = "covered") -> None:
        """Let go for `reason`: released once no reason holds it."""
        with self._lock:
            self._reasons.discard(reason)
            if not self._reasons:
                self._released.set()

    def wait_out(self, cancelled: Callable[[], bool]) -> bool:
        """Wait while held; False when `cancelled` says so first."""
        while not self._released.wait(POLL_SECONDS):
            if cancelled():
                return False
        return True

    @contextmanager
    def watching(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """A read on `con`: refused while held, interrupted by a hold."""
        with self._lock:
            if self.held:
                raise Paused
            self._running.add(con)
        try:
            yield
        except (duckdb.InterruptException, OSError) as error:
            with self._lock:
                ours = con in self._interrupted  # (released again since, perhaps)
            if ours and is_interrupt(error):
                raise Paused from error
            raise
        finally:
            with self._lock:
                self._running.discard(con)
                self._interrupted.discard(con)


class Background:
    """A database's threads that step aside, and for which pause (one per thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def stepping_aside(self, pause: Pause) -> Iterator[None]:
        self._local.pause = pause
        try:
            yield
        finally:
            self._local.pause = None

    def watching(self, con: duckdb.DuckDBPyConnection) -> AbstractContextManager[None]:
        """What a read of this thread's on `con` runs under."""
        pause = self._pause()
        return nullcontext() if pause is None else pause.watching(con)

    def give_way(self) -> None:
        """Between two steps of a computation of this thread's: Paused while its pause is
        held (a step already begun, such as a read of a memory-mapped file, is not stopped)."""
        pause = self._pause()
        if pause is not None and pause.held:
            raise Paused

    def give_way_if_aside(self) -> Callable[[], None] | None:
        """`give_way`, for a computation that runs in smaller steps when something may ask it
        to stop (this thread steps aside); None when nothing will (the screen in front's)."""
        return None if self._pause() is None else self.give_way

    def waiter(self) -> Callable[[], bool]:
        """For work this thread hands to a helper thread (reading files ahead): a call that
        waits while this thread's pause is held (at once when it has none)."""
        pause = self._pause()
        if pause is None:
            return lambda: True
        return partial(pause.wait_out, lambda: False)

    def _pause(self) -> Pause | None:
        pause: Pause | None = getattr(self._local, "pause", None)
        return pause


def run_aside(
    background: Background, pause: Pause, job: Callable[[], T], cancelled: Callable[[], bool]
) -> T | None:
    """`job` stepping aside; each time it is paused, waited for and begun again. None when
    `cancelled` says so first (the app closing while the pause is held)."""
    while not cancelled():
        try:
            with background.stepping_aside(pause):
                return job()
        except Paused:
            if not pause.wait_out(cancelled):
                return None
    return None
