"""What the picker's list reads: pages of rows (id, name, folder) for a list request, ranked
by the search mode while text is typed, else the most used first. No Textual here, and no
Arrow for the first page: run.py reads it while Textual is still being imported."""

from __future__ import annotations

from dataclasses import dataclass, replace

from storage import Library
from storage.models import PromptFilter
from tui.browse_query import BrowseQuery, ListRequest

FIRST_PAGE = 50  # rows of a first page (a few screenfuls); more follow as the cursor moves
MORE = 200
# Unranked, the most used first (then the newest). Not relevance: it only tells prompts apart
# where `lifecycle decay` is run; unused, every prompt's is 1.
ORDER = "uses"


@dataclass(frozen=True, slots=True)
class PickRow:
    prompt_id: str
    name: str
    folder: str


@dataclass(frozen=True, slots=True)
class PickPage:
    """Rows `offset ..` of a result of `total` prompts (those matched, or ranked)."""

    rows: list[PickRow]
    total: int
    offset: int = 0
    notice: str | None = None  # a search's note (a fallback, prompts without a vector)


class PickQuery(BrowseQuery):
    """Browse's list state, ranked by the search mode as soon as text is typed. (Browse
    filters by the words until the text index is loaded, scanning every prompt's content:
    at 100,000 prompts slower than the load, which the first search here waits for.)"""

    @property
    def ranking_mode(self) -> str | None:
        return self.search_mode if self.where.text else None


def new_query() -> BrowseQuery:
    """The picker's list state, the most used first."""
    return PickQuery(sort=ORDER)


def first_request() -> ListRequest:
    """What the picker asks for first: every live prompt, the most used first."""
    request = new_query().request()
    assert request is not None
    return request


def read_page(library: Library, request: ListRequest, offset: int = 0) -> PickPage:
    where = request.where
    limit = FIRST_PAGE if offset == 0 else MORE
    if request.mode is not None and where.text:
        ranked = library.search.table(
            where.text,
            request.mode,
            replace(where, text=None),
            limit=limit,
            offset=offset,
            match_all=True,
        )
        columns = (ranked.table.column(c).to_pylist() for c in ("id", "name", "folder"))
        rows = [PickRow(i, n or "", f or "") for i, n, f in zip(*columns, strict=True)]
        return PickPage(rows, ranked.total, offset, ranked.notice)
    listed = library.prompts.list_prompts(
        where, sort=request.sort, descending=request.descending, offset=offset, limit=limit
    )
    total = library.prompts.count_prompts(where)
    return PickPage([PickRow(p.id, p.name, p.folder) for p in listed], total, offset)


def library_total(library: Library, request: ListRequest, page: PickPage) -> int:
    """The live prompts in the library, for the count beside the search box."""
    return page.total if request.where == PromptFilter() else library.prompts.count_prompts()
