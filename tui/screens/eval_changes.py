"""EvalChangesScreen: the cases whose verdict changed between two targets of the latest eval, or
from the eval before it: pass → FAIL in red (broke), FAIL → pass in green (fixed)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from storage import EvalCase, VerdictChange
from storage.models import short_id
from tui.keys import key
from tui.widgets.eval_matrix import STYLES, WORDS, case_label


def changes_text(changes: list[VerdictChange], cases: dict[str, EvalCase]) -> Text:
    """A line per change: the case, before → after in their colours, and the targets."""
    text = Text()
    if not changes:
        return text.append("no case changed verdict", style="dim")
    for change in changes:
        case = cases.get(change.case_id)
        text.append(case_label(case) if case else f"(removed) {short_id(change.case_id)}")
        text.append("  ")
        text.append(WORDS.get(change.before, change.before), STYLES.get(change.before, "bold"))
        text.append(" → ")
        text.append(WORDS.get(change.after, change.after), STYLES.get(change.after, "bold"))
        word, style = _direction(change)
        text.append(f"  {word}", style=style)
        targets = f"{change.before_target.label} → {change.after_target.label}"
        text.append(f"  {targets}\n", style="dim")
    return text


def _direction(change: VerdictChange) -> tuple[str, str]:
    if change.before == "pass":
        return "broke", "red"
    if change.after == "pass":
        return "fixed", "green"
    return "changed", "yellow"


class EvalChangesScreen(ModalScreen[None]):
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("escape,q", "close", "Close", "eval_changes.close", "Back to the matrix"),
        key("j,down", "scroll(1)", "Down", "eval_changes.down", "Scroll down", show=False),
        key("k,up", "scroll(-1)", "Up", "eval_changes.up", "Scroll up", show=False),
    ]
    # fmt: on
    CSS_PATH = "eval_changes.tcss"

    def __init__(
        self, title: str, changes: list[VerdictChange], cases: dict[str, EvalCase]
    ) -> None:
        super().__init__()
        self.heading, self.changes, self.cases = title, changes, cases

    def compose(self) -> ComposeResult:
        count = len(self.changes)
        with Vertical(classes="dialog"):
            yield Static(f"Changed verdicts ({count}): {self.heading}", classes="title")
            with VerticalScroll():
                yield Static(changes_text(self.changes, self.cases), id="changes")
            yield Static("j/k scroll · esc close", classes="hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
