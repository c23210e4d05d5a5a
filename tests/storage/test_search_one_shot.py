"""A one-shot process (the CLI) ranks in DuckDB and keeps nothing: text search reads only the
query's terms from the index and gives what the TUI's held index gives, prompts edited since
the build included; semantic and hybrid agree with the in-memory path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Library, PromptFilter
from tests.storage.test_search import DATASET, awesome

QUERIES = [
    "l",  # one letter: no prefix expansion
    "linux ",  # a finished word: no prefix either
    "linux t",
    "linux terminal",
    "linu",  # a prefix, as typed
    "termina",  # runs past the stem
    "doctor",
    "write a poem",
    "2,000 words",
    "sql",
    "act as a travel guide",
    "zzzz nothing",
]
FILTERS = [PromptFilter(), PromptFilter(folder="tech"), PromptFilter(tags=("dataset",))]


@pytest.fixture
def both(library_from: Callable[..., Library], tmp_path: Path) -> tuple[Library, Library]:
    """The dataset with its index built, then edited, added to and archived (a delta); opened
    once as the TUI opens it and once as the CLI does."""
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is missing")
    held = library_from(awesome, tmp_path / "lib.duckdb", linger=60.0)
    held.search.prepare("text")
    linux = held.prompts.get("Linux Terminal")
    held.prompts.update(linux.id, {"content": linux.content + " Also explain each command."})
    held.prompts.create("Terminal poet", "Write a poem about a linux terminal, 2,000 words.")
    held.prompts.archive(held.prompts.get("Doctor").id)
    once = Library(tmp_path / "lib.duckdb", interactive=False, linger=60.0).open()
    assert held.db.interactive and not once.db.interactive
    return held, once


def test_text_search_once_gives_the_held_index_scores(both: tuple[Library, Library]) -> None:
    held, once = both
    for where in FILTERS:
        for query in QUERIES:
            warm = held.search.search(query, "text", where=where, limit=20)
            cold = once.search.search(query, "text", where=where, limit=20)
            assert [h.prompt_id for h in cold.hits] == [h.prompt_id for h in warm.hits], query
            assert [h.score for h in cold.hits] == pytest.approx([h.score for h in warm.hits])
            assert (cold.total, cold.notice) == (warm.total, warm.notice)


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_and_hybrid_once_agree(both: tuple[Library, Library], mode: str) -> None:
    held, once = both
    queries = ("a terminal that runs my commands", "help me with my health")
    for query, where in [(q, w) for q in queries for w in FILTERS]:
        warm = held.search.search(query, mode, where=where, limit=10)
        cold = once.search.search(query, mode, where=where, limit=10)
        assert (cold.total, cold.notice) == (warm.total, warm.notice)
        assert [h.prompt_id for h in cold.hits] == [h.prompt_id for h in warm.hits]
        warm_scores = [h.score for h in warm.hits]
        assert [h.score for h in cold.hits] == pytest.approx(warm_scores, rel=1e-5)


def test_a_one_shot_search_builds_no_memory_state(both: tuple[Library, Library]) -> None:
    _, once = both
    once.search.search("linux terminal", "hybrid")
    cache = once.search._cache
    assert cache.text is None and cache.vectors.held() == {} and cache.rows is None


def test_prompts_without_vectors_are_counted_alike(both: tuple[Library, Library]) -> None:
    held, once = both
    held.prompts.create("No vector yet", "Nobody embedded this prompt about gardening.")
    warm = held.search.search("gardening", "semantic", limit=5)
    cold = once.search.search("gardening", "semantic", limit=5)
    assert cold.notice == warm.notice and cold.notice and "2 prompts have no vector" in cold.notice
    assert cold.total == warm.total


@pytest.mark.parametrize("mode", ["text", "hybrid"])
def test_every_word_and_a_floor_once_as_held(both: tuple[Library, Library], mode: str) -> None:
    """match_all (as typed in browse and pick) and min_score rank in DuckDB as in memory."""
    held, once = both
    for query in ("linux t", "act as a", "write a poem", "2,000 words"):
        warm = held.search.table(query, mode, limit=15, match_all=True)
        cold = once.search.table(query, mode, limit=15, match_all=True)
        assert cold.table["id"].to_pylist() == warm.table["id"].to_pylist(), query
        assert cold.table["score"].to_pylist() == warm.table["score"].to_pylist(), query
        assert cold.total == warm.total
    floor = 1.0 if mode == "text" else 0.05
    warm_hits = held.search.search("linux terminal", mode, limit=50, min_score=floor)
    cold_hits = once.search.search("linux terminal", mode, limit=50, min_score=floor)
    assert [h.prompt_id for h in cold_hits.hits] == [h.prompt_id for h in warm_hits.hits]
    assert cold_hits.total == warm_hits.total and all(h.score >= floor for h in cold_hits.hits)
