"""How the picker looks, at 80x24 and 160x48, on the deterministic sample library (headless,
so the picker sits at the top of a blank screen rather than under a shell prompt)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import pytest
from textual.app import App
from textual.pilot import Pilot

from storage import Library
from tests.tui.conftest import Settle, SnapCompare
from tui.demo import write_sample_library
from tui.pick.app import PickApp
from tui.pick.run import LINGER_SECONDS
from tui.shared.settings import Settings


@pytest.fixture
def sample_library(library_from: Callable[..., Library], tmp_path: Path) -> Library:
    """The sample library, lingering as the picker's is (tui/pick/run.py)."""
    return library_from(write_sample_library, tmp_path / "sample.duckdb", linger=LINGER_SECONDS)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def _steps(settle: Settle, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def _app(library: Library, settings: Settings) -> App[None]:
    return cast("App[None]", PickApp(library, settings=settings))


@pytest.mark.parametrize("size", SIZES)
def test_pick_list(
    sample_library: Library,
    settings: Settings,
    snap_compare: SnapCompare,
    settle: Settle,
    size: tuple[int, int],
) -> None:
    app = _app(sample_library, settings)
    assert snap_compare(app, terminal_size=size, run_before=_steps(settle, "down"))


def test_pick_narrowed(
    sample_library: Library, settings: Settings, snap_compare: SnapCompare, settle: Settle
) -> None:
    app = _app(sample_library, settings)
    assert snap_compare(app, run_before=_steps(settle, *"code review"))


@pytest.mark.parametrize("size", SIZES)
def test_pick_variables(
    sample_library: Library,
    settings: Settings,
    snap_compare: SnapCompare,
    settle: Settle,
    size: tuple[int, int],
) -> None:
    steps = _steps(settle, "down", "enter", *"DuckDB", "enter")
    assert snap_compare(_app(sample_library, settings), terminal_size=size, run_before=steps)
