"""f (failed only) on the eval screen says why nothing runs, as it is: it said "every case
passed in the last eval" of a prompt with no cases, and of one never evaluated."""

from __future__ import annotations

from pathlib import Path

from storage import Library
from tests.tui.conftest import Settle
from tests.tui.run_library import llm_table
from tests.tui.test_eval_screen import cased_library, open_evals, said
from tests.tui.test_run_screen import make_app
from tui.app import PromptdeckApp


async def test_failed_only_without_cases_says_there_are_none(
    app: PromptdeckApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("f")
        await settle(pilot)
        assert "no cases yet: n writes one" in said(app)


async def test_failed_only_before_any_eval_says_none_ran(
    library_from: object, tmp_path: Path, settle: Settle
) -> None:
    lib: Library = cased_library(library_from, tmp_path)
    app = make_app(lib, tmp_path, llm_table("openai", "http://127.0.0.1:9"))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_evals(pilot, settle)
        await pilot.press("f")
        await settle(pilot)
        assert "no eval has run to its end yet: a runs every case" in said(app)
