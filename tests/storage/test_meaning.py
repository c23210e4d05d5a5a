"""Search by meaning with the bundled model, on awesome-chatgpt-prompts: the small version of
tests/perf/bench_meaning.py (its queries, no timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.search.embedding import WordLlamaProvider
from tests.perf.bench_meaning import DATASET, imported, keyword_queries, quality, queries, read_csv

pytestmark = pytest.mark.skipif(not DATASET.is_file(), reason=f"{DATASET} is absent")


def test_paraphrases_find_what_they_mean_and_keywords_still_work(tmp_path: Path) -> None:
    with imported(tmp_path, DATASET, WordLlamaProvider()) as library:
        meaning = queries()
        assert len(meaning) >= 40
        assert quality(library, meaning, "semantic").recall_5 >= 0.85
        assert quality(library, meaning, "hybrid").recall_5 >= 0.85
        keywords = keyword_queries(read_csv(DATASET))
        assert quality(library, keywords, "hybrid").recall_5 >= 0.95
        assert quality(library, keywords, "text").recall_5 >= 0.95
