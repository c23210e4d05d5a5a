"""DiffScreen: a unified diff, coloured, scrollable."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_STYLES = (
    ("+++", "bold"),
    ("---", "bold"),
    ("@@", "cyan"),
    ("+", "green"),
    ("-", "red"),
    ("#", "yellow"),
)


def coloured_diff(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        style = next((s for prefix, s in _STYLES if line.startswith(prefix)), "")
        text.append(line + "\n", style=style)
    return text


class DiffScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="diff.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="diff.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="diff.up"),
    ]
    DEFAULT_CSS = """
    DiffScreen .dialog { width: 95%; height: 90%; }
    DiffScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title_text, self.diff = title, diff

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            with VerticalScroll():
                yield Static(coloured_diff(self.diff) if self.diff.strip() else "No differences.")
            yield Static("j/k scroll · esc close", classes="hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
