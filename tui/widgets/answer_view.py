"""AnswerView: a model's answer as it streams in (read-only, wrapped, selectable), and under it
how the run ended: tokens (~ estimated), cost, time to the first token and in total, the
finish reason, or why it failed, on one line."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from storage import Run
from tui.shared import run_format


class AnswerView(Vertical):
    DEFAULT_CSS = """
    AnswerView { height: 1fr; border: round $panel-lighten-2; }
    AnswerView:focus-within { border: round $accent; }
    AnswerView TextArea { height: 1fr; border: none; padding: 0 1; }
    AnswerView .figures { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    AnswerView .figures.-failed { color: $text-error; text-style: bold; }
    """

    def __init__(self, hint: str = "", *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._hint = hint

    def compose(self) -> ComposeResult:
        yield TextArea(read_only=True, soft_wrap=True, show_cursor=False, compact=True)
        yield Static(Text(self._hint), classes="figures")

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def begin(self, title: str) -> None:
        """A new answer: empty, titled with what is asked (version, model)."""
        self.border_title = title
        self.query_one(TextArea).load_text("")
        self._say("waiting for the first token… (esc cancels)")

    def add(self, text: str) -> None:
        area = self.query_one(TextArea)
        following = area.scroll_y >= area.max_scroll_y  # a reader who scrolled up stays put
        area.insert(text, area.document.end)
        if following:
            area.scroll_end(animate=False, immediate=True)

    def streaming(self) -> None:
        self._say("streaming… (esc cancels)")

    def end(self, run: Run | None, error: str | None) -> None:
        """How it ended: the run's figures, or (nothing sent) the reason."""
        failed = error is not None or (run is not None and run.status == "failed")
        if run is not None:
            said = run_format.figures(run)
            if error and run.error != error:
                said += f" · {error}"
        else:
            said = error or ""
        self._say(said, failed=failed)

    def _say(self, text: str, *, failed: bool = False) -> None:
        figures = self.query_one(".figures", Static)
        figures.set_class(failed, "-failed")
        figures.update(Text(text))
