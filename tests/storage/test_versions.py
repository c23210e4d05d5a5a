"""update -> new version, NothingToSave, dense versions, diff, restore (history never rewritten)."""

from __future__ import annotations

from typing import cast

import pytest

from storage import Library
from storage.errors import DuplicateContent, NotFound, NothingToSave, ValidationError
from storage.prompts.validation import content_hash


def test_update_writes_a_new_version(library: Library) -> None:
    before = library.prompts.create("Edit me", "first text", temperature=0.5)
    after = library.prompts.update(
        before.id, {"content": "second text", "temperature": 0.9}, "warmer"
    )
    assert after.current_version == 2
    assert after.content == "second text" and after.temperature == 0.9
    assert after.content_hash == content_hash("second text")
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    v1, v2 = library.versions.history(before.id)
    assert (v1.version, v1.content, v1.metadata["temperature"]) == (1, "first text", 0.5)
    assert (v2.version, v2.content, v2.metadata["temperature"]) == (2, "second text", 0.9)
    assert v2.change_message == "warmer"
    assert v2.created_at == after.updated_at
    assert library.versions.get(before.id, 1) == v1


def test_every_editable_field_can_be_changed(library: Library) -> None:
    prompt = library.prompts.create("All fields", "body")
    changes = {
        "name": "Renamed",
        "description": "what it does",
        "content": "new body",
        "folder": "a/b",
        "tags": ["x", "y"],
        "phase": "testing",
        "provider": "anthropic",
        "model": "claude-haiku",
        "temperature": 0.1,
        "max_tokens": 100,
        "persona": "editor",
        "target_model_family": "claude",
        "format_type": "xml",
        "language": "de",
        "metadata": {"k": "v"},
    }
    updated = library.prompts.update(prompt.id, changes)
    for field, value in changes.items():
        expected = tuple(cast(list[str], value)) if field == "tags" else value
        assert getattr(updated, field) == expected, field
    assert updated.current_version == 2
    assert library.prompts.get("Renamed").id == prompt.id


def test_an_edit_that_changes_nothing_is_refused(library: Library) -> None:
    prompt = library.prompts.create("Same", "same text", tags=["a"], temperature=0.3)
    counts = library.db.table_counts()
    for changes in ({}, {"content": "same text"}, {"tags": ["a", "a"], "temperature": 0.3}):
        with pytest.raises(NothingToSave, match="nothing changed"):
            library.prompts.update(prompt.id, changes)
    assert library.db.table_counts() == counts
    assert library.prompts.get(prompt.id).current_version == 1


def test_only_editable_fields_can_be_updated(library: Library) -> None:
    prompt = library.prompts.create("Fixed", "fixed text")
    with pytest.raises(ValidationError) as caught:
        library.prompts.update(prompt.id, {"source_type": "import"})
    assert caught.value.field == "source_type"
    with pytest.raises(ValidationError) as caught:
        library.prompts.update(prompt.id, {"colour": "red"})
    assert caught.value.field == "colour"


def test_an_edit_to_the_content_of_another_live_prompt_is_refused(library: Library) -> None:
    library.prompts.create("Original", "taken text")
    other = library.prompts.create("Other", "free text")
    with pytest.raises(DuplicateContent) as caught:
        library.prompts.update(other.id, {"content": "taken text"})
    assert caught.value.existing_name == "Original"


def test_versions_are_dense_and_monotonic(library: Library) -> None:
    prompt = library.prompts.create("Many", "text 0")
    for n in range(1, 6):
        library.prompts.update(prompt.id, {"content": f"text {n}"}, f"edit {n}")
    library.versions.restore(prompt.id, 2)
    library.tags.add(prompt.id, ["t"])
    versions = library.versions.history(prompt.id)
    assert [v.version for v in versions] == list(range(1, 9))
    times = [v.created_at for v in versions]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert library.prompts.get(prompt.id).current_version == 8


def test_diff_default_one_and_two_versions(library: Library) -> None:
    prompt = library.prompts.create("Diffed", "line one\nline two\n", temperature=0.2)
    library.prompts.update(prompt.id, {"content": "line one\nline 2\n"}, "numbers")
    library.prompts.update(prompt.id, {"name": "Diffed again", "temperature": 0.8, "tags": ["t"]})

    latest = library.versions.diff(prompt.id)  # previous vs current
    assert (latest.old.version, latest.new.version) == (2, 3)
    assert latest.unified == ""  # content unchanged between 2 and 3
    assert latest.changed_fields == {
        "name": ("Diffed", "Diffed again"),
        "temperature": (0.2, 0.8),
        "tags": ([], ["t"]),
    }

    from_one = library.versions.diff(prompt.id, 1)  # 1 vs current
    assert (from_one.old.version, from_one.new.version) == (1, 3)
    assert "-line two" in from_one.unified and "+line 2" in from_one.unified
    assert from_one.unified.startswith("--- Diffed@1\n+++ Diffed again@3")

    pair = library.versions.diff(prompt.id, 1, 2)
    assert (pair.old.version, pair.new.version) == (1, 2)
    assert pair.changed_fields == {}
    assert "-line two" in pair.as_text() and "+line 2" in pair.as_text()

    reverse = library.versions.diff(prompt.id, 3, 1)
    assert reverse.changed_fields["temperature"] == (0.8, 0.2)

    with pytest.raises(NotFound, match="no version 9"):
        library.versions.diff(prompt.id, 1, 9)


def test_diff_of_a_single_version_prompt_is_empty(library: Library) -> None:
    prompt = library.prompts.create("Single", "only version")
    diff = library.versions.diff(prompt.id)
    assert (diff.old.version, diff.new.version) == (1, 1)
    assert diff.unified == "" and diff.changed_fields == {}


def test_restore_writes_a_new_version_and_never_rewrites_history(library: Library) -> None:
    prompt = library.prompts.create("Restorable", "original", temperature=0.1, tags=["a"])
    library.prompts.update(prompt.id, {"content": "changed", "temperature": 1.5, "tags": ["b"]})
    history = library.versions.history(prompt.id)

    restored = library.versions.restore(prompt.id, 1)
    assert restored.current_version == 3
    assert (restored.content, restored.temperature, restored.tags) == ("original", 0.1, ("a",))
    after = library.versions.history(prompt.id)
    assert after[:2] == history  # old versions untouched
    assert after[2].change_message == "restored version 1"
    assert after[2].content == "original"
    assert library.audit.entries(f"prompt:{prompt.id}", limit=1)[0].action == "restore"

    with pytest.raises(NothingToSave):
        library.versions.restore(prompt.id, 1)  # it is already the current state
    again = library.versions.restore(prompt.id, 2, "back to the edit")
    assert again.current_version == 4 and again.content == "changed"
    assert library.versions.history(prompt.id)[-1].change_message == "back to the edit"
    with pytest.raises(NotFound):
        library.versions.restore(prompt.id, 99)


def test_restore_refuses_content_now_owned_by_another_prompt(library: Library) -> None:
    prompt = library.prompts.create("Mine", "shared words")
    library.prompts.update(prompt.id, {"content": "my new words"})
    library.prompts.create("Theirs", "shared words")
    counts = library.db.table_counts()
    with pytest.raises(DuplicateContent):
        library.versions.restore(prompt.id, 1)
    assert library.db.table_counts() == counts
