"""The `promptdeck` console script: the CLI, which opens the TUI when no verb is given.

Only the no-verb path (tui.app) and `pick` (tui.pick) import Textual, when they run, so
any other verb never loads it."""

from __future__ import annotations

from pathlib import Path

from tui.cli import build


def open_app(path: Path | str, *, demo: bool, read_only: bool, lock_timeout: float) -> None:
    from tui.app import run_app

    run_app(path, demo=demo, read_only=read_only, lock_timeout=lock_timeout)


def run_pick(
    path: Path | str, *, query: str, ids: bool, read_only: bool, lock_timeout: float
) -> str | None:
    from tui.pick.run import run_pick as pick

    return pick(path, query=query, ids=ids, read_only=read_only, lock_timeout=lock_timeout)


main = build(open_app, run_pick)
