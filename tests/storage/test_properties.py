"""Property tests: whatever unicode goes in comes back out; versions stay dense and monotonic."""

from __future__ import annotations

import functools
import itertools
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import Library
from storage.db.connection import connect
from storage.errors import NothingToSave
from tests.helpers import sequential_ids

# Library refuses NUL, and lone surrogates cannot be encoded as UTF-8.
CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])
TEXT = st.text(CHARS, min_size=1).filter(lambda s: s.strip())
NAMES = st.text(
    st.characters(blacklist_characters="\x00\n\r", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())
TAGS = st.lists(
    st.text(
        st.characters(blacklist_characters="\x00,", blacklist_categories=("Cs", "Z", "Cc")),
        min_size=1,
        max_size=20,
    ),
    max_size=5,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARS, max_size=30)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(CHARS, max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
METADATA = st.dictionaries(st.text(CHARS, max_size=12), JSON, max_size=5)

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_unique = itertools.count()


@functools.cache
def _empty_library() -> bytes:
    """The bytes of a new, empty library file (creating the schema is the slow part)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "empty.duckdb"
        Library(path).open().close()
        return path.read_bytes()


@contextmanager
def fresh_library() -> Iterator[Library]:
    """One library per example: hypothesis reuses function-scoped fixtures across examples.
    `linger` keeps one connection through the example (the TUI's mode), which keeps it fast."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.duckdb"
        path.write_bytes(_empty_library())
        library = Library(path, new_id=sequential_ids(), actor="tester", linger=60)
        try:
            yield library.open()
        finally:
            # The file is thrown away: skip DuckDB's checkpoint on close (most of the cost of
            # an example). storage's connect shares the lingering connection's database.
            con = connect(path)
            con.execute("PRAGMA disable_checkpoint_on_shutdown")
            con.close()
            library.close()


def unique(text: str) -> str:
    """Content is unique among live prompts: give every generated content its own suffix."""
    return f"{text}\n#{next(_unique)}"


@PROPERTY_SETTINGS
@given(content=TEXT, name=NAMES, tags=TAGS, metadata=METADATA, description=TEXT)
def test_fields_round_trip_through_create_and_get(
    content: str, name: str, tags: list[str], metadata: dict[str, Any], description: str
) -> None:
    content = unique(content)
    with fresh_library() as library:
        created = library.prompts.create(
            name, content, tags=tags, metadata=metadata, description=description
        )
        loaded = library.prompts.get(created.id)
        assert loaded == created
        assert loaded.content == content
        assert loaded.name == name.strip()
        assert loaded.description == description.strip()
        assert loaded.tags == tuple(dict.fromkeys(t.strip() for t in tags))
        assert loaded.metadata == metadata
        (version,) = library.versions.history(created.id)
        assert version.content == content and version.name == name.strip()
        assert version.metadata["metadata"] == metadata
        assert version.metadata["tags"] == list(loaded.tags)


@PROPERTY_SETTINGS
@given(
    first=TEXT,
    second=TEXT,
    name=NAMES,
    tags=TAGS,
    metadata=METADATA,
)
def test_fields_round_trip_through_update_and_restore(
    first: str, second: str, name: str, tags: list[str], metadata: dict[str, Any]
) -> None:
    first, second = unique(first), unique(second)
    with fresh_library() as library:
        prompt = library.prompts.create("Start", first)
        updated = library.prompts.update(
            prompt.id, {"content": second, "name": name, "tags": tags, "metadata": metadata}
        )
        assert (updated.content, updated.name, updated.metadata) == (
            second,
            name.strip(),
            metadata,
        )
        assert updated.tags == tuple(dict.fromkeys(t.strip() for t in tags))
        assert updated == library.prompts.get(prompt.id)  # returned as stored, not re-read
        restored = library.versions.restore(prompt.id, 1)
        assert (restored.content, restored.name, restored.tags, restored.metadata) == (
            first,
            "Start",
            (),
            {},
        )
        v1, v2, v3 = library.versions.history(prompt.id)
        assert (v1.content, v2.content, v3.content) == (first, second, first)
        assert (v2.name, v2.metadata["metadata"], v2.metadata["tags"]) == (
            name.strip(),
            metadata,
            list(updated.tags),
        )
        assert library.prompts.get(prompt.id) == restored


EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), TEXT),
        st.tuples(st.just("restore"), st.integers(min_value=1, max_value=20)),
        st.tuples(st.just("tag"), st.sampled_from(["a", "b", "c"])),
    ),
    min_size=1,
    max_size=8,
)


@PROPERTY_SETTINGS
@given(steps=EDITS)
def test_versions_stay_dense_and_monotonic(steps: list[tuple[str, Any]]) -> None:
    with fresh_library() as library:
        prompt = library.prompts.create("Versioned", unique("start"))
        expected = [prompt.content]  # the content of each version, in order
        for kind, value in steps:
            try:
                if kind == "edit":
                    text = unique(value)
                    library.prompts.update(prompt.id, {"content": text})
                    expected.append(text)
                elif kind == "restore":
                    number = min(value, len(expected))
                    library.versions.restore(prompt.id, number)
                    expected.append(expected[number - 1])
                else:
                    library.tags.add(prompt.id, [value])
                    expected.append(expected[-1])
            except NothingToSave:
                pass  # restoring the current state, or a tag it already has
        versions = library.versions.history(prompt.id)
        assert [v.version for v in versions] == list(range(1, len(versions) + 1))
        assert [v.content for v in versions] == expected
        times = [v.created_at for v in versions]
        assert times == sorted(times)
        assert library.prompts.get(prompt.id).current_version == len(versions)
        assert library.prompts.get(prompt.id).content == versions[-1].content
