"""EvalResultScreen: one case against one target: the verdict, the case's variables, each
assertion (which failed and why, and a judge's score and reason per criterion), then the
output and its figures."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from storage import EvalCase, EvalResult
from tui.widgets.eval_matrix import STYLES, case_label


def result_text(result: EvalResult, case: EvalCase | None) -> Text:
    text = Text()
    text.append(f"{'verdict':>10}  ", style="dim")
    text.append(f"{result.verdict}\n", style=STYLES.get(result.verdict, ""))
    cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "-"
    rows = [
        ("target", f"{result.target.label} (attempt {result.attempt})"),
        ("variables", ", ".join(f"{k}={v!r}" for k, v in (case.vars if case else {}).items())
         or "-"),
        ("tokens", f"{result.tokens_in} in / {result.tokens_out} out"),
        ("cost", cost),
    ]  # fmt: skip
    if result.judge_score is not None:
        rows.append(("judge", f"{result.judge_score:.2f} of 5"))
    for label, value in rows:
        text.append(f"{label:>10}  ", style="dim")
        text.append(f"{value}\n")
    if result.error:
        text.append("\n── error ──\n", style="bold yellow")
        text.append(result.error + "\n")
    if result.assertions:
        text.append("\n── assertions ──\n", style="bold cyan")
    for check in result.assertions:
        mark, style = ("✓", "green") if check.passed else ("✗", "bold red")
        spec = check.spec.get("value", check.spec.get("rubric", ""))
        text.append(f"{mark} ", style=style)
        text.append(f"{check.type}", style="bold")
        text.append(f" {spec!r}" if spec not in ("", None) else "")
        text.append(f": {check.reason}\n", style="" if check.passed else "red")
        for criterion in check.criteria:
            text.append(
                f"    {criterion.name} {criterion.score}/5 (weight {criterion.weight:g}): ",
                style="dim",
            )
            text.append(f"{criterion.reason}\n")
    text.append("\n── output ──\n", style="bold green")
    text.append(result.output or "(none)")
    return text


class EvalResultScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="eval_result.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="eval_result.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="eval_result.up"),
        Binding(
            "y",
            "copy",
            "Copy output",
            id="eval_result.copy",
            tooltip="Copy the output to the clipboard (OSC 52, works over SSH)",
        ),
    ]
    DEFAULT_CSS = """
    EvalResultScreen .dialog { width: 95%; height: 90%; }
    EvalResultScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, result: EvalResult, case: EvalCase | None) -> None:
        super().__init__()
        self.subject = result
        self.case = case

    def compose(self) -> ComposeResult:
        named = case_label(self.case) if self.case else self.subject.case_id
        with Vertical(classes="dialog"):
            yield Static(f"Case {named} · {self.subject.target.label}", classes="title")
            with VerticalScroll():
                yield Static(result_text(self.subject, self.case))
            yield Static("j/k scroll · y copy the output · esc close", classes="hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.subject.output)
        self.notify(f"Output copied ({len(self.subject.output):,} characters)", title="Copy")

    def action_close(self) -> None:
        self.dismiss(None)
