"""TUI fixtures: the app on a deterministic sample library, and a way to wait for workers."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from textual.worker import WorkerCancelled

from storage import Library
from tui.app import PromptdeckApp
from tui.shared.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "config.toml")


@pytest.fixture
def app(sample_library: Library, settings: Settings) -> PromptdeckApp:
    return PromptdeckApp(sample_library, settings=settings)


async def _settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Wait until workers are done and the messages they posted are handled."""
    for _ in range(rounds):
        for worker in list(pilot.app.workers):
            # A worker superseded by a newer one of its exclusive group is cancelled by design.
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause(0.05)
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


@pytest.fixture
def settle():  # type: ignore[no-untyped-def]
    """`await settle(pilot)`: wait for workers and the messages they post."""
    return _settle
