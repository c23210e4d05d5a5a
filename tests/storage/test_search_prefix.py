"""A word still being typed stands for the dictionary's terms it starts, most frequent first,
as many as the postings budget allows (a keystroke's time is the postings it scores)."""

from __future__ import annotations

import pytest

from storage.search import text_index
from storage.search.text_index import Delta, QueryWord, expand

TERMS = sorted(["rat", "re", "read", "real", "rec", "record", "review", "zebra"])
DF = {"re": 5, "read": 40, "real": 10, "rec": 30, "record": 20, "review": 50, "rat": 99}


def _expand(raw: str, stem: str) -> list[str]:
    word = QueryWord(raw, stem, prefix=True)
    return expand(word, TERMS, set(TERMS), lambda t: DF.get(t, 0), Delta.empty(0))


def test_a_prefix_takes_its_most_frequent_terms_within_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _expand("re", "re") == ["re", "review", "read", "rec", "record", "real"]
    monkeypatch.setattr(text_index, "MAX_EXPANDED_POSTINGS", 100)
    # The stem (5), then by frequency while the sum stays within 100: 5 + 50 + 40 = 95.
    assert _expand("re", "re") == ["re", "review", "read"]


def test_the_stem_stays_when_it_alone_is_over_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_index, "MAX_EXPANDED_POSTINGS", 10)
    assert _expand("revie", "revi") == ["revi"]
    assert _expand("rev", "rev") == ["rev"]  # "review" (50) is over the budget on its own


def test_a_whole_word_is_not_expanded() -> None:
    word = QueryWord("re", "re", prefix=False)
    assert expand(word, TERMS, set(TERMS), lambda t: DF.get(t, 0), Delta.empty(0)) == ["re"]
