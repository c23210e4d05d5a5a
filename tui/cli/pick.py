"""pick: choose a prompt in an inline picker and print its text (for `llm "$(promptdeck pick)"`).

The picker is Textual: tui.main hands it to the group (build's `run_pick`), which keeps it on
the context, so that this module never imports Textual."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import click

from storage.errors import PromptdeckError
from tui.cli.common import State
from tui.cli.output import echo_text
from tui.clipboard import osc52

RUN_PICK = "promptdeck.run_pick"  # the context's meta key of the RunPick the group was built with
TTY = "/dev/tty"


class RunPick(Protocol):
    """Runs the picker on the library at `path`: the text picked (the prompt's id with `ids`),
    or None when nothing was picked."""

    def __call__(
        self, path: Path | str, *, query: str, ids: bool, read_only: bool, lock_timeout: float
    ) -> str | None: ...


@click.command()
@click.argument("query", required=False, default="")
@click.option(
    "--copy", is_flag=True, help="Copy the text to the clipboard (OSC 52) instead of printing it."
)
@click.option(
    "--id", "ids", is_flag=True, help="Print the prompt's id instead (no variables are asked)."
)
@click.pass_context
def pick(ctx: click.Context, query: str, copy: bool, ids: bool) -> None:
    """Pick a prompt in an inline picker and print it, its {{variables}} filled in.

    Type to narrow (ctrl+t: text, semantic or hybrid search), up/down (ctrl+p/ctrl+n) to move,
    enter to pick, then a value for each variable; esc or ctrl+c picks nothing (exit 1). The
    picker is drawn on the terminal, so `llm "$(promptdeck pick)"` works. Records a use (not
    on a --read-only library)."""
    state = ctx.find_object(State)
    run: RunPick | None = ctx.meta.get(RUN_PICK)
    if state is None or run is None:  # pragma: no cover - every verb runs under `main`
        raise RuntimeError("pick runs under the promptdeck group")
    picked = run(
        state.path,
        query=query,
        ids=ids,
        read_only=state.read_only,
        lock_timeout=state.lock_timeout,
    )
    if picked is None:
        ctx.exit(1)
    if copy:
        _copy(picked)
        what = "the id" if ids else f"{len(picked):,} characters"
        click.echo(f"promptdeck: copied {what} to the clipboard", err=True)
    else:
        echo_text(picked)


def _copy(text: str) -> None:
    """OSC 52 to the terminal (not stdout, which a script may be reading)."""
    try:
        with open(TTY, "w", encoding="utf-8") as terminal:
            terminal.write(osc52(text))
    except OSError as error:
        raise PromptdeckError(f"cannot copy: {TTY}: {error.strerror or error}") from error


COMMANDS = (pick,)
