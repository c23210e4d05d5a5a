"""promptdeck's command line: `promptdeck [OPTIONS] VERB ...`, or the TUI when no verb is given.

Every verb calls the storage.Library facade. Exit codes: 0 ok, 1 a user error (one line on
stderr: `promptdeck: <message>`), 2 a usage error. Nothing here imports Textual: the group is
built around the callbacks that tui.main supplies: `open_tui`, and `run_pick` for the
inline picker of `promptdeck pick`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import click
from click.shell_completion import add_completion_class

from tui.cli.common import LibraryLocation, Seconds, State, library_path
from tui.cli.completion import EscapingBashComplete
from tui.cli.pick import RUN_PICK, RunPick
from tui.cli.verbs import VerbGroup

__all__ = ["OpenTui", "RunPick", "build"]


class OpenTui(Protocol):
    """Opens the TUI on a library file (what the group does when no verb is given)."""

    def __call__(
        self, path: Path | str, *, demo: bool, read_only: bool, lock_timeout: float
    ) -> None: ...


def build(open_tui: OpenTui, run_pick: RunPick) -> click.Group:
    """The `promptdeck` group with every verb (each imported when it runs: tui.cli.verbs);
    with no verb it calls `open_tui`; `pick` calls `run_pick`."""

    @click.group(
        cls=VerbGroup,
        invoke_without_command=True,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    @click.option(
        "--db",
        type=LibraryLocation(),
        envvar="PROMPTDECK_DB",
        metavar="PATH",
        help="Library file, or a team library as 'ducklake:postgres:<conninfo>' (env "
        "PROMPTDECK_DB; default: [library] db in the config file, else library.duckdb in the "
        "user data dir). Created on first use.",
    )
    @click.option(
        "--read-only", is_flag=True, help="Open the library read-only: writing verbs fail."
    )
    @click.option(
        "--demo", is_flag=True, help="Open the TUI on a throwaway copy of a sample library."
    )
    @click.option(
        "--lock-timeout",
        type=Seconds(),
        default=5.0,
        show_default=True,
        envvar="PROMPTDECK_LOCK_TIMEOUT",
        metavar="SECONDS",
        help="How long to wait for another process's lock on the file "
        "(env PROMPTDECK_LOCK_TIMEOUT).",
    )
    @click.version_option(package_name="promptdeck", prog_name="promptdeck")
    @click.pass_context
    def main(
        ctx: click.Context, db: Path | str | None, read_only: bool, demo: bool, lock_timeout: float
    ) -> None:
        """A library of LLM prompts in one DuckDB file. With no VERB, open the TUI.

        REF, wherever a prompt is expected: a full id, an exact name, a unique start or end of the
        id (the 8-character short id that `list` shows), and REF@label, REF@N or REF@latest to pin
        a version."""
        path = library_path(db)
        ctx.obj = State(path, read_only=read_only, lock_timeout=lock_timeout)
        ctx.call_on_close(ctx.obj.close)
        ctx.meta[RUN_PICK] = run_pick
        if ctx.invoked_subcommand is not None:
            if demo:
                raise click.UsageError("--demo opens the TUI on a sample library; it takes no verb")
            return
        open_tui(path, demo=demo, read_only=read_only, lock_timeout=lock_timeout)

    add_completion_class(EscapingBashComplete)  # _PROMPTDECK_COMPLETE=bash_... uses it
    return main
