"""Search on a team library: BM25 over a local mirror of the lake (user cache dir) ranks as a
library file holding the same prompts does, and another client's writes reach it through one
incremental refresh from DuckLake's change feed, not a full copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Library, Pause
from storage.errors import Paused
from storage.search.embedding import LocalProvider
from tests.conftest import CountingIds, TickingClock
from tests.lake.conftest import Lake

TOPICS = ("sea", "mountain", "city", "forest", "desert", "river")
QUERIES = ("poem sea", "forest", "rive", "haiku about the city", "desert mountain walk")


def _fill(lib: Library) -> None:
    for i in range(12):
        topic, other = TOPICS[i % 6], TOPICS[(i * 5 + 1) % 6]
        lib.prompts.create(
            f"{topic.title()} {i}",
            f"Write a {('poem', 'haiku', 'story')[i % 3]} about the {topic} "
            + f"and a walk by the {other} " * (1 + i % 4)
            + f"(number {i})",
            tags=[topic],
        )


def test_text_search_on_a_lake_ranks_as_on_a_file(lake: Lake, tmp_path: Path) -> None:
    rankings = []
    for where, data in ((str(tmp_path / "lib.duckdb"), None), (lake.db, str(lake.data))):
        with Library(where, lake_data=data, clock=TickingClock(), new_id=CountingIds()) as lib:
            _fill(lib)
            rankings.append(
                [
                    [(h.name, round(h.score, 9)) for h in lib.search.search(q, "text").hits]
                    for q in QUERIES
                ]
            )
    assert rankings[0] == rankings[1]
    assert all(rankings[0]) and rankings[0][0][0][1] > 0  # BM25 scores, not word counts


def test_another_clients_writes_are_found_after_one_incremental_refresh(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ana-cache"))
    ana = Library(lake.db, lake_data=str(lake.data), actor="ana", embedder=LocalProvider())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "bo-cache"))
    bo = Library(lake.db, actor="bo", embedder=LocalProvider())
    with ana, bo:
        _fill(ana)
        ana.embeddings.embed_missing(LocalProvider())
        first = ana.search.catch_up()
        assert first is not None and first.full and first.rows > 12
        assert ana.search.search("shanty", "text").hits == []
        assert list((tmp_path / "ana-cache").rglob("search.duckdb"))  # the mirror, local

        shanty = bo.prompts.create("Shanty", "Sing a sea shanty for the crew")
        bo.embeddings.after_save(shanty)
        bo.prompts.update("Sea 0", {"content": "Nothing about water any more"})
        bo.prompts.delete("City 2")
        bo.usage.rate("Shanty", 5)

        caught = ana.search.catch_up()
        assert caught is not None and not caught.full
        # prompts: Shanty, Sea 0, City 2; vectors: Shanty's and City 2's; one rating
        assert caught.rows == 6
        assert caught.snapshot > first.snapshot
        assert [h.name for h in ana.search.search("shanty", "text").hits] == ["Shanty"]
        assert ana.search.search("sea shanty crew", "semantic").hits[0].name == "Shanty"
        assert "City 2" not in {h.name for h in ana.search.search("city", "text").hits}
        assert [h.name for h in ana.search.search("water", "text").hits] == ["Sea 0"]
        again = ana.search.catch_up()
        assert again is not None and (again.rows, again.full) == (0, False)


def test_the_mirror_steps_aside_with_the_lake(lake: Lake) -> None:
    """Loading ahead of need on a team library gives way on both of its databases: the
    lake's and the local mirror search ranks (storage/db/background.py)."""
    with Library(lake.db, lake_data=str(lake.data), linger=60.0) as lib:
        _fill(lib)
        assert lib.search.search("forest", "text").hits  # the mirror made
        mirror = lib._mirror  # noqa: SLF001 - the local file search reads
        assert mirror is not None
        pause = Pause()
        pause.hold()
        for db in (lib.db, mirror.local):
            with lib.db.background.stepping_aside(pause), pytest.raises(Paused), db.read():
                pass
        pause.release()
        assert lib.search.search("forest", "text").hits
