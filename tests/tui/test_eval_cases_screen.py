"""Cases in the TUI, against a real chat API on 127.0.0.1: the eval screen's n writes a case
(a bad assertion is refused inline, nothing kept), e changes one, d removes one after asking;
a run is kept as a case from its detail (c) and from the run screen (f9); and how the form
looks at 80x24."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from storage import Library
from tests.storage.chat_api import ChatApi
from tests.tui.conftest import Settle, SnapCompare
from tests.tui.run_library import llm_table
from tests.tui.test_eval_screen import cased_library, clocked_api, open_evals, said
from tests.tui.test_run_screen import fill_variables, make_app
from tui.app import PromptdeckApp
from tui.screens.case_form import CaseFormScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.evals import EvalsScreen
from tui.screens.run import RunScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.runs import RunsScreen
from tui.widgets.eval_matrix import EvalMatrix


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApi]:
    yield from clocked_api(monkeypatch)


@pytest.fixture
def lib(library_from: object, tmp_path: Path) -> Library:
    return cased_library(library_from, tmp_path)


def form_error(app: PromptdeckApp) -> str:
    return str(app.screen.query_one("#case-error", Static).render())


def boxes(app: PromptdeckApp) -> dict[str, Input]:
    return {box.name or "": box for box in app.screen.query(".case-variable").results(Input)}


async def type_keys(pilot: Pilot[None], text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_n_writes_a_case_and_a_bad_assertion_is_refused_inline(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CaseFormScreen)
        assert list(boxes(app)) == ["language", "who"]  # a box per {{variable}}
        await type_keys(pilot, "Welsh")  # the first variable has the focus
        await pilot.press("enter")
        await type_keys(pilot, "Ada")
        area = app.screen.query_one("#case-asserts", TextArea)
        area.text = '{"type": "contans", "value": "Ada"}\nmax-length 80'
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseFormScreen)  # refused: still open, as typed
        assert "assert[1].type: unknown assertion type" in form_error(app)
        assert len(lib.cases.list_cases("Greet")) == 3
        area.text = "contains Ada\nmax-length 80\njudge Nope"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "assert[3].rubric: no such rubric" in form_error(app)
        judge = '{"type": "judge", "rubric": "Warm", "threshold": 3}'
        area.text = f"contains Ada\nmax-length 80\n{judge}"
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, EvalsScreen)
        assert app.screen.query_one(EvalMatrix).row_count == 4
        assert "kept" in said(app)
    added = lib.cases.list_cases("Greet")[-1]
    assert added.vars == {"language": "Welsh", "who": "Ada"} and added.source == "manual"
    assert [a.spec() for a in added.asserts] == [
        {"type": "contains", "value": "Ada"},
        {"type": "max-length", "value": 80},
        {"type": "judge", "threshold": 3.0, "rubric": "Warm"},
    ]


async def test_e_changes_a_case_and_d_removes_one_after_asking(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    first, second, _ = lib.cases.list_cases("Greet")
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("down", "e")  # the second case: greets Ada
        await settle(pilot)
        assert isinstance(app.screen, CaseFormScreen)
        assert boxes(app)["who"].value == "Ada"
        area = app.screen.query_one("#case-asserts", TextArea)
        assert area.text.splitlines()[1] == '{"type": "contains", "value": "Ada"}'
        area.text = "icontains bonjour"
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, EvalsScreen)
        await pilot.press("up", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing removed
        await settle(pilot)
        assert len(lib.cases.list_cases("Greet")) == 3
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, rounds=4)
        assert "removed" in said(app)
        assert app.screen.query_one(EvalMatrix).row_count == 2
    kept = lib.cases.list_cases("Greet")
    assert [c.id for c in kept] == [second.id, kept[1].id] and first.id not in {c.id for c in kept}
    assert [a.spec() for a in kept[0].asserts] == [{"type": "icontains", "value": "bonjour"}]


async def test_a_run_is_kept_as_a_case_from_its_detail_and_from_the_run_screen(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle
) -> None:
    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await pilot.press("f9")
        assert "no answer to keep yet" in said(app)
        await fill_variables(app)
        await pilot.press("f5")
        await settle(pilot, rounds=6)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, CaseFormScreen)
        area = app.screen.query_one("#case-asserts", TextArea)
        assert area.text == '{"type": "equals", "value": "Hello, world!"}'
        assert "who='the world'" in str(app.screen.query_one("#case-run-vars", Static).render())
        area.text = "contains Hello"  # editable before keeping
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, RunScreen), form_error(app)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CaseFormScreen)
        await pilot.press("ctrl+s")  # the same run, its equals check: a second case
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, RunDetailScreen)
    *_, from_screen, from_detail = lib.cases.list_cases("Greet")
    assert from_screen.source == from_detail.source == "run"
    assert from_screen.vars == {"language": "English", "who": "the world"}
    assert [a.spec() for a in from_screen.asserts] == [{"type": "contains", "value": "Hello"}]
    assert [a.spec() for a in from_detail.asserts] == [{"type": "equals", "value": "Hello, world!"}]


def test_the_case_form_at_80x24(
    lib: Library, api: ChatApi, tmp_path: Path, settle: Settle, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_evals(pilot, settle)
        await pilot.press("down", "e")
        await settle(pilot)

    app = make_app(lib, tmp_path, llm_table("openai", api.url))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
