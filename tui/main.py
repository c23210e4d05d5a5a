"""The `promptdeck` console script: the CLI, which opens the TUI when no verb is given.

Only that no-verb path imports tui.app, so a verb never loads Textual."""

from __future__ import annotations

from pathlib import Path

from tui.cli import build


def open_app(path: Path, *, demo: bool, read_only: bool, lock_timeout: float) -> None:
    from tui.app import run_app

    run_app(path, demo=demo, read_only=read_only, lock_timeout=lock_timeout)


main = build(open_app)
