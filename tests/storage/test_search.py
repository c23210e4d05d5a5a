"""Search on the awesome-chatgpt-prompts dataset (197 prompts, imported by the fixture):
BM25 text with prefixes and snippets, semantic (numpy and SQL paths agree), hybrid, similar,
near duplicates; freshness after edits, archives and deletes without a rebuild; bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import Library, PromptFilter
from storage.errors import DuplicateContent, NotFound, ValidationError
from storage.search.embedding import LocalProvider
from storage.search.service import SearchHit, fusion_for
from tests.storage.conftest import Sql

DATASET = (
    Path(__file__).resolve().parents[3] / "shared" / "datasets" / "awesome-chatgpt-prompts.csv"
)
FOLDERS = {"Linux Terminal": "tech/shell", "SQL terminal": "tech/db", "Poet": "writing"}


def awesome(library: Library) -> None:
    """The dataset, one prompt per row (name = act), a few in folders, embedded locally."""
    table = pacsv.read_csv(DATASET)
    for act, prompt in zip(table["act"].to_pylist(), table["prompt"].to_pylist(), strict=True):
        try:
            library.prompts.create(act, prompt, folder=FOLDERS.get(act, ""), tags=("dataset",))
        except DuplicateContent:
            continue
    library.embeddings.embed_missing(LocalProvider())


@pytest.fixture
def prompts(library_from: Callable[..., Library]) -> Library:
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is missing")
    return library_from(awesome)


def names(hits: list[SearchHit]) -> list[str]:
    return [hit.name for hit in hits]


# -- text ----------------------------------------------------------------------------------


def test_linux_terminal_ranks_linux_terminal_first(prompts: Library) -> None:
    result = prompts.search.search("linux terminal")
    assert result.mode == "text" and result.notice is None
    assert names(result.hits)[:2] == ["Linux Terminal", "AI Trying to Escape the Box"]
    hit = result.hits[0]
    assert hit.snippet.startswith("I want you to act as a linux terminal.")
    assert [hit.snippet[a:b].lower() for a, b in hit.marks][:2] == ["linux", "terminal"]
    assert result.total == len(prompts.search.search("linux terminal", limit=500).hits) > 2


def test_the_last_word_is_a_prefix_while_typing(prompts: Library) -> None:
    assert names(prompts.search.search("linu").hits)[0] == "Linux Terminal"
    assert "Linux Terminal" in names(prompts.search.search("termina").hits)[:3]
    assert prompts.search.search("linu ").hits == []  # a finished word is only itself
    assert names(prompts.search.search("javascript cons").hits)[0] == "JavaScript Console"


def test_text_search_applies_the_filters(prompts: Library) -> None:
    in_tech = prompts.search.search("terminal", where=PromptFilter(folder="tech"))
    assert sorted(names(in_tech.hits)) == ["Linux Terminal", "SQL terminal"]
    assert prompts.search.search("terminal", where=PromptFilter(tags=("nope",))).hits == []
    assert prompts.search.search("terminal", min_score=100.0).hits == []


def test_search_table_has_the_prompt_table_columns_and_a_score(prompts: Library) -> None:
    page = prompts.search.table("linux terminal", "text", PromptFilter(), 5)
    assert page.table.column_names == [*prompts.prompts.prompt_table().table.column_names, "score"]
    expected = prompts.search.search("linux terminal", limit=5).hits
    assert page.table["id"].to_pylist() == [h.prompt_id for h in expected]
    assert page.table["score"].to_pylist() == pytest.approx([h.score for h in expected])
    assert page.total == prompts.search.search("linux terminal").total
    second = prompts.search.table("linux terminal", "text", PromptFilter(), 5, offset=5)
    assert second.table["id"].to_pylist() == [
        h.prompt_id for h in prompts.search.search("linux terminal", limit=10).hits[5:]
    ]


@pytest.mark.parametrize("linger", [0.0, 60.0])  # rows fetched / rows held in memory
def test_search_table_rows_are_never_stale(
    library_from: Callable[..., Library], linger: float
) -> None:
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is missing")
    prompts = library_from(awesome, linger=linger)

    def row(mode: str) -> dict[str, object]:
        page = prompts.search.table("linux terminal", mode, PromptFilter(folder="tech/shell"), 1)
        assert page.table["name"].to_pylist() == ["Linux Terminal"]
        return {"rating": page.table["rating"][0].as_py(), "uses": page.table["uses"][0].as_py()}

    for mode in ("text", "semantic", "hybrid"):
        assert row(mode)["rating"] is None  # read once: the ratings are cached from here
    prompts.usage.rate("Linux Terminal", 4)
    assert [row(m) for m in ("text", "semantic")] == [{"rating": 4.0, "uses": 0}] * 2
    prompts.usage.rate("Linux Terminal", 1)
    prompts.usage.use("Linux Terminal")
    assert row("hybrid") == {"rating": 2.5, "uses": 1}
    expected = prompts.prompts.prompt_table(PromptFilter(folder="tech/shell")).table
    assert row("text")["rating"] == expected["rating"][0].as_py()
    prompts.prompts.update("Linux Terminal", {"tags": ["dataset", "shell"]})
    page = prompts.search.table("terminal", "semantic", PromptFilter(folder="tech"), 5)
    assert page.table["tags"].to_pylist() == [["dataset", "shell"], ["dataset"]]
    prompts.prompts.delete("SQL terminal")
    page = prompts.search.table("terminal", "hybrid", PromptFilter(folder="tech"), 5)
    assert page.table["name"].to_pylist() == ["Linux Terminal"]


# -- freshness -----------------------------------------------------------------------------


def text_index_builds(sql: Sql) -> str:
    """The id of the current text index build: a rebuild changes it."""
    return str(sql("SELECT build_id FROM fts_main_prompts.build")[0][0])


def test_an_edit_shows_at_once_without_a_rebuild(prompts: Library, sql: Sql) -> None:
    prompts.search.search("linux")  # builds the index
    builds = text_index_builds(sql)
    poet = prompts.prompts.get("Poet")
    prompts.prompts.update(poet.id, {"content": poet.content + " Favour zebras and linux kernels."})
    assert names(prompts.search.search("zebra").hits) == ["Poet"]
    assert "Poet" in names(prompts.search.search("linux kernel").hits)
    prompts.prompts.update(poet.id, {"content": poet.content})
    assert prompts.search.search("zebra").hits == []
    fresh = prompts.prompts.create("Zebra Keeper", "Act as a zoo keeper for zebras.")
    assert names(prompts.search.search("zebr").hits) == ["Zebra Keeper"]
    prompts.prompts.archive(fresh.id)
    assert prompts.search.search("zebra").hits == []
    assert names(prompts.search.search("zebra", where=PromptFilter(archived=True)).hits) == [
        "Zebra Keeper"
    ]
    prompts.prompts.archive("Linux Terminal")
    assert "Linux Terminal" not in names(prompts.search.search("linux terminal").hits)
    assert "Linux Terminal" not in names(prompts.search.search("linux terminal", "semantic").hits)
    prompts.prompts.delete("SQL terminal")
    assert "SQL terminal" not in names(prompts.search.search("terminal", "hybrid").hits)
    assert text_index_builds(sql) == builds


def test_an_edited_prompt_scores_as_if_it_were_indexed(prompts: Library) -> None:
    """Scoring from the delta (tokenised now) gives the index's own score for the same text."""
    before = {h.prompt_id: h.score for h in prompts.search.search("act as a linux terminal").hits}
    linux = prompts.prompts.get("Linux Terminal")
    prompts.prompts.update(linux.id, {"phase": "testing"})  # a new version with the same text
    after = {h.prompt_id: h.score for h in prompts.search.search("act as a linux terminal").hits}
    assert after == pytest.approx(before)


# -- semantic, hybrid, similar ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_semantic_neighbours(prompts: Library, engine: str) -> None:
    def top(query: str, k: int = 5) -> list[str]:
        return names(prompts.search.search(query, "semantic", limit=k, engine=engine).hits)

    assert top("football commentator", 1) == ["Football Commentator"]
    assert {"Virtual Doctor", "Doctor", "AI Assisted Doctor"} <= set(
        top("doctor diagnosing a patient's medical symptoms", 8)
    )
    assert top("linux terminal", 2) == ["Linux Terminal", "SQL terminal"]


def test_hybrid_fuses_both_rankings(prompts: Library) -> None:
    result = prompts.search.search("doctor", "hybrid", limit=3)
    assert set(names(result.hits)) == {"Virtual Doctor", "Doctor", "AI Assisted Doctor"}
    fusion = fusion_for("local-ngram-384")
    first_in_both = (1 + fusion.semantic) / (fusion.k + 1)
    assert result.hits[0].score == pytest.approx(first_in_both)
    assert names(prompts.search.search("linux terminal", "hybrid").hits)[0] == "Linux Terminal"
    in_tech = prompts.search.search("terminal", "hybrid", where=PromptFilter(folder="tech"))
    assert sorted(names(in_tech.hits)) == ["Linux Terminal", "SQL terminal"]


def test_similar_finds_prompts_of_its_kind(prompts: Library) -> None:
    similar = names(prompts.search.similar("Linux Terminal").hits)
    assert len(similar) == 5 and "Linux Terminal" not in similar
    assert {"JavaScript Console", "SQL terminal", "R programming Interpreter"} <= set(similar)
    assert "Time Travel Guide" in names(prompts.search.similar("Travel Guide", limit=1).hits)


def test_similar_in_a_lingering_library_follows_deletes(
    library_from: Callable[..., Library],
) -> None:
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is missing")
    prompts = library_from(awesome, linger=60.0)
    linux = prompts.prompts.get("Linux Terminal")
    by_id = prompts.search.similar(linux.id).hits  # the held rows know the id: no lookup
    assert by_id == prompts.search.similar("Linux Terminal").hits and "SQL terminal" in names(by_id)
    prompts.prompts.delete("SQL terminal")
    assert "SQL terminal" not in names(prompts.search.similar(linux.id).hits)
    prompts.prompts.delete(linux.id)
    with pytest.raises(NotFound):
        prompts.search.similar(linux.id)


QUERIES = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz  "), min_size=3, max_size=40
).filter(str.strip)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES, k=st.integers(1, 20), folder=st.sampled_from([None, "tech", "writing"]))
def test_numpy_and_sql_paths_rank_alike(
    prompts: Library, query: str, k: int, folder: str | None
) -> None:
    where = PromptFilter(folder=folder)
    fast = prompts.search.search(query, "semantic", where, limit=k, engine="numpy")
    exact = prompts.search.search(query, "semantic", where, limit=k, engine="sql")
    assert fast.total == exact.total
    assert [h.score for h in fast.hits] == pytest.approx([h.score for h in exact.hits], abs=1e-5)
    for a, b in zip(fast.hits, exact.hits, strict=True):  # ids agree except at float-level ties
        assert a.prompt_id == b.prompt_id or abs(a.score - b.score) < 1e-5


# -- fallbacks and bad input ---------------------------------------------------------------


def test_a_read_only_library_without_an_index_matches_words(prompts: Library) -> None:
    path = prompts.db.path
    prompts.close()
    with Library(path, read_only=True) as library:
        result = library.search.search("linux terminal")
    assert result.notice is not None and "read-only" in result.notice
    assert names(result.hits)[0] == "Linux Terminal"


def test_a_read_only_library_uses_its_existing_index(prompts: Library) -> None:
    prompts.search.build_text_index()
    prompts.prompts.update("Poet", {"content": "Act as a poet who loves zebras."})
    path = prompts.db.path
    prompts.close()
    with Library(path, read_only=True) as library:
        result = library.search.search("zebra")
    assert result.notice is None and names(result.hits) == ["Poet"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("x", "fuzzy"), "mode"),
        (("", "text"), "query"),
        (("   ", "semantic"), "query"),
        (("x", "text", PromptFilter(), 0), "limit"),
    ],
)
def test_bad_searches_are_refused(prompts: Library, args: tuple[object, ...], field: str) -> None:
    before = prompts.db.table_counts()
    with pytest.raises(ValidationError) as caught:
        prompts.search.search(*args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert prompts.db.table_counts() == before


def test_an_unknown_engine_is_refused(prompts: Library) -> None:
    with pytest.raises(ValidationError, match="engine"):
        prompts.search.search("x", "semantic", engine="faiss")


def test_nothing_embedded_yet_is_a_notice(library: Library) -> None:
    library.prompts.create("Poet", "Act as a poet.")
    result = library.search.search("poet", "semantic")
    assert result.hits == [] and result.notice is not None and "embed" in result.notice
    assert library.search.similar("Poet").hits == []
