"""What the browse screen's workers do, in plain values: a page of the list (ranked by a
search, or sorted) with the library's count, the pages after it, the sidebar's folders and
tags, the highlighted prompt's preview, and a search mode made ready. What loads ahead of
need gives way while another screen covers browse (`covered`: storage/db/background.py).
No widgets here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from textual.message import Message

from storage import Library, Pause, SearchHit
from storage.models import PromptFilter, PromptPage
from tui.browse_query import ListRequest
from tui.messages import PromptLoaded, PromptsLoaded, SearchPrepared, SidebarLoaded

SIMILAR_IN_PREVIEW = 5
PAGE_SIZE = 500  # rows fetched at a time; more are fetched as the cursor nears the end
RANKED_PAGE = 100  # a search's first page: a screenful, fast; the rest follows in pages


def read_page(library: Library, request: ListRequest, offset: int) -> PromptPage:
    where = request.where
    if request.mode is not None and where.text:
        limit = RANKED_PAGE if offset == 0 else PAGE_SIZE
        return library.search.table(
            where.text,
            request.mode,
            replace(where, text=None),
            limit=limit,
            offset=offset,
            match_all=True,
        )
    return library.prompts.prompt_table(
        where, sort=request.sort, descending=request.descending, offset=offset, limit=PAGE_SIZE
    )


def read_list(
    library: Library, request: ListRequest, cancelled: Callable[[], bool]
) -> PromptsLoaded | None:
    """The first page and the library's count (None: cancelled by a newer query)."""
    page = read_page(library, request, 0)
    if cancelled():
        return None
    where = request.where
    total = library.prompts.count_prompts() if where != PromptFilter() else page.total
    return PromptsLoaded(page, where, total, request.select, request.mode)


def read_more(library: Library, request: ListRequest, offset: int) -> PromptsLoaded:
    page = read_page(library, request, offset)
    return PromptsLoaded(page, request.where, -1, mode=request.mode)


def read_sidebar(
    library: Library, covered: Pause, cancelled: Callable[[], bool]
) -> SidebarLoaded | None:
    return library.aside(covered, partial(_sidebar, library), cancelled)


def _sidebar(library: Library) -> SidebarLoaded:
    prompts = library.prompts
    total = prompts.count_prompts()
    archived = prompts.count_prompts(PromptFilter(archived=True))
    return SidebarLoaded(total, archived, prompts.folders(), library.tags.all())


def read_preview(
    library: Library,
    prompt_id: str,
    post: Callable[[Message], object],
    waits: Pause,
    cancelled: Callable[[], bool],
    similar: bool,
) -> None:
    """The prompt and its rating at once, then (`similar`) again with its nearest prompts
    (slower, and giving way while `waits` is held: a first search reads the vectors'
    files)."""
    prompt = library.prompts.get(prompt_id)
    rating, ratings = library.usage.rating(prompt_id)
    if cancelled():
        return
    post(PromptLoaded(prompt, rating, ratings))
    if not similar:
        return

    def nearest() -> tuple[SearchHit, ...]:
        return tuple(library.search.similar(prompt_id, limit=SIMILAR_IN_PREVIEW).hits)

    hits = library.aside(waits, nearest, cancelled)
    if hits and not cancelled():
        post(PromptLoaded(prompt, rating, ratings, hits))


def prepare_search(
    library: Library, mode: str, covered: Pause, cancelled: Callable[[], bool]
) -> SearchPrepared | None:
    """Load what `mode` ranks with (the text index, the vectors), with its notice if any."""

    def prepare() -> SearchPrepared:
        return SearchPrepared(mode, library.search.prepare(mode))

    return library.aside(covered, prepare, cancelled)
