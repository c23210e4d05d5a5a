"""An interactive library's search after writes: the prompts a write added or changed are
taken in by the held rows, the text delta and the filter masks (storage/search/prompt_keys.py,
text_catch_up.py), and every ranking equals BM25 ranked afresh in DuckDB, every row the file's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Library, PromptFilter
from storage.db import ids
from storage.search import cache as search_cache
from storage.search import prompt_keys, rows
from storage.search.embedding import LocalProvider
from storage.search.prompt_keys import PromptKeys

QUERIES = ("security review", "zebra", "sql data", "travel guide helper")
FILTERS = (
    PromptFilter(),
    PromptFilter(folder="tech"),
    PromptFilter(tags=("extra",)),
    PromptFilter(archived=True),
)


def topics(library: Library) -> None:
    for i, topic in enumerate(("linux terminal", "sql database", "security review") * 8):
        library.prompts.create(
            f"{topic} {i}",
            f"Act as a {topic} helper number {i}. " + "Explain it step by step. " * (i % 3),
            folder="tech" if i % 2 else "writing",
            tags=("t",),
        )


@pytest.fixture
def interactive(library_from: Callable[..., Library]) -> Library:
    library = library_from(topics, linger=60.0)
    for where in FILTERS:  # every cache and mask held before the writes
        library.search.table("security", where=where)
    return library


def assert_as_afresh(library: Library) -> None:
    """Each query and filter ranked by the held index equals BM25 ranked in DuckDB, and the
    held rows of the result equal the file's."""
    ranker = library.search._ranker  # noqa: SLF001 - the held path against the one-shot path
    for query in QUERIES:
        for where in FILTERS:
            held = ranker.text(query, where, 50, None)
            afresh = ranker._text_once(query, where, 50, None, False, True)  # noqa: SLF001
            assert held.ids == afresh.ids, (query, where)
            assert held.scores == pytest.approx(afresh.scores), (query, where)
            kept = library.search._cache.prompt_rows()  # noqa: SLF001
            assert kept is not None
            with library.db.read() as con:
                from_file, _ = rows.fetch(con, held.ids)
            assert kept.take(held.ids)[0].to_pylist() == from_file.to_pylist()


def first(library: Library, name_part: str) -> str:
    found = library.search.search(name_part, limit=1).hits
    return found[0].prompt_id


def test_each_kind_of_write_is_taken_in(interactive: Library) -> None:
    edited = first(interactive, "security review 2")
    interactive.prompts.update(edited, {"content": "A zebra crossing security checklist."})
    assert_as_afresh(interactive)
    interactive.prompts.update(edited, {"tags": ["t", "extra"]})  # DuckDB moves the row
    assert_as_afresh(interactive)
    archived = first(interactive, "sql database 1")
    interactive.prompts.archive(archived)
    assert_as_afresh(interactive)
    interactive.prompts.unarchive(archived)
    assert_as_afresh(interactive)
    interactive.usage.use(first(interactive, "linux terminal"))
    interactive.usage.rate(first(interactive, "linux terminal"), 5)
    assert_as_afresh(interactive)
    interactive.prompts.create("zebra travel", "A travel guide helper for zebra herds.")
    assert_as_afresh(interactive)
    interactive.prompts.delete(first(interactive, "linux terminal 3"))
    assert_as_afresh(interactive)


def test_the_delta_takes_in_only_what_changed(interactive: Library) -> None:
    cache = interactive.search._cache  # noqa: SLF001 - what a write leaves to do
    resets = cache.resets
    edited = first(interactive, "linux terminal 0")
    interactive.prompts.update(edited, {"description": "zebra"})
    interactive.search.table("zebra")
    assert cache.delta is not None and cache.delta.ids == (edited,)
    interactive.usage.use(edited)  # a use: the row changes, the text does not
    interactive.search.table("zebra")
    assert cache.delta.ids == (edited,)
    assert cache.resets == resets, "taken in, not reloaded"
    assert_as_afresh(interactive)
    interactive.prompts.delete(first(interactive, "sql database 1"))
    interactive.search.table("zebra")
    assert cache.resets == resets + 1, "a deletion reloads the text side"


def test_many_changes_are_reloaded_whole(
    interactive: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompt_keys, "MAX_CHANGES", 2)
    cache = interactive.search._cache  # noqa: SLF001 - what a write leaves to do
    resets = cache.resets
    edited = [first(interactive, f"sql database {i}") for i in range(3)]
    for prompt_id in edited:
        interactive.prompts.update(prompt_id, {"description": "zebra"})
    assert_as_afresh(interactive)
    assert cache.resets == resets + 1


def test_keys_tell_changed_added_and_deleted_prompts(interactive: Library) -> None:
    with interactive.db.read() as con:
        keys = PromptKeys.load(con)
    edited, gone = first(interactive, "sql database 1"), first(interactive, "linux terminal 0")
    interactive.prompts.update(edited, {"tags": ["moved"]})
    added = interactive.prompts.create("new one", "Something else entirely.").id
    with interactive.db.read() as con:
        keys, changes = keys.since(con)
    assert changes is not None and changes.ids == {edited, added} and not changes.deleted
    interactive.prompts.delete(gone)
    with interactive.db.read() as con:
        keys, changes = keys.since(con)
        assert changes is not None and changes.ids == frozenset() and changes.deleted
        _, unchanged = keys.since(con)
    assert unchanged is not None and not unchanged


def _keys_not_read(self: PromptKeys, con: object) -> object:
    raise AssertionError("every prompt's key was read")


def test_our_own_writes_are_taken_in_without_reading_every_key(
    interactive: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits, uses, archives and new prompts of this process, with the file let go and taken
    again between them (a checkpoint), declare what they changed: no key is compared."""
    monkeypatch.setattr(PromptKeys, "since", _keys_not_read)
    edited = first(interactive, "security review 2")
    interactive.prompts.update(edited, {"content": "A zebra crossing security checklist."})
    assert_as_afresh(interactive)
    interactive.db.release()
    interactive.usage.use(edited)
    interactive.prompts.archive(first(interactive, "sql database 1"))
    interactive.prompts.create("zebra travel", "A travel guide helper for zebra herds.")
    assert_as_afresh(interactive)
    interactive.embeddings.embed_missing(LocalProvider())  # vectors only
    assert_as_afresh(interactive)
    interactive.usage.rate(edited, 2)  # a rating declares feedback: the ratings reload
    interactive.usage.rate(edited, 5)
    page = interactive.search.table("zebra crossing", limit=1)
    assert page.table["id"].to_pylist() == [edited]
    assert page.table["rating"].to_pylist() == [interactive.usage.rating(edited)[0]]


def test_a_build_of_the_text_index_is_taken_in_without_reading_every_key(
    interactive: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build writes the file but declares no prompt changed: the search that built it and
    the ones after read no key (at a million prompts, reading them made the first keystroke
    after a first launch's build 150 ms)."""
    monkeypatch.setattr(PromptKeys, "since", _keys_not_read)
    cache = interactive.search._cache  # noqa: SLF001 - what a build leaves to do
    built = cache.text.build_id if cache.text else None
    monkeypatch.setattr(search_cache, "REBUILD_AT", 0)
    for i in range(4):  # a delta past a tenth of the docs: the next search rebuilds
        interactive.prompts.update(first(interactive, f"sql database {i * 3 + 1}"), {"tags": []})
    assert_as_afresh(interactive)
    assert cache.text is not None and cache.text.build_id != built
    interactive.search.build_text_index()  # as `promptdeck index` does, beside the held one
    assert_as_afresh(interactive)
    assert cache.text.build_id != built


def test_a_build_is_checkpointed_by_itself(interactive: Library) -> None:
    """Its log (1.8 GB at a million prompts) is written into the file by the build, in the
    background, not by the next idle release beside the keystrokes the new index answers."""
    interactive.prompts.update(first(interactive, "sql database 1"), {"tags": ["moved"]})
    log = Path(f"{interactive.db.path}.wal")
    assert log.exists() and log.stat().st_size > 0
    interactive.search.build_text_index()
    assert not log.exists() or log.stat().st_size == 0


def test_a_write_of_another_process_is_found_by_the_keys(
    interactive: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between our writes the file was let go and another process edited a prompt: the
    journal's stamps do not chain, and every key is compared."""
    compared: list[int] = []
    since = PromptKeys.since

    def counted(self: PromptKeys, con: object) -> object:
        compared.append(1)
        return since(self, con)  # type: ignore[arg-type]

    monkeypatch.setattr(PromptKeys, "since", counted)
    ours, theirs = first(interactive, "security review 2"), first(interactive, "sql database 1")
    interactive.prompts.update(ours, {"description": "edited here"})
    interactive.search.table("security")
    interactive.db.release()
    edit = (
        "import sys; from storage import Library; "
        "Library(sys.argv[1]).open().prompts.update(sys.argv[2], {'content': 'zebra data sql'})"
    )
    subprocess.run(
        [sys.executable, "-c", edit, str(interactive.db.path), theirs],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    interactive.prompts.update(ours, {"description": "edited here again"})
    assert_as_afresh(interactive)
    assert compared and "zebra" in interactive.prompts.get(theirs).content
    assert first(interactive, "zebra data sql") == theirs


@pytest.mark.parametrize("lookups", [0, 512])  # joined with every prompt / looked up by key
def test_the_delta_passes_the_filters_either_way(
    interactive: Library, monkeypatch: pytest.MonkeyPatch, lookups: int
) -> None:
    monkeypatch.setattr(ids, "LOOKUPS", lookups)
    interactive.prompts.update(first(interactive, "sql database 1"), {"folder": "tech/db"})
    interactive.prompts.update(first(interactive, "linux terminal 0"), {"tags": ["extra"]})
    interactive.prompts.archive(first(interactive, "security review 2"))
    assert_as_afresh(interactive)
