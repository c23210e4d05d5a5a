"""Labels (named version pointers) and tags (on prompts, with colours)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage import Library
from storage.errors import NotFound, NothingToSave, ValidationError
from storage.models import Label, Tag


def build_three_versions(library: Library) -> None:
    prompt = library.prompts.create("Labelled", "v1")
    library.prompts.update(prompt.id, {"content": "v2"})
    library.prompts.update(prompt.id, {"content": "v3"})


@pytest.fixture
def labelled(library_from: Callable[..., Library]) -> tuple[Library, str]:
    """A library with one prompt of three versions, and that prompt's id."""
    library = library_from(build_three_versions)
    return library, library.prompts.get("Labelled").id


def test_set_label_defaults_to_the_current_version(labelled: tuple[Library, str]) -> None:
    library, three_versions = labelled
    label = library.versions.set_label(three_versions, "production")
    assert isinstance(label, Label)
    assert (label.prompt_id, label.label, label.version) == (three_versions, "production", 3)
    assert library.versions.labels(three_versions) == [label]


def test_labels_move_and_are_removed(labelled: tuple[Library, str]) -> None:
    library, three_versions = labelled
    library.versions.set_label(three_versions, "production", 1)
    library.versions.set_label(three_versions, "staging", 3)
    moved = library.versions.set_label(three_versions, "production", 2)
    assert moved.version == 2
    assert [(lb.label, lb.version) for lb in library.versions.labels(three_versions)] == [
        ("production", 2),
        ("staging", 3),
    ]
    entry = library.audit.entries(f"prompt:{three_versions}", limit=1)[0]
    assert (entry.action, entry.before, entry.after) == (
        "label",
        {"production": 1},
        {"production": 2},
    )
    library.versions.remove_label(three_versions, "staging")
    assert [lb.label for lb in library.versions.labels(three_versions)] == ["production"]
    entry = library.audit.entries(f"prompt:{three_versions}", limit=1)[0]
    assert (entry.action, entry.before) == ("unlabel", {"staging": 3})
    with pytest.raises(NotFound, match="no label 'staging'"):
        library.versions.remove_label(three_versions, "staging")


def test_a_label_survives_new_versions(labelled: tuple[Library, str]) -> None:
    library, three_versions = labelled
    library.versions.set_label(three_versions, "production", 3)
    library.prompts.update(three_versions, {"content": "v4"})
    assert library.prompts.resolve("Labelled@production").content == "v3"
    assert library.prompts.resolve("Labelled@latest").content == "v4"


@pytest.mark.parametrize("bad", ["", "latest", "1st", "has space", "x" * 65, "a/b"])
def test_bad_label_names_are_refused(labelled: tuple[Library, str], bad: str) -> None:
    library, three_versions = labelled
    with pytest.raises(ValidationError) as caught:
        library.versions.set_label(three_versions, bad)
    assert caught.value.field == "label"


def test_a_label_must_point_at_an_existing_version(labelled: tuple[Library, str]) -> None:
    library, three_versions = labelled
    with pytest.raises(NotFound, match="no version 7"):
        library.versions.set_label(three_versions, "production", 7)
    assert library.versions.labels(three_versions) == []


def test_add_and_remove_tags_make_versions(library: Library) -> None:
    prompt = library.prompts.create("Tagged", "tag me", tags=["a"])
    tagged = library.tags.add(prompt.id, ["b", " c ", "a"])
    assert tagged.tags == ("a", "b", "c")
    assert tagged.current_version == 2
    assert library.versions.history(prompt.id)[-1].change_message == "tagged b, c"
    untagged = library.tags.remove(prompt.id, ["a", "c"])
    assert untagged.tags == ("b",)
    assert library.versions.history(prompt.id)[-1].change_message == "untagged a, c"
    with pytest.raises(NothingToSave):
        library.tags.add(prompt.id, ["b"])
    with pytest.raises(NotFound, match="no tag 'zzz'"):
        library.tags.remove(prompt.id, ["b", "zzz"])
    assert library.prompts.get(prompt.id).tags == ("b",)


@pytest.mark.parametrize("bad", ["", "   ", "a,b", "tab\there", "line\nbreak", "x" * 65])
def test_bad_tags_are_refused(library: Library, bad: str) -> None:
    prompt = library.prompts.create("Tagged", "tag me")
    with pytest.raises(ValidationError) as caught:
        library.tags.add(prompt.id, [bad])
    assert caught.value.field == "tag"


def test_tag_colours_and_the_tag_list(library: Library) -> None:
    library.prompts.create("One", "one", tags=["red-team", "shared"])
    library.prompts.create("Two", "two", tags=["shared"])
    archived = library.prompts.create("Three", "three", tags=["gone"])
    library.prompts.archive(archived.id)

    tag = library.tags.set_colour("shared", "#00ff00")
    assert tag == Tag("shared", "#00ff00", 2)
    assert library.tags.set_colour("shared", "green") == Tag("shared", "green", 2)  # updated
    assert library.tags.set_colour("unused", "#abc") == Tag("unused", "#abc", 0)
    assert library.tags.all() == [
        Tag("red-team", None, 1),
        Tag("shared", "green", 2),
        Tag("unused", "#abc", 0),
    ]
    entry = library.audit.entries("tag:shared", limit=1)[0]
    assert (entry.action, entry.before, entry.after) == (
        "tag_colour",
        {"colour": "#00ff00"},
        {"colour": "green"},
    )


@pytest.mark.parametrize("bad", ["", "#12", "#1234567", "Red Bold", "x", 7])
def test_bad_colours_are_refused(library: Library, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        library.tags.set_colour("t", bad)  # type: ignore[arg-type]
    assert caught.value.field == "colour"
    assert library.tags.all() == []
