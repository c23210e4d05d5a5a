"""list_prompts / prompt_table / count_prompts / folders: every filter and every sort key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library, Prompt
from storage.db.rows import SUMMARY_COLUMNS
from storage.errors import ValidationError
from storage.models import SORT_KEYS, PromptFilter, PromptPage
from storage.prompts.filters import SUMMARY_SELECT, filter_sql, order_sql


def build_listed(library: Library) -> None:
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("Alpha", "alpha text", {"folder": "eng", "tags": ["code"], "phase": "draft"}),
        (
            "beta",
            "beta text about SQL",
            {
                "folder": "eng/sql",
                "tags": ["code", "sql"],
                "phase": "production",
                "provider": "openai",
                "model": "gpt-4o",
            },
        ),
        (
            "Gamma",
            "gamma 100% text_with_underscore",
            {
                "folder": "engineering",
                "tags": ["sql"],
                "provider": "anthropic",
                "model": "Claude-haiku",
            },
        ),
        (
            "delta",
            "delta text",
            {"folder": "marketing/social", "phase": "production", "provider": "openai"},
        ),
        ("Epsilon", "epsilon text", {"description": "Mentions Kubernetes", "model": "gpt-4o"}),
    ]
    for name, content, fields in rows:
        library.prompts.create(name, content, **fields)
    library.usage.record("beta")
    library.usage.record("beta")
    library.usage.record("delta")
    library.usage.rate("Alpha", 2)
    library.usage.rate("beta", 5)
    library.usage.rate("beta", 4)
    library.prompts.update("Gamma", {"description": "touched last"})
    archived = library.prompts.create("Zeta", "zeta text", folder="eng", tags=["code"])
    library.prompts.archive(archived.id)


@pytest.fixture
def listed(library_from: Callable[..., Library]) -> Library:
    return library_from(build_listed)


def names(library: Library, where: PromptFilter = PromptFilter(), **kw: Any) -> list[str]:
    return [p.name for p in library.prompts.list_prompts(where, **kw)]


def test_default_list_is_live_prompts_most_recently_updated_first(listed: Library) -> None:
    assert names(listed) == ["Gamma", "Epsilon", "delta", "beta", "Alpha"]
    summary = listed.prompts.list_prompts()[3]
    assert (summary.name, summary.uses, summary.rating, summary.archived) == (
        "beta",
        2,
        4.5,
        False,
    )
    assert summary.tags == ("code", "sql")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (PromptFilter(folder="eng"), {"Alpha", "beta"}),  # subfolders, not "engineering"
        (PromptFilter(folder="eng/"), {"Alpha", "beta"}),
        (PromptFilter(folder="eng/sql"), {"beta"}),
        (PromptFilter(folder="marketing"), {"delta"}),
        (PromptFilter(tags=("code",)), {"Alpha", "beta"}),
        (PromptFilter(tags=("code", "sql")), {"beta"}),  # all of them
        (PromptFilter(tags=("nope",)), set()),
        (PromptFilter(phase="production"), {"beta", "delta"}),
        (PromptFilter(provider="openai"), {"beta", "delta"}),
        (PromptFilter(model="gpt-4o"), {"beta", "Epsilon"}),
        (PromptFilter(archived=True), {"Zeta"}),
        (PromptFilter(archived=True, tags=("code",)), {"Zeta"}),
        (PromptFilter(text="SQL"), {"beta"}),  # content, case-insensitive
        (PromptFilter(text="kubernetes"), {"Epsilon"}),  # description
        (PromptFilter(text="ALPH"), {"Alpha"}),  # name
        (PromptFilter(text="100%"), {"Gamma"}),  # wildcards are literal
        (PromptFilter(text="%"), {"Gamma"}),
        (PromptFilter(text="_with_"), {"Gamma"}),
        (PromptFilter(text="a_b"), set()),
        (PromptFilter(text="text about"), {"beta"}),  # every word, anywhere
        (PromptFilter(text="about gamma"), set()),
        (PromptFilter(text="social"), {"delta"}),  # the folder is searched too
        (PromptFilter(text="(x"), set()),  # regex syntax is literal
        (PromptFilter(text="o'clock"), set()),
        (PromptFilter(folder="eng", phase="production", provider="openai"), {"beta"}),
    ],
)
def test_filters(listed: Library, where: PromptFilter, expected: set[str]) -> None:
    assert set(names(listed, where)) == expected
    assert listed.prompts.count_prompts(where) == len(expected)


def _expected_order(library: Library, sort: str, descending: bool) -> list[str]:
    prompts = [library.prompts.get(s.id) for s in library.prompts.list_prompts()]
    ratings = {p.id: library.usage.rating(p.id)[0] for p in prompts}
    key: Callable[[Prompt], Any] = {
        "updated": lambda p: p.updated_at,
        "created": lambda p: p.created_at,
        "name": lambda p: p.name.lower(),
        "folder": lambda p: p.folder.lower(),
        "uses": lambda p: p.usage_count,
        "rating": lambda p: ratings[p.id],
        "model": lambda p: p.model.lower() if p.model else None,
        "relevance": lambda p: p.relevance_score,
    }[sort]
    present = sorted((p for p in prompts if key(p) is not None), key=lambda p: (key(p), p.id))
    missing = sorted((p for p in prompts if key(p) is None), key=lambda p: p.id)
    if descending:
        present.reverse()
        missing.reverse()
    return [p.name for p in present + missing]  # NULLS LAST either way


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_every_sort_key(listed: Library, sort: str, descending: bool) -> None:
    assert names(listed, sort=sort, descending=descending) == _expected_order(
        listed, sort, descending
    )


def test_sort_examples(listed: Library) -> None:
    assert names(listed, sort="name", descending=False) == [
        "Alpha",
        "beta",
        "delta",
        "Epsilon",
        "Gamma",
    ]
    assert names(listed, sort="uses")[:2] == ["beta", "delta"]
    assert names(listed, sort="rating") == ["beta", "Alpha", "Epsilon", "delta", "Gamma"]
    assert names(listed, sort="rating", descending=False)[:2] == ["Alpha", "beta"]


def test_unknown_sort_key_is_refused(listed: Library) -> None:
    with pytest.raises(ValidationError) as caught:
        listed.prompts.list_prompts(sort="colour")
    assert caught.value.field == "sort"


def test_limit_and_offset_page_through(listed: Library) -> None:
    everything = names(listed, sort="name", descending=False)
    pages = [
        names(listed, sort="name", descending=False, limit=2, offset=o) for o in range(0, 6, 2)
    ]
    assert pages == [everything[0:2], everything[2:4], everything[4:]]


def test_prompt_table_is_arrow_in_the_same_order(listed: Library) -> None:
    page = listed.prompts.prompt_table(PromptFilter(folder="eng"), sort="name", descending=False)
    assert isinstance(page, PromptPage)
    assert isinstance(page.table, pa.Table)
    assert page.table.column_names == list(SUMMARY_COLUMNS)
    assert page.table.column("name").to_pylist() == ["Alpha", "beta"]
    assert (page.total, page.offset) == (2, 0)
    full = listed.prompts.prompt_table().table
    assert full.column("id").to_pylist() == [p.id for p in listed.prompts.list_prompts()]
    assert full.to_pylist()[0] == listed.prompts.list_prompts()[0].to_dict() | {
        "tags": list(listed.prompts.list_prompts()[0].tags),
        "updated_at": listed.prompts.list_prompts()[0].updated_at,
    }


def test_prompt_table_pages_carry_the_total(listed: Library) -> None:
    everything = names(listed, sort="name", descending=False)
    pages = [
        listed.prompts.prompt_table(sort="name", descending=False, offset=offset, limit=2)
        for offset in (0, 2, 4, 6)
    ]
    assert [p.table.column("name").to_pylist() for p in pages] == [
        everything[0:2],
        everything[2:4],
        everything[4:],
        [],
    ]
    assert [(p.total, p.offset) for p in pages] == [(5, 0), (5, 2), (5, 4), (5, 6)]
    nothing = listed.prompts.prompt_table(PromptFilter(tags=("nope",)))
    assert (nothing.table.num_rows, nothing.total) == (0, 0)
    assert nothing.table.column_names == list(SUMMARY_COLUMNS)


def test_folders_count_parents_too(listed: Library) -> None:
    assert listed.prompts.folders() == [
        ("eng", 2),
        ("eng/sql", 1),
        ("engineering", 1),
        ("marketing", 1),
        ("marketing/social", 1),
    ]
    assert listed.prompts.folders(archived=True) == [("eng", 1)]


def test_facets_are_the_values_of_live_prompts(listed: Library) -> None:
    assert listed.prompts.facets() == {
        "phase": ["draft", "production"],
        "provider": ["anthropic", "openai"],
        "model": ["Claude-haiku", "gpt-4o"],
    }


def test_starting_with_is_what_a_shell_completes_a_ref_from(library: Library) -> None:
    ids = {
        name: library.prompts.create(name, f"{name} text").id
        for name in ("Linux terminal", "linguist", "Lindy hop", "Code review")
    }
    library.prompts.archive("Lindy hop")
    named = library.prompts.starting_with
    assert [name for name, _ in named("LIN")] == ["linguist", "Linux terminal"]
    assert [name for name, _ in named("lin", archived=True)] == ["Lindy hop"]
    assert [name for name, _ in named("")] == ["Code review", "linguist", "Linux terminal"]
    assert named("", limit=1) == [("Code review", ids["Code review"])]
    short = ids["Code review"][-8:]
    assert named(short) == [("Code review", ids["Code review"])]  # ids are sequential here
    assert named("no such") == []
    twin = library.prompts.create("Code review", "A second one, by the same name.").id
    assert named("", limit=1) == [("Code review", ids["Code review"]), ("Code review", twin)]


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_prompt_table_pages_equal_one_scan_of_every_prompt(
    listed: Library, sort: str, descending: bool, size: int
) -> None:
    """Pages are cut before ratings are joined (except by rating), and scan only the prompts
    up to their last row's sort value: rows, ratings and totals are those of one scan joined
    with mart.prompt_ratings, through ties and empty values, in either direction."""
    where = PromptFilter(tags=("code",)) if sort == "folder" else PromptFilter()
    clause, params = filter_sql(where)
    with listed.db.read() as con:
        reference = con.execute(
            f"{SUMMARY_SELECT} WHERE {clause} {order_sql(sort, descending)}", params
        ).to_arrow_table()
    pages = [
        listed.prompts.prompt_table(where, sort=sort, descending=descending, offset=o, limit=size)
        for o in range(0, reference.num_rows + size, size)
    ]
    assert [row for p in pages for row in p.table.to_pylist()] == reference.to_pylist()
    assert {p.total for p in pages} == {reference.num_rows}
