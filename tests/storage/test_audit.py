"""Every mutation writes exactly one audit row, in its own transaction; failures write none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyarrow as pa
import pytest

from storage import Library
from storage.errors import PromptdeckError


def build_prepared(library: Library) -> None:
    """A: two versions, a label, a tag; B derives from A; C and D stand alone; E is archived."""
    a = library.create("A", "a text", tags=["t"])
    library.update(a.id, {"content": "a text v2"})
    library.set_label("A", "staging", 1)
    library.derive("A", name="B", content="b text")
    library.create("C", "c text")
    library.create("D", "d text {{x}}")
    library.link("C", "D", "similar_to")
    e = library.create("E", "e text")
    library.archive(e.id)


@pytest.fixture
def prepared(library_from: Callable[..., Library]) -> Library:
    return library_from(build_prepared)


def _bulk(lib: Library) -> None:
    lib.bulk_insert(
        {
            "context": pa.table(
                {
                    "id": ["ctx"],
                    "prompt_id": [lib.get("C").id],
                    "kind": ["example"],
                    "content": ["x"],
                    "created_at": [datetime(2026, 1, 1)],
                }
            )
        }
    )


# (audit action, entity of the row: a prompt name or a tag, the mutation)
MUTATIONS: list[tuple[str, str, Callable[[Library], object]]] = [
    ("create", "", lambda lib: lib.create("New", "new text")),
    ("update", "C", lambda lib: lib.update("C", {"name": "C2"})),
    ("restore", "A", lambda lib: lib.restore("A", 1)),
    ("label", "A", lambda lib: lib.set_label("A", "production")),
    ("unlabel", "A", lambda lib: lib.remove_label("A", "staging")),
    ("update", "A", lambda lib: lib.add_tags("A", ["u"])),
    ("update", "A", lambda lib: lib.remove_tags("A", ["t"])),
    ("tag_colour", "tag:t", lambda lib: lib.set_tag_colour("t", "red")),
    ("derive", "", lambda lib: lib.derive("C", name="C child", content="c child")),
    ("set_parent", "D", lambda lib: lib.set_parent("D", "C")),
    ("link", "C", lambda lib: lib.link("C", "D", "depends_on")),
    ("unlink", "C", lambda lib: lib.unlink("C", "D", "similar_to")),
    ("archive", "C", lambda lib: lib.archive("C")),
    ("unarchive", "E", lambda lib: lib.unarchive("E")),
    ("delete", "C", lambda lib: lib.delete("C")),
    ("used", "C", lambda lib: lib.record_usage("C")),
    ("copied", "C", lambda lib: lib.record_usage("C", "copied")),
    ("used", "D", lambda lib: lib.use("D", {"x": "1"})),
    ("rate", "C", lambda lib: lib.rate("C", 4)),
    ("bulk_insert", "library", _bulk),
]


@pytest.mark.parametrize(
    ("action", "entity", "mutate"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)]
)
def test_one_audit_row_per_action(
    prepared: Library, action: str, entity: str, mutate: Callable[[Library], object]
) -> None:
    expected_entity = (
        (entity if ":" in entity or entity == "library" else f"prompt:{prepared.get(entity).id}")
        if entity
        else None
    )
    before = prepared.table_counts()["audit_log"]
    last = prepared.audit(limit=1)[0]
    result = mutate(prepared)
    assert prepared.table_counts()["audit_log"] == before + 1
    (entry,) = prepared.audit(limit=1)
    assert entry.id > last.id and entry.ts > last.ts
    assert entry.action == action
    assert entry.actor == "tester"
    if expected_entity is None:
        assert entry.entity == f"prompt:{result.id}"  # type: ignore[attr-defined]
    else:
        assert entry.entity == expected_entity


FAILURES: list[Callable[[Library], object]] = [
    lambda lib: lib.create("Dup", "c text"),
    lambda lib: lib.update("C", {"temperature": 7}),
    lambda lib: lib.update("C", {"content": "c text"}),
    lambda lib: lib.restore("A", 9),
    lambda lib: lib.set_label("A", "latest"),
    lambda lib: lib.remove_label("A", "nope"),
    lambda lib: lib.add_tags("A", ["t"]),
    lambda lib: lib.set_tag_colour("t", "not a colour"),
    lambda lib: lib.derive("C"),
    lambda lib: lib.set_parent("A", "B"),
    lambda lib: lib.link("C", "D", "similar_to"),
    lambda lib: lib.unlink("C", "D", "overrides"),
    lambda lib: lib.archive("E"),
    lambda lib: lib.unarchive("C"),
    lambda lib: lib.delete("A"),
    lambda lib: lib.record_usage("nobody"),
    lambda lib: lib.use("D", {}),
    lambda lib: lib.rate("C", 0),
    lambda lib: lib.bulk_insert({"nope": pa.table({"x": [1]})}),
]


@pytest.mark.parametrize("mutate", FAILURES)
def test_a_failed_action_leaves_no_audit_row(
    prepared: Library, mutate: Callable[[Library], object]
) -> None:
    counts = prepared.table_counts()
    with pytest.raises(PromptdeckError):
        mutate(prepared)
    assert prepared.table_counts() == counts


def test_audit_entries_filter_and_limit(prepared: Library) -> None:
    a = prepared.get("A")
    actions = [e.action for e in prepared.audit(f"prompt:{a.id}")]
    assert actions == ["label", "update", "create"]  # newest first
    assert len(prepared.audit(limit=2)) == 2
    create = prepared.audit(f"prompt:{a.id}")[-1]
    assert create.before is None and create.after["content"] == "a text"
    update = prepared.audit(f"prompt:{a.id}")[1]
    assert update.before == {"content": "a text"}
    assert update.after == {"content": "a text v2", "version": 2, "message": ""}
