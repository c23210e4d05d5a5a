"""A library made before the bundled model: the TUI offers the move once, `E` makes it with
progress while the old model keeps serving search, and the file is let go between batches."""

from __future__ import annotations

from pathlib import Path

from storage import Library, LocalProvider, WordLlamaProvider
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.demo import write_sample_library
from tui.shared.settings import Settings

OFFER = "A better search model"


def old_library(path: Path) -> None:
    with Library(path, embedder=LocalProvider()) as library:
        write_sample_library(library)
        library.embeddings.embed_missing(LocalProvider())


def offers(app: PromptdeckApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == OFFER]


async def test_the_move_is_offered_once_and_e_makes_it(tmp_path: Path, settle: Settle) -> None:
    path = tmp_path / "old.duckdb"
    old_library(path)
    config = tmp_path / "config.toml"
    with Library(path, embedder=WordLlamaProvider(), linger=2.0) as library:
        app = PromptdeckApp(library, settings=Settings(config))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert offers(app) == [
                "Search uses local-ngram-384; the bundled wordllama-l2-256 finds prompts by "
                "meaning. Press E to move search to it (local-ngram-384 serves until the move "
                "is done)."
            ]
            await pilot.press("E")
            await settle(pilot, rounds=6)
            status = app.screen.query_one("#status").render()
            assert library.embeddings.active_model() == "wordllama-l2-256"
        hits = library.search.search("my code has a security hole", "semantic", limit=3).hits
    assert "search uses wordllama-l2-256" in str(status)
    assert Settings.load(config).told == ["wordllama-l2-256"]
    assert any("review" in hit.name.lower() for hit in hits)

    with Library(path, embedder=WordLlamaProvider()) as library:
        app = PromptdeckApp(library, settings=Settings.load(config))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert offers(app) == []  # moved, and told before


async def test_nothing_is_offered_when_search_uses_the_configured_model(
    tmp_path: Path, settle: Settle
) -> None:
    path = tmp_path / "new.duckdb"
    with Library(path, embedder=WordLlamaProvider()) as library:
        write_sample_library(library)
        library.embeddings.embed_missing(WordLlamaProvider())
        app = PromptdeckApp(library, settings=Settings(tmp_path / "config.toml"))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert offers(app) == []
