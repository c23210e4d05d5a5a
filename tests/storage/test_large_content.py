"""A prompt of exactly 1 MiB of UTF-8 saves, loads back identical and edits to a new version."""

from __future__ import annotations

import pytest

from storage import Library, PromptFilter
from storage.errors import ValidationError
from storage.prompts.validation import MAX_CONTENT_BYTES, content_hash


def one_mebibyte(seed: str) -> str:
    """Exactly 1,048,576 bytes of UTF-8 mixing 1-, 2-, 3- and 4-byte characters."""
    unit = "a é € 😀 {{var}} "  # 1+1+2+1+3+1+4+1+7+1 = 22 bytes
    assert len(unit.encode("utf-8")) == 22
    head = f"{seed}\n"
    body_bytes = MAX_CONTENT_BYTES - len(head.encode("utf-8"))
    text = head + unit * (body_bytes // 22)
    text += "x" * (MAX_CONTENT_BYTES - len(text.encode("utf-8")))
    assert len(text.encode("utf-8")) == MAX_CONTENT_BYTES
    return text


def test_a_one_mebibyte_prompt_round_trips(library: Library) -> None:
    content = one_mebibyte("big one")
    created = library.prompts.create("Big", content)
    loaded = library.prompts.get(created.id)
    assert loaded.content == content
    assert loaded.content_hash == content_hash(content)
    assert library.versions.history(created.id)[0].content == content
    assert library.prompts.get("Big").content == content
    assert library.prompts.count_prompts(PromptFilter(text="😀 {{var}}")) == 1
    assert library.prompts.list_prompts()[0].name == "Big"

    edited = content[:-1] + "y"
    assert len(edited.encode("utf-8")) == MAX_CONTENT_BYTES
    after = library.prompts.update(created.id, {"content": edited}, "last byte")
    assert after.current_version == 2
    v1, v2 = library.versions.history(created.id)
    assert (v1.content, v2.content) == (content, edited)
    diff = library.versions.diff(created.id)
    assert diff.unified.endswith("+" + edited.splitlines()[-1])
    assert library.usage.render(created.id, {"var": "V"}).count("V") == content.count("{{var}}")

    with pytest.raises(ValidationError) as caught:
        library.prompts.update(created.id, {"content": edited + "z"})
    assert caught.value.field == "content"
    assert "1048577 bytes" in str(caught.value)
    assert library.prompts.get(created.id).current_version == 2


def test_a_one_mebibyte_prompt_can_be_derived_and_deleted(library: Library) -> None:
    parent = library.prompts.create("Big parent", one_mebibyte("parent"))
    child = library.lineage.derive(parent.id, name="Big child", content=one_mebibyte("child"))
    assert library.prompts.get(child.id).content == one_mebibyte("child")
    library.prompts.delete(parent.id, force=True)
    entry = library.audit.entries(f"prompt:{parent.id}", limit=1)[0]
    assert entry.before["versions"][0]["content"] == one_mebibyte("parent")
