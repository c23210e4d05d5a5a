"""Bad input gets one typed error naming the field, and leaves the library exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pytest

from storage import Library
from storage.db.connection import connect
from storage.errors import (
    AmbiguousReference,
    CycleError,
    DuplicateContent,
    NotFound,
    PromptdeckError,
    TemplateError,
    ValidationError,
)
from storage.prompts.validation import MAX_CONTENT_BYTES


def build_populated(library: Library) -> None:
    parent = library.prompts.create(
        "Parent", "Write about {{topic}} for {{audience}}.", temperature=0.5
    )
    library.lineage.derive(parent.id, name="Child", content="Write briefly about {{topic}}.")
    library.usage.record("Parent")
    library.usage.rate("Parent", 4)
    library.versions.set_label("Parent", "production")


@pytest.fixture
def populated(library_from: Callable[..., Library]) -> Library:
    return library_from(build_populated)


CASES: list[tuple[str, Callable[[Library], Any], type[PromptdeckError], str | None]] = [
    (
        "temperature 7",
        lambda lib: lib.prompts.update("Parent", {"temperature": 7}),
        ValidationError,
        "temperature",
    ),
    (
        "temperature 7 on create",
        lambda lib: lib.prompts.create("T", "t", temperature=7),
        ValidationError,
        "temperature",
    ),
    (
        "temperature NaN",
        lambda lib: lib.prompts.create("T", "t", temperature=float("nan")),
        ValidationError,
        "temperature",
    ),
    (
        "temperature text",
        lambda lib: lib.prompts.create("T", "t", temperature="warm"),
        ValidationError,
        "temperature",
    ),
    ("rating 9", lambda lib: lib.usage.rate("Parent", 9), ValidationError, "rating"),
    (
        "unknown id",
        lambda lib: lib.prompts.update("0190ffff-0000-7000-8000-000000000000", {"name": "x"}),
        NotFound,
        None,
    ),
    ("unknown name", lambda lib: lib.usage.record("Nobody"), NotFound, None),
    (
        "ambiguous id part",
        lambda lib: lib.prompts.archive("00000000-0000-7000"),
        AmbiguousReference,
        None,
    ),
    (
        "missing template variable",
        lambda lib: lib.usage.use("Parent", {"topic": "x"}),
        TemplateError,
        "audience",
    ),
    ("a cycle", lambda lib: lib.lineage.set_parent("Parent", "Child"), CycleError, None),
    (
        "a cycle by link",
        lambda lib: lib.lineage.link("Parent", "Child", "enhanced_from"),
        CycleError,
        None,
    ),
    (
        "duplicate content",
        lambda lib: lib.prompts.create("Copy", "Write briefly about {{topic}}."),
        DuplicateContent,
        "content",
    ),
    (
        "duplicate content by edit",
        lambda lib: lib.prompts.update("Parent", {"content": "Write briefly about {{topic}}."}),
        DuplicateContent,
        "content",
    ),
    ("empty content", lambda lib: lib.prompts.create("Empty", ""), ValidationError, "content"),
    (
        "blank content",
        lambda lib: lib.prompts.create("Blank", " \n\t "),
        ValidationError,
        "content",
    ),
    (
        "blank content by edit",
        lambda lib: lib.prompts.update("Parent", {"content": "   "}),
        ValidationError,
        "content",
    ),
    ("NUL in content", lambda lib: lib.prompts.create("Nul", "a\x00b"), ValidationError, "content"),
    (
        "lone surrogate",
        lambda lib: lib.prompts.create("Sur", "a\ud800b"),
        ValidationError,
        "content",
    ),
    ("empty name", lambda lib: lib.prompts.create("  ", "x"), ValidationError, "name"),
    ("two-line name", lambda lib: lib.prompts.create("a\nb", "x"), ValidationError, "name"),
    ("long name", lambda lib: lib.prompts.create("n" * 201, "x"), ValidationError, "name"),
    (
        "an unknown field",
        lambda lib: lib.prompts.create("U", "u", colour="blue"),
        ValidationError,
        "colour",
    ),
    (
        "an unknown field by edit",
        lambda lib: lib.prompts.update("Parent", {"owner": "me"}),
        ValidationError,
        "owner",
    ),
    (
        "a non-editable field",
        lambda lib: lib.prompts.update("Parent", {"parent_id": None}),
        ValidationError,
        "parent_id",
    ),
    (
        "1 MB + 1 byte content",
        lambda lib: lib.prompts.create("Big", "x" * (MAX_CONTENT_BYTES + 1)),
        ValidationError,
        "content",
    ),
    (
        "1 MB + 1 byte by edit",
        lambda lib: lib.prompts.update("Parent", {"content": "é" * (MAX_CONTENT_BYTES // 2) + "x"}),
        ValidationError,
        "content",
    ),
    (
        "max_tokens 0",
        lambda lib: lib.prompts.create("M", "m", max_tokens=0),
        ValidationError,
        "max_tokens",
    ),
    (
        "max_tokens 1.5",
        lambda lib: lib.prompts.create("M", "m", max_tokens=1.5),
        ValidationError,
        "max_tokens",
    ),
    (
        "format_type",
        lambda lib: lib.prompts.create("F", "f", format_type="pdf"),
        ValidationError,
        "format_type",
    ),
    (
        "tags as a string",
        lambda lib: lib.prompts.create("T", "t", tags="a,b"),
        ValidationError,
        "tags",
    ),
    (
        "metadata not an object",
        lambda lib: lib.prompts.create("J", "j", metadata=[1]),
        ValidationError,
        "metadata",
    ),
    (
        "metadata not JSON",
        lambda lib: lib.prompts.create("J", "j", metadata={"x": {1, 2}}),
        ValidationError,
        "metadata",
    ),
    (
        "metadata NaN",
        lambda lib: lib.prompts.create("J", "j", metadata={"x": float("nan")}),
        ValidationError,
        "metadata",
    ),
    (
        "effectiveness",
        lambda lib: lib.usage.record("Parent", effectiveness=-0.1),
        ValidationError,
        "effectiveness",
    ),
    ("unknown version", lambda lib: lib.versions.restore("Parent", 5), NotFound, None),
    ("unknown label", lambda lib: lib.usage.rate("Parent@staging", 3), NotFound, None),
    ("delete with children", lambda lib: lib.prompts.delete("Parent"), PromptdeckError, None),
]


@pytest.mark.parametrize(
    ("action", "error", "field"),
    [(c[1], c[2], c[3]) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input_changes_nothing(
    populated: Library,
    action: Callable[[Library], Any],
    error: type[PromptdeckError],
    field: str | None,
) -> None:
    counts = populated.db.table_counts()
    prompts = [populated.prompts.get(s.id) for s in populated.prompts.list_prompts()]
    with pytest.raises(error) as caught:
        action(populated)
    assert caught.value.field == field
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message
    if field:
        assert message.startswith(field) or field in message
    assert populated.db.table_counts() == counts
    assert [populated.prompts.get(p.id) for p in prompts] == prompts


def test_the_database_constraints_back_up_the_validation(populated: Library) -> None:
    """Even bypassing storage, schema.sql's CHECKs refuse what validation refuses."""
    con = connect(populated.db.path)  # same configuration as the library's own connection
    try:
        for statement in (
            "UPDATE prompts SET temperature = 7",
            "UPDATE prompts SET relevance_score = 1.5",
            "UPDATE prompts SET format_type = 'pdf'",
            "UPDATE prompts SET content = ''",
            "INSERT INTO feedback (id, prompt_id, rating, created_at) VALUES ('f', 'p', 9, now())",
            "INSERT INTO relationships (source_id, target_id, type, created_at) "
            "VALUES ('a', 'a', 'similar_to', now())",
            "INSERT INTO usage_events (id, prompt_id, event_type, created_at) "
            "VALUES ('u', 'p', 'printed', now())",
        ):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(statement)
    finally:
        con.close()
