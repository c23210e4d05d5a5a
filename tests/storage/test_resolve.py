"""create / get / resolve: by id, name, short id, id prefix, pinned versions, ambiguity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Library, Prompt
from storage.errors import AmbiguousReference, NotFound
from storage.models import short_id
from storage.prompts.validation import content_hash


def test_create_returns_the_saved_prompt(library: Library) -> None:
    prompt = library.prompts.create(
        "Summarise",
        "Summarise {{text}} in three bullets.",
        description="  short summary  ",
        folder=" writing / notes/ ",
        tags=["writing", "summary", "writing"],
        phase="draft",
        provider="openai",
        model="gpt-4o",
        temperature=0.4,
        max_tokens=512,
        format_type="markdown",
        language="en",
        metadata={"owner": "me", "n": [1, 2]},
    )
    assert isinstance(prompt, Prompt)
    assert prompt.id == "00000000-0000-7000-8000-000000000001"
    assert prompt.name == "Summarise"
    assert prompt.description == "short summary"
    assert prompt.folder == "writing/notes"
    assert prompt.tags == ("writing", "summary")
    assert prompt.temperature == 0.4 and prompt.max_tokens == 512
    assert prompt.metadata == {"owner": "me", "n": [1, 2]}
    assert prompt.content_hash == content_hash(prompt.content)
    assert prompt.current_version == 1
    assert prompt.source_type == "manual"
    assert prompt.usage_count == 0 and prompt.generation_count == 0
    assert prompt.relevance_score == 1.0
    assert prompt.created_at == prompt.updated_at
    assert prompt.archived_at is None and not prompt.archived
    assert library.prompts.get(prompt.id) == prompt
    (version,) = library.versions.history(prompt.id)
    assert (version.version, version.content, version.change_message) == (
        1,
        prompt.content,
        "created",
    )


def test_get_by_id_name_short_id_and_prefix(tmp_path: Path) -> None:
    ids: Iterator[str] = iter(
        [
            "0190aaaa-1111-7000-8000-00000000abcd",
            "0190aaaa-2222-7000-8000-00000000ef01",
        ]
    )
    lib = Library(tmp_path / "ids.duckdb", new_id=lambda: next(ids)).open()
    first = lib.prompts.create("First", "one")
    second = lib.prompts.create("Second", "two")
    assert lib.prompts.get(first.id).id == first.id
    assert lib.prompts.get("First").id == first.id
    assert lib.prompts.get("  Second  ").id == second.id
    assert short_id(first.id) == "0000abcd"
    assert lib.prompts.get("0000abcd").id == first.id  # the short id: the end of the id
    assert lib.prompts.get("0000ef01").id == second.id
    assert lib.prompts.get("0190aaaa-1").id == first.id  # a unique start of the id
    assert lib.prompts.get("0190aaaa-2222").id == second.id
    with pytest.raises(AmbiguousReference, match="id part '0190aaaa' matches 2 prompts"):
        lib.prompts.get("0190aaaa")
    with pytest.raises(NotFound):
        lib.prompts.get("0190")  # too short to be taken as part of an id
    with pytest.raises(NotFound):
        lib.prompts.get("ffffffff")


def test_an_id_part_matching_several_prompts_is_ambiguous(library: Library) -> None:
    for n in range(3):
        library.prompts.create(f"p{n}", f"content {n}")
    with pytest.raises(AmbiguousReference, match="matches 3 prompts"):
        library.prompts.get("00000000-0000-7000")


def test_a_name_shared_by_two_live_prompts_is_ambiguous(library: Library) -> None:
    a = library.prompts.create("Twin", "first twin")
    b = library.prompts.create("Twin", "second twin")
    with pytest.raises(AmbiguousReference, match="'Twin' names 2 prompts") as caught:
        library.prompts.get("Twin")
    assert short_id(a.id) in str(caught.value) and short_id(b.id) in str(caught.value)
    library.prompts.archive(a.id)
    assert library.prompts.get("Twin").id == b.id  # a live prompt wins over an archived one


def test_an_archived_prompt_is_still_found_by_name(library: Library) -> None:
    prompt = library.prompts.create("Old", "old content")
    library.prompts.archive("Old")
    assert library.prompts.get("Old").id == prompt.id


def test_unknown_and_empty_references(library: Library) -> None:
    library.prompts.create("Known", "known content")
    with pytest.raises(NotFound, match="no prompt matches 'Unknown'"):
        library.prompts.get("Unknown")
    with pytest.raises(NotFound):
        library.prompts.get("   ")


def test_pinned_versions(library: Library) -> None:
    prompt = library.prompts.create("Pinned", "v1 text")
    library.prompts.update(prompt.id, {"content": "v2 text"})
    library.prompts.update(prompt.id, {"content": "v3 text"})
    library.versions.set_label(prompt.id, "production", 2)

    by_label = library.prompts.resolve("Pinned@production")
    assert by_label.version is not None and by_label.version.version == 2
    assert by_label.content == "v2 text"
    assert by_label.prompt.content == "v3 text"  # the prompt itself is the current state

    assert library.prompts.resolve(f"{prompt.id}@1").content == "v1 text"
    assert library.prompts.resolve(f"{short_id(prompt.id)}@3").content == "v3 text"
    latest = library.prompts.resolve("Pinned@latest")
    assert latest.version is not None and latest.version.version == 3
    assert library.prompts.resolve("Pinned").version is None

    with pytest.raises(NotFound, match="no version 4 .versions 1..3."):
        library.prompts.resolve("Pinned@4")
    with pytest.raises(NotFound, match="no label 'staging'"):
        library.prompts.resolve("Pinned@staging")
    with pytest.raises(NotFound):
        library.prompts.resolve("Nobody@1")


def test_a_name_containing_at_is_matched_whole_first(library: Library) -> None:
    plain = library.prompts.create("mail", "plain mail")
    at = library.prompts.create("mail@2", "the prompt literally named mail@2")
    library.prompts.update(plain.id, {"content": "plain mail v2"})
    assert library.prompts.resolve("mail@2").prompt.id == at.id
    assert library.prompts.resolve("mail@1").content == "plain mail"
