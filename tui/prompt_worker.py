"""What the app's shared actions on a prompt do in their workers, in plain values: copy it,
use it (or ask for its variables first), rate it, archive or restore it. Each is one storage
call (one transaction) and returns the message that says how it went. No widgets here."""

from __future__ import annotations

from storage import Library, templates
from tui.messages import Notice, PromptCopied, PromptUsed, VariablesNeeded


def copy(library: Library, prompt_id: str) -> PromptCopied:
    prompt = library.prompts.get(prompt_id)
    library.usage.record(prompt_id, "copied")
    return PromptCopied(prompt)


def use(
    library: Library, prompt_id: str, values: dict[str, str] | None
) -> PromptUsed | VariablesNeeded:
    """Render and record a use; with no values given, a prompt with variables asks first."""
    if values is None:
        prompt = library.prompts.get(prompt_id)
        if names := templates.variables(prompt.content):
            return VariablesNeeded(prompt, names)
    return PromptUsed(prompt_id, library.usage.use(prompt_id, values or {}))


def rate(library: Library, prompt_id: str, rating: int, comment: str | None) -> Notice:
    library.usage.rate(prompt_id, rating, comment=comment)
    return Notice(f"rated {rating}/5")


def archive(library: Library, prompt_id: str, restoring: bool) -> Notice:
    """Archive the prompt, or with `restoring` take it out of the archive."""
    prompts = library.prompts
    prompt = prompts.unarchive(prompt_id) if restoring else prompts.archive(prompt_id)
    verb = "restored" if restoring else "archived (restore it from Archived in the sidebar)"
    return Notice(f"{prompt.name!r} {verb}")
