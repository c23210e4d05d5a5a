"""Every mutation writes exactly one audit row, in its own transaction; failures write none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from storage import Library, Prompt
from storage.errors import PromptdeckError


def build_prepared(library: Library) -> None:
    """A: two versions, a label, a tag; B derives from A; C and D stand alone; E is archived."""
    a = library.prompts.create("A", "a text", tags=["t"])
    library.prompts.update(a.id, {"content": "a text v2"})
    library.versions.set_label("A", "staging", 1)
    library.lineage.derive("A", name="B", content="b text")
    library.prompts.create("C", "c text")
    library.prompts.create("D", "d text {{x}}")
    library.lineage.link("C", "D", "similar_to")
    e = library.prompts.create("E", "e text")
    library.prompts.archive(e.id)


@pytest.fixture
def prepared(library_from: Callable[..., Library]) -> Library:
    return library_from(build_prepared)


def _bulk(lib: Library) -> None:
    lib.db.bulk_insert(
        {
            "context": pa.table(
                {
                    "id": ["ctx"],
                    "prompt_id": [lib.prompts.get("C").id],
                    "kind": ["example"],
                    "content": ["x"],
                    "created_at": [datetime(2026, 1, 1)],
                }
            )
        }
    )


# (audit action, entity of the row: a prompt name or a tag, the mutation)
MUTATIONS: list[tuple[str, str, Callable[[Library], object]]] = [
    ("create", "", lambda lib: lib.prompts.create("New", "new text")),
    ("update", "C", lambda lib: lib.prompts.update("C", {"name": "C2"})),
    ("restore", "A", lambda lib: lib.versions.restore("A", 1)),
    ("label", "A", lambda lib: lib.versions.set_label("A", "production")),
    ("unlabel", "A", lambda lib: lib.versions.remove_label("A", "staging")),
    ("update", "A", lambda lib: lib.tags.add("A", ["u"])),
    ("update", "A", lambda lib: lib.tags.remove("A", ["t"])),
    ("tag_colour", "tag:t", lambda lib: lib.tags.set_colour("t", "red")),
    ("derive", "", lambda lib: lib.lineage.derive("C", name="C child", content="c child")),
    ("set_parent", "D", lambda lib: lib.lineage.set_parent("D", "C")),
    ("link", "C", lambda lib: lib.lineage.link("C", "D", "depends_on")),
    ("unlink", "C", lambda lib: lib.lineage.unlink("C", "D", "similar_to")),
    ("archive", "C", lambda lib: lib.prompts.archive("C")),
    ("unarchive", "E", lambda lib: lib.prompts.unarchive("E")),
    ("delete", "C", lambda lib: lib.prompts.delete("C")),
    ("used", "C", lambda lib: lib.usage.record("C")),
    ("copied", "C", lambda lib: lib.usage.record("C", "copied")),
    ("used", "D", lambda lib: lib.usage.use("D", {"x": "1"})),
    ("rate", "C", lambda lib: lib.usage.rate("C", 4)),
    ("bulk_insert", "library", _bulk),
]


@pytest.mark.parametrize(
    ("action", "entity", "mutate"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)]
)
def test_one_audit_row_per_action(
    prepared: Library, action: str, entity: str, mutate: Callable[[Library], object]
) -> None:
    expected_entity = (
        (
            entity
            if ":" in entity or entity == "library"
            else f"prompt:{prepared.prompts.get(entity).id}"
        )
        if entity
        else None
    )
    before = prepared.db.table_counts()["audit_log"]
    last = prepared.audit.entries(limit=1)[0]
    result = mutate(prepared)
    assert prepared.db.table_counts()["audit_log"] == before + 1
    (entry,) = prepared.audit.entries(limit=1)
    assert entry.id > last.id and entry.ts > last.ts
    assert entry.action == action
    assert entry.actor == "tester"
    if expected_entity is None:
        assert isinstance(result, Prompt)  # create and derive return the new prompt
        assert entry.entity == f"prompt:{result.id}"
    else:
        assert entry.entity == expected_entity


FAILURES: list[Callable[[Library], object]] = [
    lambda lib: lib.prompts.create("Dup", "c text"),
    lambda lib: lib.prompts.update("C", {"temperature": 7}),
    lambda lib: lib.prompts.update("C", {"content": "c text"}),
    lambda lib: lib.versions.restore("A", 9),
    lambda lib: lib.versions.set_label("A", "latest"),
    lambda lib: lib.versions.remove_label("A", "nope"),
    lambda lib: lib.tags.add("A", ["t"]),
    lambda lib: lib.tags.set_colour("t", "not a colour"),
    lambda lib: lib.lineage.derive("C"),
    lambda lib: lib.lineage.set_parent("A", "B"),
    lambda lib: lib.lineage.link("C", "D", "similar_to"),
    lambda lib: lib.lineage.unlink("C", "D", "overrides"),
    lambda lib: lib.prompts.archive("E"),
    lambda lib: lib.prompts.unarchive("C"),
    lambda lib: lib.prompts.delete("A"),
    lambda lib: lib.usage.record("nobody"),
    lambda lib: lib.usage.use("D", {}),
    lambda lib: lib.usage.rate("C", 0),
    lambda lib: lib.db.bulk_insert({"nope": pa.table({"x": [1]})}),
]


@pytest.mark.parametrize("mutate", FAILURES)
def test_a_failed_action_leaves_no_audit_row(
    prepared: Library, mutate: Callable[[Library], object]
) -> None:
    counts = prepared.db.table_counts()
    with pytest.raises(PromptdeckError):
        mutate(prepared)
    assert prepared.db.table_counts() == counts


def test_audit_entries_filter_and_limit(prepared: Library) -> None:
    a = prepared.prompts.get("A")
    actions = [e.action for e in prepared.audit.entries(f"prompt:{a.id}")]
    assert actions == ["label", "update", "create"]  # newest first
    assert len(prepared.audit.entries(limit=2)) == 2
    create = prepared.audit.entries(f"prompt:{a.id}")[-1]
    assert create.before is None and create.after["content"] == "a text"
    update = prepared.audit.entries(f"prompt:{a.id}")[1]
    assert update.before == {"content": "a text"}
    assert update.after == {"content": "a text v2", "version": 2, "message": ""}
