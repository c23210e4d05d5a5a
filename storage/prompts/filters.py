"""The prompt list as SQL: a PromptFilter as a WHERE clause, a sort key as ORDER BY."""

from __future__ import annotations

import re
from typing import Any

from storage.errors import ValidationError
from storage.models import SORT_KEYS, PromptFilter
from storage.prompts.validation import clean_folder

_SORT_SQL = {
    "updated": "p.updated_at",
    "created": "p.created_at",
    "name": "lower(p.name)",
    "folder": "lower(p.folder)",
    "uses": "p.usage_count",
    "rating": "r.avg_rating",
    "model": "lower(p.model)",
    "relevance": "p.relevance_score",
}
_TEXT_COLUMNS = ("name", "description", "folder", "content")
SUMMARY_SELECT = (
    "SELECT p.id, p.name, p.folder, p.tags, p.phase, p.provider, p.model, "
    "p.usage_count AS uses, r.avg_rating AS rating, p.updated_at, "
    "p.archived_at IS NOT NULL AS archived "
    "FROM prompts p LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id"
)


def filter_sql(where: PromptFilter) -> tuple[str, list[Any]]:
    """WHERE clause (over alias p) and parameters for a prompt filter."""
    clauses = ["p.archived_at IS NOT NULL" if where.archived else "p.archived_at IS NULL"]
    params: list[Any] = []
    folder = clean_folder(where.folder)  # "eng/" and " eng " mean the saved folder "eng"
    if folder:
        clauses.append("(p.folder = ? OR starts_with(p.folder, ?))")
        params += [folder, folder + "/"]
    for tag in where.tags:
        clauses.append("list_contains(p.tags, ?)")
        params.append(tag)
    for column in ("phase", "provider", "model"):
        value = getattr(where, column)
        if value:
            clauses.append(f"p.{column} = ?")
            params.append(value)
    if where.text:
        # Every word must appear (any case) in the name, description, folder or content.
        # RE2 (regexp_matches) scans content about 15x faster than ILIKE; the pattern is a
        # literal, not a parameter, so that it is compiled once rather than once per row.
        for word in where.text.split():
            pattern = "'" + re.escape(word).replace("'", "''") + "'"
            matches = [f"regexp_matches(p.{c}, {pattern}, 'i')" for c in _TEXT_COLUMNS]
            clauses.append("(" + " OR ".join(matches) + ")")
    return " AND ".join(clauses), params


def order_sql(sort: str, descending: bool) -> str:
    if sort not in _SORT_SQL:
        raise ValidationError("sort", sort, f"must be one of {', '.join(SORT_KEYS)}")
    direction = "DESC" if descending else "ASC"
    return f"ORDER BY {_SORT_SQL[sort]} {direction} NULLS LAST, p.id {direction}"
