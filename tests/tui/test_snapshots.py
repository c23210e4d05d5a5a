"""How the screens look, at 80x24 and 160x48, on the deterministic sample library."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import Settle, SnapCompare
from tui.app import PromptdeckApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def _steps(settle: Settle, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_browse(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_steps(settle, "j"))


@pytest.mark.parametrize("size", SIZES)
def test_edit(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_steps(settle, "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_diff(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    steps = _steps(settle, "enter", "ctrl+e", "ctrl+e", *"Add examples.", "ctrl+d")
    assert snap_compare(app, terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_versions(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    steps = _steps(settle, "enter", "f4", "end", "enter")
    assert snap_compare(app, terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_help(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_steps(settle, "question_mark"))
