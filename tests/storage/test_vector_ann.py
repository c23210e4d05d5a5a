"""The kept vectors and their ANN index (storage/search/vector_cache.py and the modules it
composes), on the awesome-chatgpt-prompts library with thresholds low enough that its 160-odd
vectors take the index path: results equal exact search (DuckDB's cosine over the stored
vectors, the one-shot path), after edits too, under filters, from damaged cache files, on a
read-only library."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import faiss
import numpy as np
import pytest

from storage import Library, PromptFilter
from storage.errors import Paused
from storage.prompts.filters import filter_sql
from storage.search import ann_index, vector_delta
from storage.search.embedding import LocalProvider
from storage.search.vector_base import Floats, VectorBase, read_rows
from storage.search.vector_cache import VectorCache
from storage.search.vector_set import VectorSet
from tests.storage.test_search import DATASET, awesome

QUERIES = ["linux terminal", "write a poem", "act as a travel guide", "sql", "doctor"]
FILTERS = [PromptFilter(), PromptFilter(folder="tech"), PromptFilter(tags=("dataset",))]
FORCED = {"ann_from": 10, "exact_up_to": 0}  # the index for every search, however small
MODEL = LocalProvider().model


@pytest.fixture
def prompts(library_from: Callable[..., Library]) -> Library:
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is missing")
    return library_from(awesome)


def ranked(cache: VectorCache, library: Library, query: str, where: PromptFilter) -> list[str]:
    vectors = cache.get(MODEL, generation=_next())
    return _top(vectors, library, query, where)


def _top(vectors: VectorSet, library: Library, query: str, where: PromptFilter) -> list[str]:
    clause, params = filter_sql(where)
    with library.db.read() as con:
        allowed = vectors.allowed(con, clause, params)
    vector = np.asarray(LocalProvider().embed([query])[0], np.float32)
    return vectors.top(vector, allowed, 10)[0]


def exact(library: Library, query: str, where: PromptFilter) -> list[str]:
    hits = library.search.search(query, "semantic", where, 10, engine="sql").hits
    return [hit.prompt_id for hit in hits]


_generation = [0]


def _next() -> int:
    """A new generation: the cache looks at the library's vectors again."""
    _generation[0] += 1
    return _generation[0]


def built(library: Library, folder: Path, **options: int) -> VectorCache:
    cache = VectorCache(library.db, folder, **{**FORCED, **options})
    cache.get(MODEL, _next())
    cache.wait()  # the index, built in the background
    assert cache.failure is None
    return cache


def test_the_index_gives_exact_search_results(prompts: Library, tmp_path: Path) -> None:
    cache = built(prompts, tmp_path / "vectors")
    assert cache.held()[MODEL].ann is not None
    for where in FILTERS:
        for query in QUERIES:
            assert ranked(cache, prompts, query, where) == exact(prompts, query, where), query


def test_a_search_through_the_index_gives_way(prompts: Library, tmp_path: Path) -> None:
    vectors = built(prompts, tmp_path / "vectors").get(MODEL, _next())
    with prompts.db.read() as con:
        allowed = vectors.allowed(con, "true", [])
    query = np.asarray(LocalProvider().embed(["sql"])[0], np.float32)

    def paused() -> None:
        raise Paused

    with pytest.raises(Paused):
        vectors.top(query, allowed, 10, give_way=paused)
    assert len(vectors.top(query, allowed, 10)[0]) == 10


def test_a_new_process_opens_the_kept_index(prompts: Library, tmp_path: Path) -> None:
    built(prompts, tmp_path / "vectors")
    again = VectorCache(prompts.db, tmp_path / "vectors", **FORCED)
    vectors = again.get(MODEL, _next())
    assert vectors.ann is not None and vectors.base.folder is not None  # opened, not built
    assert _top(vectors, prompts, "sql", PromptFilter()) == exact(prompts, "sql", PromptFilter())


def test_rows_gathered_by_reads_equal_the_mapped_rows(prompts: Library, tmp_path: Path) -> None:
    """A kept base's few rows are read from its file (the re-ranking's candidates, a
    prompt's own vector): the same floats as through the map, in the order asked."""
    base = built(prompts, tmp_path / "vectors").held()[MODEL].base
    assert isinstance(base.vectors, np.memmap)
    rows = np.array([5, 0, base.meta.rows - 1, 5])
    assert np.array_equal(base.gather(rows), np.asarray(base.vectors[rows]))
    assert base.gather(np.zeros(0, np.int64)).shape == (0, base.meta.dims)
    for mapped in (base.ids, base.keys):  # (a kept base's check reads its samples so)
        assert isinstance(mapped, np.memmap)
        assert np.array_equal(read_rows(mapped, rows), np.asarray(mapped[rows]))
    expected = np.asarray(base.vectors[rows])
    assert base.folder is not None
    shutil.rmtree(base.folder)  # replaced by a newer base: read through the map, which holds it
    assert np.array_equal(base.gather(rows), expected)


def test_edits_are_a_delta_not_a_rebuild(prompts: Library, tmp_path: Path) -> None:
    cache = built(prompts, tmp_path / "vectors")
    before = cache.held()[MODEL]
    linux = prompts.prompts.get("Linux Terminal")
    prompts.prompts.update(linux.id, {"content": "Write a limerick about databases."})
    added = prompts.prompts.create("Shell poet", "Write a poem about a linux terminal.")
    prompts.prompts.archive(prompts.prompts.get("Doctor").id)
    prompts.prompts.delete(prompts.prompts.get("Poet").id)
    prompts.embeddings.embed_missing(LocalProvider())
    for where in FILTERS:
        for query in [*QUERIES, "limerick about databases"]:
            assert ranked(cache, prompts, query, where) == exact(prompts, query, where), query
    after = cache.held()[MODEL]
    assert after.base is before.base and after.ann is before.ann
    assert set(after.delta.ids) == {linux.id, added.id}
    assert int(after.delta.removed.sum()) == 2  # Linux Terminal's old vector, and Poet's


def test_a_grown_delta_writes_a_new_base(prompts: Library, tmp_path: Path) -> None:
    cache = built(prompts, tmp_path / "vectors", rebase_at=2)
    before = cache.held()[MODEL]
    for n in range(5):
        prompts.prompts.create(f"Poet {n}", f"Write poem number {n} about the sea.")
    prompts.embeddings.embed_missing(LocalProvider())
    cache.get(MODEL, _next())  # sees the delta, starts the new base
    cache.wait()
    assert cache.failure is None
    after = cache.get(MODEL, _next())
    assert after.base is not before.base and after.delta.size == 0 and after.ann is not None
    assert after.base.meta.rows == before.base.meta.rows + 5
    for query in QUERIES:
        assert _top(after, prompts, query, PromptFilter()) == exact(prompts, query, PromptFilter())


@pytest.mark.parametrize("damage", ["truncate", "garble", "index"])
def test_a_damaged_cache_file_is_rebuilt(prompts: Library, tmp_path: Path, damage: str) -> None:
    cache = built(prompts, tmp_path / "vectors")
    folder = cache.held()[MODEL].base.folder
    assert folder is not None
    target = folder / ("index.faiss" if damage == "index" else "vectors.npy")
    data = bytearray(target.read_bytes())
    if damage == "truncate":
        target.write_bytes(data[: len(data) // 2])
    else:
        data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # zeros: no vector, no list
        target.write_bytes(data)
    again = built(prompts, tmp_path / "vectors")
    assert again.held()[MODEL].ann is not None
    everything = PromptFilter()
    for query in QUERIES:
        assert ranked(again, prompts, query, everything) == exact(prompts, query, everything)


def test_a_read_only_library_keeps_its_vectors_too(prompts: Library, tmp_path: Path) -> None:
    path = prompts.db.path
    prompts.close()
    with Library(path, read_only=True, linger=60.0) as library:
        cache = built(library, tmp_path / "vectors")
        assert cache.held()[MODEL].base.folder is not None
        for query in QUERIES:
            assert ranked(cache, library, query, PromptFilter()) == exact(
                library, query, PromptFilter()
            )


def test_without_a_folder_the_vectors_are_held_in_memory(prompts: Library) -> None:
    cache = built(prompts, Path("/proc/no-such-cache"))  # cannot be written
    vectors = cache.held()[MODEL]
    assert vectors.base.folder is None and vectors.ann is not None
    assert ranked(cache, prompts, "sql", PromptFilter()) == exact(prompts, "sql", PromptFilter())


def test_a_one_shot_process_never_builds(prompts: Library, tmp_path: Path) -> None:
    path = prompts.db.path
    prompts.close()
    with Library(path, interactive=False) as library:
        cache = VectorCache(library.db, tmp_path / "vectors", **FORCED)
        assert cache.get(MODEL, _next()).ann is None
        cache.wait()
        assert cache.get(MODEL, _next()).ann is None


def test_our_own_vectors_are_taken_in_by_id(
    prompts: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After our writes alone, the held vectors take in the prompts the embedding run
    declared without reading the library's signature; another write is found by it."""

    def ranks(query: str) -> list[str]:
        hits = prompts.search.search(query, "semantic", PromptFilter(), 10, engine="numpy").hits
        return [hit.prompt_id for hit in hits]

    signatures: list[str] = []
    read = vector_delta.signature

    def counted(con: duckdb.DuckDBPyConnection, model: str) -> tuple[int, int]:
        signatures.append(model)
        return read(con, model)

    monkeypatch.setattr(vector_delta, "signature", counted)
    ranks("sql")  # the first search opens the vectors by their signature
    assert signatures == [MODEL]
    linux = prompts.prompts.get("Linux Terminal")
    prompts.prompts.update(linux.id, {"content": "Write a limerick about databases."})
    added = prompts.prompts.create("Shell poet", "Write a poem about a linux terminal.")
    prompts.embeddings.embed_missing(LocalProvider())
    for query in [*QUERIES, "limerick about databases"]:
        assert ranks(query) == exact(prompts, query, PromptFilter()), query
    assert signatures == [MODEL]
    delta = prompts.search._cache.vectors.held()[MODEL].delta
    assert set(delta.ids) == {linux.id, added.id} and int(delta.removed.sum()) == 1
    with prompts.db.read() as con:
        assert delta.signature == read(con, MODEL)  # what the library's would be
    prompts.prompts.delete(prompts.prompts.get("Poet").id)  # declares nothing
    for query in QUERIES:
        assert ranks(query) == exact(prompts, query, PromptFilter()), query
    assert signatures == [MODEL, MODEL]


def test_a_kept_index_reused_for_a_new_base(prompts: Library, tmp_path: Path) -> None:
    """A later process opens the kept index memory-mapped; its clusters still train the
    index of a new base (faiss cannot clone an index whose lists are mapped)."""
    built(prompts, tmp_path / "vectors")
    cache = built(prompts, tmp_path / "vectors", rebase_at=2)
    before = cache.held()[MODEL]
    for n in range(5):
        prompts.prompts.create(f"Poet {n}", f"Write poem number {n} about the sea.")
    prompts.embeddings.embed_missing(LocalProvider())
    cache.get(MODEL, _next())
    cache.wait()
    assert cache.failure is None
    after = cache.get(MODEL, _next())
    assert after.base is not before.base and after.ann is not None
    assert after.base.meta.trained_rows == before.base.meta.trained_rows  # not trained again
    for query in QUERIES:
        assert _top(after, prompts, query, PromptFilter()) == exact(prompts, query, PromptFilter())


def test_an_index_is_built_on_one_core(
    prompts: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build (in the background) leaves the other core to the keystrokes; the thread that
    built keeps its own setting for what it does next."""
    cores: list[int] = []
    chunks = VectorBase.chunks

    def noted(self: VectorBase, size: int) -> Iterator[tuple[int, Floats]]:
        cores.append(faiss.omp_get_max_threads())
        return chunks(self, size)

    monkeypatch.setattr(VectorBase, "chunks", noted)
    faiss.omp_set_num_threads(2)
    built(prompts, tmp_path / "vectors")
    ann_index.build(VectorCache(prompts.db, tmp_path / "vectors").get(MODEL, _next()).base)
    assert cores and set(cores) == {1}
    assert faiss.omp_get_max_threads() == 2


def test_a_search_aside_scans_its_clusters_one_at_a_time_giving_way_between() -> None:
    """Probed clusters searched one at a time, merged, find what one search of them all
    finds, and so does a search in front (in one call); a pause stops the search before its
    next cluster (browse's preview gives way so: Paused)."""
    vectors = np.random.default_rng(7).standard_normal((4000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.index_factory(16, "IVF64,SQ8", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    ann = ann_index.AnnIndex(index, 64, 40)
    allowed = np.arange(4000) % 3 != 0
    bits = np.packbits(allowed, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
    params = faiss.SearchParametersIVF(sel=selector, nprobe=40)  # type: ignore[call-arg]
    calls: list[int] = []
    for query in vectors[:20]:
        _, whole = index.search(query.reshape(1, -1), 30, params=params)
        found = ann.candidates(query, allowed, 30, lambda: calls.append(1))
        assert sorted(found) == sorted(whole[0][whole[0] >= 0])
        assert sorted(ann.candidates(query, allowed, 30)) == sorted(found)
    assert len(calls) == 20 * 40  # a chance to give way before each of the 40 clusters

    calls.clear()

    def paused_at_the_second() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise Paused

    with pytest.raises(Paused):
        ann.candidates(vectors[0], None, 30, paused_at_the_second)
    assert len(calls) == 2
