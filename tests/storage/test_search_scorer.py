"""The held index scores each keystroke in buffers kept from the last one: a query leaves
nothing behind for the next, and the best few (at any limit, with edited prompts competing
at the edge, ties, filters, every-word matching and a floor) are DuckDB's own ranking."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Library, PromptFilter
from storage.search.text_scorer import TextScorer

WORDS = ("linux", "terminal", "review", "security", "poem", "rhymes", "travel", "guide")
QUERIES = ("re", "review s", "linux ", "te", "poem rhy", "guide", "zzz", "r", "security revi")


def prompts(library: Library) -> None:
    for i in range(80):
        words = [WORDS[(i * k) % len(WORDS)] for k in (1, 3, 5)][: 1 + i % 3]
        library.prompts.create(
            f"{' '.join(words)} {i % 7}",  # names repeat: equal scores tie
            f"Act as a {' and '.join(words)} helper, number {i}. " + "Review it. " * (i % 4),
            folder="tech" if i % 2 else "writing",
        )


@pytest.fixture
def both(library_from: Callable[..., Library], tmp_path: Path) -> tuple[Library, Library]:
    """Indexed, then edited and added to (prompts scored outside the index), as the TUI
    holds it and as the CLI ranks in DuckDB."""
    held = library_from(prompts, tmp_path / "lib.duckdb", linger=60.0)
    held.search.prepare("text")
    for listed in held.prompts.list_prompts(PromptFilter(), limit=6):
        held.prompts.update(listed.id, {"description": "review security review"})
    held.prompts.create("review security poem", "Review the security of a poem.")
    once = Library(tmp_path / "lib.duckdb", interactive=False, linger=60.0).open()
    return held, once


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_each_keystroke_ranks_as_duckdb_does(both: tuple[Library, Library], limit: int) -> None:
    held, once = both
    for where in (PromptFilter(), PromptFilter(folder="tech")):
        for match_all in (False, True):
            for query in QUERIES:
                warm = held.search.table(query, where=where, limit=limit, match_all=match_all)
                cold = once.search.table(query, where=where, limit=limit, match_all=match_all)
                said = f"{query!r} {where} {match_all}"
                assert warm.table["id"].to_pylist() == cold.table["id"].to_pylist(), said
                assert warm.table["score"].to_pylist() == pytest.approx(
                    cold.table["score"].to_pylist()
                ), said
                assert warm.total == cold.total, said


def test_a_floor_ranks_as_duckdb_does(both: tuple[Library, Library]) -> None:
    held, once = both
    for floor in (0.5, 1.0, 2.0):
        warm = held.search.search("review security", min_score=floor, limit=50)
        cold = once.search.search("review security", min_score=floor, limit=50)
        assert [h.prompt_id for h in warm.hits] == [h.prompt_id for h in cold.hits]
        assert warm.total == cold.total and all(h.score >= floor for h in warm.hits)


def test_the_buffers_are_made_once_per_index(both: tuple[Library, Library]) -> None:
    held, _ = both
    cache = held.search._cache  # noqa: SLF001 - what prepare() made
    scorer = cache._scorer  # noqa: SLF001
    assert isinstance(scorer, TextScorer) and scorer.index is cache.text
    held.search.search("linux")
    held.search.search("poem")
    assert cache._scorer is scorer  # noqa: SLF001


def test_a_rebuilt_index_gets_buffers_of_its_own(both: tuple[Library, Library]) -> None:
    """A rebuild (here by another process, as the CLI's `index` would) drops the old index
    and its buffers with it; the next keystroke scores the new one, as DuckDB ranks it."""
    held, once = both
    cache = held.search._cache  # noqa: SLF001
    old = cache._scorer  # noqa: SLF001
    once.search.build_text_index()
    warm = held.search.table("review s", limit=5, match_all=True)
    cold = once.search.table("review s", limit=5, match_all=True)
    assert warm.table["id"].to_pylist() == cold.table["id"].to_pylist()
    scorer = cache._scorer  # noqa: SLF001
    assert scorer is not old and scorer is not None and scorer.index is cache.text
