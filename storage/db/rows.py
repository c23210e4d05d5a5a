"""Converting database rows into the dataclasses of storage.models, in one place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from storage.models import (
    AuditEntry,
    Feedback,
    Label,
    Prompt,
    PromptSummary,
    PromptVersion,
    Relationship,
)

PROMPT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Prompt))
JSON_COLUMNS = frozenset({"metadata", "generation_request", "generation_context"})


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def select_list(columns: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{c}"' for c in columns)


def prompt(row: Sequence[Any]) -> Prompt:
    values = dict(zip(PROMPT_COLUMNS, row, strict=True))
    for column in JSON_COLUMNS:
        values[column] = _loads(values[column])
    values["metadata"] = values["metadata"] or {}
    values["tags"] = tuple(values["tags"] or ())
    return Prompt(**values)


def db_value(column: str, value: Any) -> Any:
    """A Python value as a query parameter for the column."""
    if column in JSON_COLUMNS:
        return None if value is None else json.dumps(value, ensure_ascii=False)
    if column == "tags":
        return list(value)
    return value


VERSION_COLUMNS = (
    "prompt_id",
    "version",
    "name",
    "content",
    "content_hash",
    "metadata",
    "change_message",
    "created_at",
)


def version(row: Sequence[Any]) -> PromptVersion:
    values = dict(zip(VERSION_COLUMNS, row, strict=True))
    values["metadata"] = _loads(values["metadata"])
    return PromptVersion(**values)


SUMMARY_COLUMNS = (
    "id",
    "name",
    "folder",
    "tags",
    "phase",
    "provider",
    "model",
    "uses",
    "rating",
    "updated_at",
    "archived",
)


def summary(row: Sequence[Any]) -> PromptSummary:
    values = dict(zip(SUMMARY_COLUMNS, row, strict=True))
    values["tags"] = tuple(values["tags"] or ())
    return PromptSummary(**values)


RELATIONSHIP_COLUMNS = ("source_id", "target_id", "type", "strength", "context", "created_at")


def relationship(row: Sequence[Any]) -> Relationship:
    return Relationship(*row)


LABEL_COLUMNS = ("prompt_id", "label", "version", "updated_at")


def label(row: Sequence[Any]) -> Label:
    return Label(*row)


FEEDBACK_COLUMNS = (
    "id",
    "prompt_id",
    "version",
    "rating",
    "helpful",
    "met_expectations",
    "suggestion",
    "comment",
    "created_at",
)


def feedback(row: Sequence[Any]) -> Feedback:
    return Feedback(*row)


AUDIT_COLUMNS = ("id", "ts", "actor", "action", "entity", "before", "after")


def audit(row: Sequence[Any]) -> AuditEntry:
    values = dict(zip(AUDIT_COLUMNS, row, strict=True))
    values["before"] = _loads(values["before"])
    values["after"] = _loads(values["after"])
    return AuditEntry(**values)
