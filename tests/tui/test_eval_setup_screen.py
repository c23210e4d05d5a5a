"""Choosing what an eval runs on the eval screen (s: versions, models, repeat, the judge model,
as `promptdeck eval` chooses them), and the cases whose verdict changed (c), against a real chat
API on 127.0.0.1; and how both dialogs look at 80x24."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from storage import Library
from tests.storage.chat_api import MODEL, ChatApi, Reply
from tests.tui.conftest import Settle, SnapCompare
from tests.tui.run_library import llm_table
from tests.tui.test_eval_screen import cased_library, cells, clocked_api, judged, open_evals
from tests.tui.test_run_screen import make_app
from tui.app import PromptdeckApp
from tui.screens.eval_changes import EvalChangesScreen
from tui.screens.eval_setup import EvalSetupScreen
from tui.screens.evals import EvalsScreen


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApi]:
    yield from clocked_api(monkeypatch)


@pytest.fixture
def lib(library_from: object, tmp_path: Path) -> Library:
    return cased_library(library_from, tmp_path)


def fill(app: PromptdeckApp, **values: str) -> None:
    for box in app.screen.query(".setup-box").results(Input):
        name = (box.name or "").replace(" ", "_")
        if name in values:
            box.value = values[name]


async def test_s_runs_the_versions_models_repeat_and_judge_chosen(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, EvalSetupScreen)
        fill(app, versions="1 @latest", repeat="x")
        await pilot.press("ctrl+s")
        assert "repeat: a whole number from 1 to 100" in str(
            app.screen.query_one("#setup-error", Static).render()
        )
        fill(app, repeat="2", judge_model="judge-large")
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=10)
        assert isinstance(app.screen, EvalsScreen)
        assert cells(app)[0] == ["pass"]
    (kept,) = lib.evals.list_runs("Greet")
    assert [t.label for t in kept.targets] == [f"v1 {MODEL}", f"v2 {MODEL}"]
    assert (kept.repeat, kept.results, kept.judge_model) == (2, 12, "judge-large")
    models = [request.body["model"] for request in api.requests]
    assert models.count("judge-large") == 4  # the judged case, 2 versions x 2 runs
    assert models.count(MODEL) == 12


async def test_c_shows_the_cases_whose_verdict_changed(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(), Reply(), Reply(), judged(2, 5))
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, EvalChangesScreen)
        assert "no eval with results yet" in str(app.screen.query_one(".title", Static).render())
        await pilot.press("escape")
        await pilot.press("a")
        await settle(pilot, rounds=8)
        api.script(Reply(pieces=("Bye",)), Reply(pieces=("Hello, Ada!",)), Reply(), judged(5, 5))
        await pilot.press("a")
        await settle(pilot, rounds=8)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, EvalChangesScreen)
        shown = str(app.screen.query_one("#changes", Static).render())
        lines = shown.splitlines()
        assert "language=English, who=the world  pass → FAIL  broke" in lines[0]
        assert "greets Ada  FAIL → pass  fixed" in lines[1]
        assert "warm to Bob  FAIL → pass  fixed" in lines[2]


def test_the_setup_dialog_at_80x24(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_evals(pilot, settle)
        await pilot.press("s")
        await settle(pilot)
        fill(pilot.app, models="chat-small chat-large")  # type: ignore[arg-type]
        await settle(pilot)

    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_the_changed_verdicts_at_80x24(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, snap_compare: SnapCompare
) -> None:
    api.script(Reply(), Reply(), Reply(), judged(2, 5))

    async def run_before(pilot: Pilot[None]) -> None:
        await open_evals(pilot, settle)
        await pilot.press("a")
        await settle(pilot, rounds=8)
        await pilot.pause(1.0)  # the writes after an eval (ids in the snapshot) are done
        await settle(pilot, rounds=4)
        api.script(Reply(pieces=("Bye",)), Reply(pieces=("Hello, Ada!",)), Reply(), judged(5, 5))
        await pilot.press("a")
        await settle(pilot, rounds=8)
        await pilot.press("c")
        await settle(pilot)

    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
