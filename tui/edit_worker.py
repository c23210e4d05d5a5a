"""What the editor's workers do, in plain values: read a prompt and its history, save (a new
version, a derived prompt or a new one) and embed what was saved, read a version with its diff,
restore one, render the saved prompt. Each write is one storage call (one transaction); a
refusal comes back as a message naming its field. No widgets here."""

from __future__ import annotations

from typing import Any

from storage import Library, PromptdeckError
from tui.messages import (
    Loaded,
    PromptSaved,
    RenderCopied,
    RenderFailed,
    Restored,
    SaveFailed,
    VersionRead,
)


def read_prompt(library: Library, ref: str) -> Loaded:
    prompt = library.prompts.get(ref)
    return Loaded(prompt, library.versions.history(prompt.id))


def save(
    library: Library, mode: str, ref: str | None, fields: dict[str, Any], message: str
) -> PromptSaved | SaveFailed:
    """Save (`edit`: a new version of `ref`; `derive`: a child of `ref`; `new`: a prompt of
    `fields`), then embed the saved prompt: two steps, the second never undoing the first."""
    try:
        if mode == "edit":
            assert ref is not None
            prompt = library.prompts.update(ref, fields, message)
        elif mode == "derive":
            assert ref is not None
            prompt = library.lineage.derive(ref, message=message, **fields)
        else:
            values = dict(fields)
            prompt = library.prompts.create(
                values.pop("name"), values.pop("content"), message=message, **values
            )
    except PromptdeckError as error:
        return SaveFailed(error)
    return PromptSaved(prompt, library.embeddings.after_save(prompt))


def read_version(library: Library, prompt_id: str, number: int) -> VersionRead:
    """The version, and its diff against the current one ("" for the current one)."""
    version = library.versions.get(prompt_id, number)
    current = library.prompts.get(prompt_id).current_version
    diff = library.versions.diff(prompt_id, number, current).as_text() if number != current else ""
    return VersionRead(version, diff, current)


def restore(library: Library, prompt_id: str, number: int) -> Restored:
    return Restored(library.versions.restore(prompt_id, number))


def render(library: Library, prompt_id: str, values: dict[str, str]) -> RenderCopied | RenderFailed:
    """The saved prompt rendered with `values`, recorded as a `rendered` use."""
    try:
        return RenderCopied(library.usage.use(prompt_id, values, event_type="rendered"))
    except PromptdeckError as error:
        return RenderFailed(error)
