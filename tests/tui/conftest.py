"""TUI fixtures: the app on a deterministic sample library, and a way to wait for workers.

`Settle` and `SnapCompare` type the `settle` and `snap_compare` fixtures in the tests that take
them (`from tests.tui.conftest import Settle, SnapCompare`)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from textual.worker import WorkerCancelled

from storage import Library
from tests.storage.chat_api import ChatApi
from tests.tui.run_library import runs_library
from tui.app import PromptdeckApp
from tui.screens.base import DeckScreen
from tui.shared.settings import Settings
from tui.widgets import prompt_browser
from tui.widgets.prompt_browser import PREVIEW_DEBOUNCE


class Settle(Protocol):
    """The `settle` fixture: `await settle(pilot)` (or `settle(pilot, rounds=6)`)."""

    async def __call__(self, pilot: Pilot[None], rounds: int = 3) -> None: ...


class SnapCompare(Protocol):
    """The `snap_compare` fixture of pytest-textual-snapshot, as these tests call it (the plugin
    annotates the fixture as taking only a path)."""

    def __call__(
        self,
        app: App[None],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[None]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


@pytest.fixture(autouse=True)
def _preview_after_typing_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview waits for a pause in the typing (TYPING_PREVIEW_DEBOUNCE); `settle` waits
    for workers, not timers, so tests preview as soon as the cursor rests, as in the list
    (test_browse.py tests the pause itself)."""
    monkeypatch.setattr(prompt_browser, "TYPING_PREVIEW_DEBOUNCE", PREVIEW_DEBOUNCE)


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors never blink in tests: a snapshot taken on a busy machine could otherwise catch
    one hidden (settle turns blinking off, but only for the widgets on screen by then)."""
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "config.toml")


@pytest.fixture
def app(sample_library: Library, settings: Settings) -> PromptdeckApp:
    return PromptdeckApp(sample_library, settings=settings)


async def _settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Wait until workers are done and the messages they posted are handled: those of a
    screen another screen covers wait for it to be in front again (tui/screens/base.py)."""
    for _ in range(rounds):
        for worker in list(pilot.app.workers):
            if isinstance(worker.node, DeckScreen) and worker.node.covered.held:
                continue
            # A worker superseded by a newer one of its exclusive group is cancelled by design.
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause(0.05)
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


async def wait_until(pilot: Pilot[None], done: Callable[[], bool], seconds: float = 30.0) -> None:
    """Pause until `done()` (or `seconds` pass; the test's own assert then says what is wrong).
    For what `settle` cannot wait on: a cancelled thread worker reads as finished at once while
    its thread still goes on (records the run, posts the message that it ended)."""
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await pilot.pause(0.05)


@pytest.fixture
def settle() -> Settle:
    """`await settle(pilot)`: wait for workers and the messages they post."""
    return _settle


@pytest.fixture
def api() -> Iterator[ChatApi]:
    """A chat API on 127.0.0.1 speaking each provider's protocol (tests/storage/chat_api.py)."""
    with ChatApi() as server:
        yield server


@pytest.fixture
def runs_lib(library_from: Callable[..., Library]) -> Library:
    """The library the run, history and compare tests share (tests/tui/run_library.py)."""
    return library_from(runs_library)
