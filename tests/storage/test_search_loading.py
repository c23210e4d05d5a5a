"""Search while its caches load: the text index's arrays kept in the user cache dir (opened by
the next process, rebuilt when damaged), and text search that ranks by BM25 in DuckDB, without
waiting, while another thread holds the index lock to load it."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from storage import Library, PromptFilter
from storage.db.background import Background, Pause
from storage.search import text_index, text_postings
from storage.search.service import SearchResult
from storage.search.text_index import TextIndex

TOPICS = ("linux terminal", "sql database", "poetry rhymes", "security review", "travel guide")


def topics(library: Library) -> None:
    for i in range(60):
        topic = TOPICS[i % len(TOPICS)]
        library.prompts.create(
            f"{topic} {i}",
            f"Act as a {topic} helper number {i}. " + "Explain it step by step. " * (i % 4),
            folder="tech" if i % 2 else "writing",
            tags=("t",),
        )


@pytest.fixture
def interactive(library_from: Callable[..., Library]) -> Library:
    return library_from(topics, linger=60.0)


def kept_folders() -> list[Path]:
    root = Path(os.environ["XDG_CACHE_HOME"]) / "promptdeck" / "text-index"
    return [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


def ranked(result: SearchResult) -> list[tuple[str, float]]:
    return [(hit.name, round(hit.score, 9)) for hit in result.hits]


def test_the_next_process_opens_the_kept_index(interactive: Library) -> None:
    first = ranked(interactive.search.search("security revi"))
    path = interactive.db.path
    interactive.close()
    folders = kept_folders()
    found = [f for f in folders if (f / "manifest.json").is_file()]
    assert found, "the index's arrays were kept"
    with Library(path, linger=60.0) as again:
        assert ranked(again.search.search("security revi")) == first
        index = again.search._cache.text  # noqa: SLF001 - what was opened
        assert index is not None and index.post_docs.base is not None  # memory-mapped


@pytest.mark.parametrize("damage", ["truncate", "manifest", "remove", "offsets"])
def test_a_damaged_kept_index_is_loaded_again(interactive: Library, damage: str) -> None:
    first = ranked(interactive.search.search("sql data", where=PromptFilter(folder="tech")))
    path = interactive.db.path
    interactive.close()
    (folder,) = [f for f in kept_folders() if (f / "manifest.json").is_file()][-1:]
    if damage == "truncate":
        postings = folder / "post_docs.npy"
        postings.write_bytes(postings.read_bytes()[:-8])
    elif damage == "manifest":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "offsets":  # same size, same ends, out of order in between
        offsets = np.load(folder / "offsets.npy")
        offsets[1:-1] = offsets[1:-1][::-1]
        np.save(folder / "offsets.npy", offsets)
    else:
        (folder / "terms.npy").unlink()
    with Library(path, linger=60.0) as again:
        result = again.search.search("sql data", where=PromptFilter(folder="tech"))
        assert ranked(result) == first and result.notice is None
    assert (folder / "manifest.json").is_file()  # written anew


def test_a_refused_read_ahead_costs_nothing(
    interactive: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-ahead is a hint: a file system that refuses it (or a file gone meanwhile)
    ends it quietly, and the kept index is opened and searched as ever."""
    first = ranked(interactive.search.search("security revi"))
    path = interactive.db.path
    interactive.close()

    def refused(fd: int, offset: int, length: int, advice: int) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "posix_fadvise", refused)
    folder = [f for f in kept_folders() if (f / "manifest.json").is_file()][-1]
    text_postings._advise([folder / "gone.npy", folder / "post_docs.npy"], lambda: None)  # noqa: SLF001
    with Library(path, linger=60.0) as again:
        assert ranked(again.search.search("security revi")) == first


def test_the_read_ahead_asks_a_chunk_at_a_time_and_gives_way_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk is asked for and read before the next; while the pause of the thread that
    opened the index is held, the read-ahead waits (Background.waiter)."""
    monkeypatch.setattr(text_postings, "_READ_AHEAD", 4096)
    data = tmp_path / "post_docs.npy"
    data.write_bytes(bytes(3 * 4096 + 10))
    asked: list[int] = []
    advise = os.posix_fadvise

    def noted(fd: int, offset: int, length: int, advice: int) -> None:
        asked.append(offset)
        advise(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", noted)
    background, pause = Background(), Pause()
    with background.stepping_aside(pause):
        wait = background.waiter()
    pause.hold()
    reading = threading.Thread(target=text_postings._advise, args=([data], wait))  # noqa: SLF001
    reading.start()
    reading.join(timeout=0.3)
    assert reading.is_alive() and asked == []  # held: not a chunk asked
    pause.release()
    reading.join(timeout=10)
    assert asked == [0, 4096, 8192, 12288]
    assert Background().waiter()()  # a thread with no pause: at once


def test_an_unwritable_cache_dir_costs_nothing_but_the_keeping(
    library_from: Callable[..., Library], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    library = library_from(topics, linger=60.0)
    assert library.search.search("poetry").hits[0].name.startswith("poetry rhymes")


def test_text_search_does_not_wait_for_an_index_being_loaded(interactive: Library) -> None:
    expected = ranked(interactive.search.search("linux term", limit=10))
    interactive.close()
    with Library(interactive.db.path, linger=60.0) as again:
        cache = again.search._cache  # noqa: SLF001 - another thread is loading the index
        with cache.text_lock:
            assert cache.text is None
            result = again.search.search("linux term", limit=10)
            page = again.search.table("linux term", limit=10)
        assert ranked(result) == expected and result.notice is None  # BM25, from DuckDB
        assert page.table.column("name").to_pylist() == [name for name, _ in expected]


def test_while_the_index_is_first_built_words_are_matched(interactive: Library) -> None:
    cache = interactive.search._cache  # noqa: SLF001
    with cache.text_lock, cache.build_lock:  # another thread is building the first index
        result = interactive.search.search("linux term")
    assert result.notice is not None and "being built" in result.notice
    assert result.hits and result.hits[0].name.startswith("linux terminal")


def test_a_table_page_reads_its_rows_while_the_held_rows_load(interactive: Library) -> None:
    interactive.usage.rate(interactive.prompts.get("poetry rhymes 2").id, 5)
    cache = interactive.search._cache  # noqa: SLF001
    with cache._rows_lock, cache._ratings_lock:  # noqa: SLF001 - loading elsewhere
        page = interactive.search.table("poetry rhymes 2", limit=3)
    assert page.table.column("name").to_pylist()[0] == "poetry rhymes 2"
    assert page.table.column("rating").to_pylist()[0] == 5.0


def by_term(index: TextIndex) -> dict[str, tuple[int, list[int], list[float]]]:
    """Each term's df, docs and weights."""
    found = {}
    for term in index.terms:
        t = index.termids[term]
        at = slice(index.offsets[t], index.offsets[t + 1])
        found[term] = (
            int(index.df[t]),
            index.post_docs[at].tolist(),
            index.post_weight[at].tolist(),
        )
    return found


def test_the_kept_postings_lie_in_the_order_of_their_terms(interactive: Library) -> None:
    """A prefix's terms side by side in the kept files: its postings are read from one
    stretch of them, not from all over (and the same postings as the file's index)."""
    interactive.search.search("linux")
    kept = interactive.search._cache.text  # noqa: SLF001
    assert kept is not None and kept.post_docs.base is not None  # the kept one, mapped
    with interactive.db.read() as con:
        loaded = TextIndex.load(con, kept.build_id)
    assert [kept.termids[t] for t in kept.terms] == list(range(len(kept.terms)))
    assert by_term(kept) == by_term(loaded)


def test_keeping_prunes_to_the_newest_folders(tmp_path: Path, interactive: Library) -> None:
    interactive.search.search("linux")
    index = interactive.search._cache.text  # noqa: SLF001
    assert index is not None
    for n in range(text_postings.KEEP + 2):
        key = text_postings.Key(f"/lib{n}.duckdb", index.build_id, n)
        text_postings.keep(tmp_path, key, index)
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == text_postings.KEEP


@pytest.mark.parametrize("shuffled", [False, True])
def test_the_postings_load_a_batch_at_a_time_in_any_order(
    interactive: Library, monkeypatch: pytest.MonkeyPatch, shuffled: bool
) -> None:
    """Loaded from the file a few postings at a time (the whole result held at once was 3 GB
    at a million prompts), stored sorted by term or not: the same index, the same ranking."""
    first = ranked(interactive.search.search("sql data", where=PromptFilter(folder="tech")))
    held = interactive.search._cache.text  # noqa: SLF001
    assert held is not None
    monkeypatch.setattr(text_index, "POSTINGS_BATCH", 7)
    with interactive.db.write() as con:
        if shuffled:
            con.execute(
                f"CREATE OR REPLACE TABLE {text_index.FTS}.postings AS "
                f"SELECT * FROM {text_index.FTS}.postings ORDER BY hash(termid, docid)"
            )
        index = TextIndex.load(con, held.build_id)
    assert index.terms == held.terms and np.array_equal(index.doc_version, held.doc_version)
    assert by_term(index) == by_term(held)  # (the kept index numbers its terms in order)
    path = interactive.db.path
    interactive.close()
    for folder in kept_folders():
        shutil.rmtree(folder)  # the next process loads the index from the file
    with Library(path, linger=60.0) as again:
        result = again.search.search("sql data", where=PromptFilter(folder="tech"))
        assert ranked(result) == first


def test_a_full_disk_keeps_no_index(interactive: Library, tiny_disk: Path) -> None:
    """Keeping is best effort: on a full disk nothing is left behind, and nothing raises
    (the postings are written, not mapped: a map written into there dies of SIGBUS)."""
    interactive.search.search("linux")
    index = interactive.search._cache.text  # noqa: SLF001
    assert index is not None
    with (tiny_disk / "filler").open("wb") as stream, contextlib.suppress(OSError):
        stream.write(bytes(1024 * 1024))
    root = tiny_disk / "text-index"
    text_postings.keep(root, text_postings.Key("/lib.duckdb", index.build_id, 1), index)
    assert not root.is_dir() or list(root.iterdir()) == []
