"""Browse search modes (text / semantic / hybrid), scores, similar prompts, embedding, and the
near-duplicate warning on save, against a real library with local-provider vectors."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input, Static, TextArea

from storage import Library
from storage.search.embedding import LocalProvider
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.screens.edit import EditScreen
from tui.shared.settings import Settings
from tui.widgets.prompt_table import PromptTable


@pytest.fixture
def embedded(sample_library: Library) -> Library:
    sample_library.embeddings.embedder = LocalProvider()
    sample_library.embeddings.embed_missing(sample_library.embeddings.embedder)
    return sample_library


def _rows(app: PromptdeckApp) -> list[dict[str, Any]]:
    table = app.screen.query_one(PromptTable)
    return [table._row(i) for i in range(table.row_count)]


def _label(app: PromptdeckApp) -> str:
    return str(app.screen.query_one("#search-label", Static).render())


async def test_modes_cycle_and_rank_with_scores(
    embedded: Library, settings: Settings, settle: Settle
) -> None:
    app = PromptdeckApp(embedded, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"code review")
        await settle(pilot)
        assert _label(app) == "Text search:"
        rows = _rows(app)
        assert rows and all("review" in str(r["name"]).lower() for r in rows)
        scores = [float(r["score"]) for r in rows]
        assert scores == sorted(scores, reverse=True) and scores[0] > 0
        texts = {r["id"] for r in rows}

        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _label(app) == "Semantic search:"
        rows = _rows(app)
        assert len(rows) > len(texts)  # semantic ranks every embedded prompt
        assert "review" in str(rows[0]["name"]).lower()
        scores = [float(r["score"]) for r in rows]
        assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1

        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _label(app) == "Hybrid search:"
        assert "review" in str(_rows(app)[0]["name"]).lower()

        await pilot.press("ctrl+t")
        await settle(pilot)
        assert _label(app) == "Text search:"
        assert {r["id"] for r in _rows(app)} == texts


async def test_sort_is_refused_while_results_are_ranked(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"review", "enter")
        await settle(pilot)
        before = [r["id"] for r in _rows(app)]
        await pilot.press("s")
        await settle(pilot)
        assert [r["id"] for r in _rows(app)] == before
        assert "ranked by relevance" in str(app.screen.query_one("#status").render())


async def test_the_preview_lists_the_most_similar_prompts(
    embedded: Library, settings: Settings, settle: Settle
) -> None:
    app = PromptdeckApp(embedded, settings=settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        table.cursor = table._ids.index(embedded.prompts.get("Code review").id)
        await settle(pilot)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#preview-meta", Static).content)
        meta = console.export_text()
        assert "similar" in meta
        assert "Code review (security focus)" in meta


async def test_semantic_without_vectors_says_so(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"review", "ctrl+t")
        await settle(pilot)
        assert _rows(app) == []
        assert "embed the library first" in str(app.screen.query_one("#status").render())


async def test_e_embeds_what_is_missing(
    sample_library: Library, settings: Settings, settle: Settle
) -> None:
    sample_library.embeddings.embedder = LocalProvider()
    app = PromptdeckApp(sample_library, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        (status,) = sample_library.embeddings.status()
        assert status.missing == 0 and status.current == sample_library.prompts.count_prompts()
        assert "embedded" in str(app.screen.query_one("#status").render())


async def test_saving_a_near_duplicate_warns_and_still_saves(
    embedded: Library, settings: Settings, settle: Settle
) -> None:
    twin = embedded.prompts.get("Code review")
    app = PromptdeckApp(embedded, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditScreen)
        screen.query_one("#content", TextArea).text = twin.content + " Be brief."
        await pilot.press("f2")
        screen.query_one("#field-name", Input).value = "Code review, brief"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        saved = embedded.prompts.get("Code review, brief")
        assert saved.content.endswith("Be brief.")
        warnings = [n for n in app._notifications if n.title == "Near duplicate"]
        assert warnings and "'Code review'" in warnings[0].message
