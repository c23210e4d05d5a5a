"""The terminal the picker draws on: /dev/tty, not stdout, so that `llm "$(promptdeck pick)"`
shows the picker while `$(...)` captures only the text picked.

Textual's inline driver writes to stderr, reads stdin and asks stdout for the terminal's size
(shutil.get_terminal_size): under `$(...)` stdout is a pipe, so the width would be a guess,
and with stderr or stdin redirected the picker would vanish or go deaf. TerminalDriver is that
driver on the controlling terminal (run.py opens it), for all three."""

from __future__ import annotations

import os
from typing import Any, TextIO

from textual.app import App
from textual.driver import Driver
from textual.drivers.linux_inline_driver import LinuxInlineDriver


def terminal_driver(terminal: TextIO) -> type[Driver]:
    """Textual's inline driver on `terminal` (App(driver_class=...) builds it)."""

    class TerminalDriver(LinuxInlineDriver):
        def __init__(self, app: App[Any], **options: Any) -> None:
            super().__init__(app, **options)
            self.fileno = terminal.fileno()  # the keys are read from here

        def write(self, data: str) -> None:
            terminal.write(data)

        def flush(self) -> None:
            terminal.flush()

        def _get_terminal_size(self) -> tuple[int, int]:
            # Textual's asks stdout, which `$(...)` captures.
            size = os.get_terminal_size(terminal.fileno())
            return size.columns or 80, size.lines or 24

    return TerminalDriver
