"""How the run, history and compare screens look once answers are in, at 80x24 (the run screen
at 160x48 too). Deterministic: the library's ticking clock and ids, a fixed clock for the runs'
times (tui.run_worker.make_clock), the local chat API's fixed answers and token counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from storage import Library
from tests.storage.chat_api import ChatApi, Reply
from tests.tui.conftest import Settle, SnapCompare
from tests.tui.run_library import fixed_clock, llm_table
from tests.tui.test_run_screen import fill_variables, make_app
from tui import run_worker
from tui.app import PromptdeckApp
from tui.widgets.variables_panel import VariablesPanel

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
ANSWER = ("Hello, team! ", "Here is a short greeting, ", "in English, as asked.")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApi]:
    monkeypatch.setattr(run_worker, "make_clock", fixed_clock)
    with ChatApi() as server:
        yield server


def _steps(settle: Settle, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Open the run screen on Greet, fill its variables, then press `keys` (settling after
    each; `field=value` fills that field of compare's side B)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, PromptdeckApp)
        await fill_variables(app)
        for key in keys:
            if "=" in key:  # "field=value": type into side B's field
                field, value = key.split("=", 1)
                pilot.app.screen.query_one(f"#choice-b #{field}", Input).value = value
                continue
            await pilot.press(key)
            await settle(pilot, rounds=5)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_run_after_an_answer(
    runs_lib: Library,
    api: ChatApi,
    tmp_path: Path,
    snap_compare: SnapCompare,
    settle: Settle,
    size: tuple[int, int],
) -> None:
    api.script(Reply(pieces=ANSWER))
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    steps = _steps(settle, "f5")

    async def settled(pilot: Pilot[None]) -> None:
        await steps(pilot)
        # The form scrolls the focused field into view with an animation, and where it ends
        # moved by a line between runs on a loaded machine: the look is taken from its top.
        await pilot.wait_for_scheduled_animations()
        pilot.app.screen.query_one(VariablesPanel).scroll_home(animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settled)


def test_history(
    runs_lib: Library, api: ChatApi, tmp_path: Path, snap_compare: SnapCompare, settle: Settle
) -> None:
    api.script(Reply(pieces=ANSWER), Reply(pieces=("Hi.",), usage=False, finish="length"))
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    assert snap_compare(app, run_before=_steps(settle, "f5", "f5", "f6"))


def test_compare_two_models(
    runs_lib: Library, api: ChatApi, tmp_path: Path, snap_compare: SnapCompare, settle: Settle
) -> None:
    app = make_app(runs_lib, tmp_path, llm_table("openai", api.url))
    steps = _steps(settle, "f7", "version=2", "model=chat-large", "f5")
    assert snap_compare(app, run_before=steps)
