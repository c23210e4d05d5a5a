"""BrowseQuery's search clearing and the label of its active filter (no Textual)."""

from __future__ import annotations

from storage.models import PromptFilter
from tui.browse_query import BrowseQuery


def test_searching_follows_the_text_and_clearing_ends_it() -> None:
    query = BrowseQuery()
    assert not query.searching
    query.type_text("review")
    assert query.searching
    query.clear_text()
    assert not query.searching and not query.filtered


def test_filter_label_names_every_narrowing_but_the_text() -> None:
    query = BrowseQuery()
    assert query.filter_label() == ""
    query.scope("eng", "review", archived=False)
    query.type_text("security")
    assert query.filter_label() == "folder eng · tag review"
    query.where = PromptFilter(phase="draft", model="gpt-4o", archived=True)
    assert query.filter_label() == "phase draft · model gpt-4o · archived"
