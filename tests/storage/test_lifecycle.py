"""archive / unarchive / delete: soft delete, duplicates, cascades and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library, PromptFilter
from storage.errors import DuplicateContent, HasChildren, ValidationError
from tests.helpers import ancestors


def test_archive_and_unarchive(library: Library) -> None:
    prompt = library.prompts.create("Old", "old words")
    archived = library.prompts.archive(prompt.id)
    assert archived.archived and archived.archived_at is not None
    assert library.prompts.list_prompts() == []
    assert [p.name for p in library.prompts.list_prompts(PromptFilter(archived=True))] == ["Old"]
    assert library.prompts.list_prompts(PromptFilter(archived=True))[0].archived
    with pytest.raises(ValidationError, match="already archived"):
        library.prompts.archive(prompt.id)
    restored = library.prompts.unarchive(prompt.id)
    assert restored.archived_at is None
    assert restored.current_version == 1  # archiving is not an edit
    with pytest.raises(ValidationError, match="not archived"):
        library.prompts.unarchive(prompt.id)
    assert [e.action for e in library.audit.entries(f"prompt:{prompt.id}")] == [
        "unarchive",
        "archive",
        "create",
    ]


def test_archived_content_can_be_reused_but_not_unarchived_twice(library: Library) -> None:
    old = library.prompts.create("Old", "same words")
    library.prompts.archive(old.id)
    new = library.prompts.create("New", "same words")  # the archived prompt does not block it
    counts = library.db.table_counts()
    with pytest.raises(DuplicateContent) as caught:
        library.prompts.unarchive(old.id)
    assert caught.value.existing_id == new.id
    assert library.db.table_counts() == counts
    assert library.prompts.get(old.id).archived
    library.prompts.update(new.id, {"content": "different words now"})
    assert not library.prompts.unarchive(old.id).archived


def _attach_everything(library: Library, prompt_id: str, other_id: str) -> None:
    """One row in every table that refers to a prompt."""
    now = datetime(2026, 1, 15, 12, 0)
    library.versions.set_label(prompt_id, "production")
    library.usage.record(prompt_id)
    library.usage.rate(prompt_id, 4)
    library.lineage.link(prompt_id, other_id, "similar_to")
    library.lineage.link(other_id, prompt_id, "depends_on")
    library.db.bulk_insert(
        {
            "prompt_embeddings": pa.table(
                {
                    "prompt_id": [prompt_id],
                    "model": ["local"],
                    "provider": ["local"],
                    "dims": [3],
                    "embedding": pa.array([[0.1, 0.2, 0.3]], pa.list_(pa.float32())),
                    "content_hash": ["x"],
                    "created_at": [now],
                }
            ),
            "generations": pa.table(
                {
                    "id": ["g1"],
                    "prompt_id": [prompt_id],
                    "provider": ["openai"],
                    "model": ["gpt-4o"],
                    "created_at": [now],
                }
            ),
            "context": pa.table(
                {
                    "id": ["c1"],
                    "prompt_id": [prompt_id],
                    "kind": ["example"],
                    "content": ["an example"],
                    "created_at": [now],
                }
            ),
        }
    )


def test_delete_removes_every_attached_row(
    library: Library, references: Callable[[str], dict[str, int]]
) -> None:
    other = library.prompts.create("Other", "other words")
    prompt = library.prompts.create("Doomed", "doomed words", tags=["t"])
    library.prompts.update(prompt.id, {"content": "doomed words, edited"}, "second")
    _attach_everything(library, prompt.id, other.id)
    assert all(references(prompt.id)[t] for t in ("prompt_embeddings", "generations", "context"))

    deleted = library.prompts.delete(prompt.id)
    assert deleted.id == prompt.id
    assert references(prompt.id) == dict.fromkeys(references(prompt.id), 0)
    assert library.prompts.get(other.id).name == "Other"  # the other prompt is untouched
    assert library.lineage.relationships(other.id) == []

    entry = library.audit.entries(f"prompt:{prompt.id}", limit=1)[0]
    assert entry.action == "delete" and entry.after is None
    assert entry.before["name"] == "Doomed"
    assert entry.before["content"] == "doomed words, edited"
    assert entry.before["tags"] == ["t"]
    assert entry.before["versions"] == [
        {"version": 1, "name": "Doomed", "content": "doomed words", "message": "created"},
        {"version": 2, "name": "Doomed", "content": "doomed words, edited", "message": "second"},
    ]


def test_delete_is_refused_with_children_unless_forced(
    library: Library, references: Callable[[str], dict[str, int]]
) -> None:
    root = library.prompts.create("Root", "root")
    parent = library.lineage.derive(root.id, name="Parent", content="parent")
    one = library.lineage.derive(parent.id, name="One", content="one")
    two = library.lineage.derive(parent.id, name="Two", content="two")
    counts = library.db.table_counts()
    refused = "has 2 derived prompt.s. .'One', 'Two'.; delete it with --force"
    with pytest.raises(HasChildren, match=refused):
        library.prompts.delete(parent.id)
    assert library.db.table_counts() == counts

    library.prompts.delete(parent.id, force=True)
    for child in (one, two):
        orphan = library.prompts.get(child.id)
        assert orphan.parent_id is None  # children become roots
        assert library.lineage.relationships(child.id) == []
        assert ancestors(library, child.id) == []
    assert references(parent.id) == dict.fromkeys(references(parent.id), 0)
    assert library.prompts.get(root.id).generation_count == 0  # the deleted child no longer counts
    _, lineage = library.db.query("SELECT id, depth FROM mart.lineage ORDER BY id")
    assert lineage == [(root.id, 0), (one.id, 0), (two.id, 0)]


def test_deleting_a_leaf_needs_no_force(library: Library) -> None:
    parent = library.prompts.create("Parent", "parent")
    child = library.lineage.derive(parent.id, name="Child", content="child")
    library.prompts.delete(child.id)
    assert library.prompts.get(parent.id).generation_count == 0
    assert library.lineage.children(parent.id) == []


def test_archived_prompts_can_be_deleted(library: Library) -> None:
    prompt = library.prompts.create("Gone", "gone")
    library.prompts.archive(prompt.id)
    library.prompts.delete(prompt.id)
    assert library.prompts.count_prompts(PromptFilter(archived=True)) == 0
