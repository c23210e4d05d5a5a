"""StatusLine: what just happened (wrapped, up to three lines, never cut mid-sentence);
errors stay as storage worded them."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: auto; max-height: 3; padding: 0 1; color: $text-muted; background: $panel;
    }
    StatusLine.-error { color: $text-error; background: $error-muted; text-style: bold; }
    """

    def say(self, text: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(text)
