"""RunDetailScreen: one run whole: what was asked (model, version, variables, parameters), the
messages sent, the output, and its figures; `c` keeps it as a test case (the case form)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from storage import EvalCase, Run
from storage.models import short_id
from tui.case_worker import draft_from_run
from tui.screens.case_form import CaseFormScreen
from tui.shared import formatting, run_format


def keep_as_case(screen: Screen[Any], run: Run) -> None:
    """Open the case form on the run's variables and output; say so when it is kept."""

    def kept(case: EvalCase | None) -> None:
        if case is not None:
            screen.notify(f"Case {short_id(case.id)} kept for {run.prompt_name}", title="Evals")

    screen.app.push_screen(CaseFormScreen(draft_from_run(run)), kept)


def run_text(run: Run) -> Text:
    text = Text()
    parameters = ", ".join(f"{k} {v}" for k, v in run.parameters.items() if v is not None)
    rows = (
        ("model", run_format.model(run)),
        ("version", f"v{run.version}"),
        ("ended", run_format.ending(run)),
        ("tokens", run_format.tokens(run) + (" (~ estimated)" if run.tokens_estimated else "")),
        ("cost", run_format.cost(run)),
        ("time", f"first token {run_format.ms(run.first_token_ms)}, "
                 f"total {run_format.ms(run.latency_ms)}"),
        ("variables", ", ".join(f"{k}={v!r}" for k, v in run.variables.items()) or "-"),
        ("parameters", parameters or "-"),
    )  # fmt: skip
    for label, value in rows:
        text.append(f"{label:>10}  ", style="dim")
        text.append(f"{value}\n")
    for message in run.messages:
        text.append(f"\n── {message.role} ──\n", style="bold cyan")
        text.append(message.content + "\n")
    text.append("\n── output ──\n", style="bold green")
    text.append(run.output or "(none)")
    return text


class RunDetailScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="run_detail.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="run_detail.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="run_detail.up"),
        Binding(
            "y",
            "copy",
            "Copy output",
            id="run_detail.copy",
            tooltip="Copy the output to the clipboard (OSC 52, works over SSH)",
        ),
        Binding(
            "c",
            "keep_case",
            "Keep as case",
            id="run_detail.keep_case",
            tooltip="A test case of the prompt: this run's variables, checked against its output",
        ),
    ]
    DEFAULT_CSS = """
    RunDetailScreen .dialog { width: 95%; height: 90%; }
    RunDetailScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.subject = run

    def compose(self) -> ComposeResult:
        run = self.subject
        with Vertical(classes="dialog"):
            yield Static(
                f"Run {short_id(run.id)} of {run.prompt_name} · "
                f"{formatting.date_time(run.created_at)}",
                classes="title",
            )
            with VerticalScroll():
                yield Static(run_text(run))
            yield Static(
                "j/k scroll · y copy the output · c keep as a case · esc close", classes="hint"
            )

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.subject.output)
        self.notify(f"Output copied ({len(self.subject.output):,} characters)", title="Copy")

    def action_keep_case(self) -> None:
        keep_as_case(self, self.subject)

    def action_close(self) -> None:
        self.dismiss(None)
