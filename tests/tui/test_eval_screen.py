"""The eval screen against a real chat API on 127.0.0.1: cases imported into the library, run
all fills the matrix with each verdict, enter on a failing cell shows which assertion failed
and why (and a judge's reasons), f runs only the failed ones, esc stops an eval (kept as
cancelled); browse's v and the editor's f9 open it; and how it looks at 80x24."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from storage import Library
from tests.storage.chat_api import MODEL, ChatApi, Reply
from tests.tui.conftest import Settle, SnapCompare, wait_until
from tests.tui.run_library import fixed_clock, llm_table, runs_library
from tests.tui.test_run_screen import make_app
from tui import run_worker
from tui.app import PromptdeckApp
from tui.messages import EvalProgress
from tui.screens.edit import EditScreen
from tui.screens.eval_result import EvalResultScreen
from tui.screens.evals import EvalsScreen
from tui.widgets.eval_matrix import EvalMatrix
from tui.widgets.status_line import StatusLine

CASES = [
    {"vars": {"language": "English", "who": "the world"},
     "assert": [{"type": "contains", "value": "world"}]},
    {"vars": {"language": "French", "who": "Ada"}, "description": "greets Ada",
     "assert": [{"type": "icontains", "value": "hello"}, {"type": "contains", "value": "Ada"}]},
    {"vars": {"language": "English", "who": "Bob"}, "description": "warm to Bob",
     "assert": [{"type": "judge", "rubric": "Warm", "threshold": 4}]},
]  # fmt: skip


def eval_library(library: Library) -> None:
    """runs_library's Greet, the Warm rubric."""
    runs_library(library)
    library.rubrics.add("Warm", [{"name": "warmth", "weight": 3}, {"name": "brevity"}])


def clocked_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApi]:
    """The local chat API, each eval's runs timed by a fixed clock (the `api` fixture of the
    eval screen's tests)."""
    monkeypatch.setattr(run_worker, "make_clock", fixed_clock)
    with ChatApi() as server:
        yield server


def cased_library(library_from: object, tmp_path: Path) -> Library:
    """eval_library with CASES imported into Greet (the `lib` fixture of these tests)."""
    assert callable(library_from)
    found = library_from(eval_library)
    assert isinstance(found, Library)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(case) + "\n" for case in CASES))
    assert found.cases.import_file("Greet", cases).added == len(CASES)
    return found


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApi]:
    yield from clocked_api(monkeypatch)


@pytest.fixture
def lib(library_from: object, tmp_path: Path) -> Library:
    return cased_library(library_from, tmp_path)


def judged(warmth: int, brevity: int) -> Reply:
    scores = [
        {"criterion": "warmth", "score": warmth, "reason": f"warmth {warmth}: rather cold"},
        {"criterion": "brevity", "score": brevity, "reason": f"brevity {brevity}"},
    ]
    return Reply(pieces=(json.dumps({"scores": scores}),))


def cells(app: PromptdeckApp) -> list[list[str]]:
    matrix = app.screen.query_one(EvalMatrix)
    return [
        [str(matrix.get_cell_at(Coordinate(row, column))) for column in range(1, 2)]
        for row in range(matrix.row_count)
    ]


def said(app: PromptdeckApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


async def open_evals(pilot: Pilot[None], settle: Settle) -> None:
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    assert isinstance(pilot.app.screen, EvalsScreen)


async def test_run_all_fills_the_matrix_and_a_failing_cell_says_why(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(), Reply(), Reply(), judged(2, 5))
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    progress: dict[int, tuple[int, int, str]] = {}  # the hook may see a message twice

    def hook(message: Message) -> None:
        if isinstance(message, EvalProgress):
            progress[id(message)] = (message.done, message.total, message.result.verdict)

    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await open_evals(pilot, settle)
        assert cells(app) == [["·"]] * 3
        await pilot.press("a")
        await settle(pilot, rounds=8)
        assert sorted(progress.values()) == [(1, 3, "pass"), (2, 3, "fail"), (3, 3, "fail")]
        assert cells(app) == [["pass"], ["FAIL"], ["FAIL"]]
        matrix = app.screen.query_one(EvalMatrix)
        assert matrix.columns[matrix.ordered_columns[1].key].label.plain == f"v2 {MODEL}"
        assert "1 passed, 2 failed, 0 errors of 3" in str(
            app.screen.query_one("#summary", Static).render()
        )
        assert "1/3 passed" in str(app.screen.query_one("#scorecard", Static).render())
        matrix.cursor_coordinate = Coordinate(1, 1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EvalResultScreen)
        shown = str(app.screen.query_one("VerticalScroll Static", Static).render())
        assert "does not contain 'Ada'" in shown and "Hello, world!" in shown, shown
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one(EvalMatrix).cursor_coordinate = Coordinate(2, 1)
        await pilot.press("enter")
        await settle(pilot)
        shown = str(app.screen.query_one("VerticalScroll Static", Static).render())
        assert "warmth 2: rather cold" in shown and "judge" in shown, shown
    (kept,) = lib.evals.list_runs("Greet")
    assert (kept.status, kept.passed, kept.failed) == ("done", 1, 2)


async def test_failed_only_runs_again_what_did_not_pass(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(), Reply(), Reply(), judged(2, 5))
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("a")
        await settle(pilot, rounds=8)
        asked = len(api.requests)
        api.script(Reply(pieces=("Hello, Ada!",)), Reply(), judged(5, 5))
        await pilot.press("f")
        await settle(pilot, rounds=8)
        assert len(api.requests) == asked + 3  # two answers and a judge; the pass not re-run
        # the pass is the earlier eval's, carried into the matrix; the others are new
        assert cells(app) == [["pass"], ["pass"], ["pass"]]
        matrix = app.screen.query_one(EvalMatrix)
        first = matrix.results[(lib.cases.list_cases("Greet")[0].id, matrix.targets[0])]
        assert first.eval_run_id == lib.evals.list_runs("Greet")[1].id
        assert "(failed only)" in str(app.screen.query_one("#summary", Static).render())
    latest = lib.evals.list_runs("Greet")[0]
    assert latest.only_failed and (latest.results, latest.passed) == (2, 2)


async def test_escape_stops_an_eval_and_it_is_kept_cancelled(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    api.script(Reply(pieces=("word ",) * 200, gap=0.02))
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("a")
        while not api.requests:
            await pilot.pause(0.02)
        await pilot.pause(0.1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "cancelled" in said(app))
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, EvalsScreen)  # the first esc stops, it does not leave
        assert "cancelled" in said(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, EvalsScreen)
    (kept,) = lib.evals.list_runs("Greet")
    assert kept.status == "cancelled" and kept.results == 0
    assert len(api.requests) == 1
    (run,) = lib.runs.list_runs("Greet")
    assert run.status == "cancelled"


async def test_the_editor_opens_it_with_f9_and_no_cases_reads_as_a_hint(
    library_from: object, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    assert callable(library_from)
    empty = library_from(eval_library)
    app = make_app(empty, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, EvalsScreen)
        assert "no cases yet" in said(app)
        await pilot.press("a")
        await settle(pilot, rounds=4)
        assert "has no cases" in said(app) and not api.requests


def test_the_eval_screen_at_80x24(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, snap_compare: SnapCompare
) -> None:
    api.script(Reply(), Reply(), Reply(), judged(2, 5))

    async def run_before(pilot: Pilot[None]) -> None:
        await open_evals(pilot, settle)
        await pilot.press("a")
        await settle(pilot, rounds=8)
        pilot.app.screen.query_one(EvalMatrix).cursor_coordinate = Coordinate(1, 1)
        await settle(pilot)

    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
