"""Shell completion (click's): verbs and options come with click; a REF completes with the
names and short ids of the prompts in the library the command would open (--db, else
PROMPTDECK_DB, else the default).

Completion runs at every TAB, in the middle of a command line: it opens the library read-only,
waits for no lock, creates nothing and says nothing. A missing file, one another process holds,
or one that is not a library completes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from click.shell_completion import BashComplete, CompletionItem

from storage import Library, PromptdeckError
from storage.models import short_id
from tui.cli.common import library_path

# What one TAB may list (bash asks before it shows more than 100).
LIMIT = 100


def prompt_refs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Live prompts: their names (the short id beside each where the shell shows help) and,
    once something is typed, the short ids that start with it."""
    return _refs(ctx, incomplete, archived=False)


def archived_refs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Archived prompts, for `unarchive`."""
    return _refs(ctx, incomplete, archived=True)


def _refs(ctx: click.Context, incomplete: str, *, archived: bool) -> list[CompletionItem]:
    path = library_path(ctx.find_root().params.get("db"))
    if isinstance(path, Path) and not path.is_file():
        return []  # a mistyped --db: nothing to complete, and no file made
    try:
        with Library(path, read_only=True, lock_timeout=0) as library:
            found = library.prompts.starting_with(incomplete, archived=archived, limit=LIMIT)
    except (PromptdeckError, OSError):
        return []  # locked, or not a library: a completion has nowhere to say so
    typed = incomplete.lower()
    names: dict[str, list[str]] = {}
    ids: list[CompletionItem] = []
    for name, prompt_id in found:
        if name.lower().startswith(typed):
            names.setdefault(name, []).append(short_id(prompt_id))
        if typed and short_id(prompt_id).startswith(typed):
            ids.append(CompletionItem(short_id(prompt_id), help=name))
    named = [
        CompletionItem(
            name, help=", ".join(shorts) if len(shorts) < 4 else f"{len(shorts)} prompts"
        )
        for name, shorts in names.items()
    ]
    return named + ids


class EscapingBashComplete(BashComplete):
    """Bash puts a completion on the line as it is, so a name with a space would become two
    words: escape what the shell would split or expand, as its own file completion does.
    click's bash script reads each line with `read` (no -r), which takes one backslash of
    two: so each escaping backslash is written twice."""

    def format_completion(self, item: CompletionItem[Any]) -> str:
        if item.type != "plain":
            return super().format_completion(item)
        return f"{item.type},{_UNSAFE.sub(_ESCAPED, str(item.value))}"


_UNSAFE = re.compile(r"[^\w@%+=:,./-]")  # all but what `printf %q` leaves as it is
_ESCAPED = r"\\\\\g<0>"  # two backslashes before it: `read` leaves one
