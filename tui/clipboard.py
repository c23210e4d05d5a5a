"""Clipboard through OSC 52, which reaches the user's own machine over SSH."""

from __future__ import annotations

import base64
import os


def osc52(text: str, *, in_tmux: bool | None = None) -> str:
    """The escape sequence that sets the clipboard; wrapped in a tmux passthrough inside tmux
    (tmux then hands it on to the outer terminal: needs `allow-passthrough on`)."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;c;{payload}\x07"
    if in_tmux if in_tmux is not None else bool(os.environ.get("TMUX")):
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence
