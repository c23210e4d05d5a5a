"""Browse's list state without Textual: filters, sorts, modes and the folding of queries."""

from __future__ import annotations

from storage.models import PromptFilter
from tui.browse_query import SORT_CYCLE, BrowseQuery, ListRequest


def test_text_searches_from_two_characters_ranked_from_the_first_keystroke() -> None:
    query = BrowseQuery()
    query.type_text(" r ")
    assert query.where.text is None and not query.filtered
    assert query.type_text("review ")
    assert query.where.text == "review" and query.filtered
    assert not query.type_text("review")  # no new query
    assert query.type_text("review s") and query.where.text == "review s"
    assert query.ranking_mode == "text"  # ranked even before the held index has loaded
    assert query.next_mode() == "semantic" and query.ranking_mode == "semantic"
    query.clear_text()
    assert query.ranking_mode is None


def test_sorts_cycle_with_alphabetical_keys_ascending() -> None:
    query = BrowseQuery()
    seen = [query.next_sort() for _ in SORT_CYCLE]
    assert seen == [*SORT_CYCLE[1:], SORT_CYCLE[0]]
    query.sort = "updated"
    assert query.next_sort() == "name" and not query.descending
    assert query.next_sort() == "uses" and query.descending
    query.reverse()
    assert not query.descending


def test_scope_sets_folder_tag_and_archive_together() -> None:
    query = BrowseQuery()
    query.scope("eng", "review", archived=False)
    assert query.where == PromptFilter(folder="eng", tags=("review",))
    query.scope(None, None, archived=True)
    assert query.where == PromptFilter(archived=True)


def test_one_query_in_flight_and_keystrokes_fold_into_the_newest() -> None:
    query = BrowseQuery()
    first = query.request(select="a")
    assert first == ListRequest(PromptFilter(), "updated", True, None, "a")
    for typed in ("re", "rev", "revi"):
        query.type_text(typed)
        assert query.request() is None  # folded while the first runs
    query.type_text("review")
    assert query.request(select="b") is None
    folded = query.finished()
    assert folded is not None and folded.where.text == "review" and folded.select == "b"
    assert query.finished() is None  # nothing changed while the folded one ran
    assert query.request() is not None


def test_pages_of_a_result_the_user_moved_on_from_are_not_current() -> None:
    query = BrowseQuery()
    query.type_text("review")
    shown = query.more()
    assert query.is_current(shown.where, shown.mode)
    query.type_text("security")
    assert not query.is_current(shown.where, shown.mode)
