"""EvalSetupScreen: what an eval runs, as `promptdeck eval` chooses it: versions, models, the
provider, repeat, the judge model, only the failed cases, a case file. Opened filled with what
the screen runs now (at first the CLI's defaults: empty boxes); enter runs it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from tui.eval_worker import EvalSetup, words
from tui.keys import key

MAX_REPEAT = 100  # as `promptdeck eval --repeat`


class EvalSetupScreen(ModalScreen[tuple[EvalSetup, bool] | None]):
    """Dismissed with (the setup, only the failed cases) to run it, or None."""

    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+s", "run", "Run eval", "eval_setup.run", "Run the eval as set up here"),
        key("escape", "cancel", "Cancel", "eval_setup.cancel", "Close without running"),
    ]
    # fmt: on
    CSS_PATH = "eval_setup.tcss"

    def __init__(
        self, setup: EvalSetup, only_failed: bool, provider: str, default_model: str
    ) -> None:
        super().__init__()
        self.setup, self.only_failed = setup, only_failed
        self.provider, self.default_model = provider, default_model

    def compose(self) -> ComposeResult:
        setup = self.setup
        with Vertical(classes="dialog"):
            yield Static("Set up the eval", classes="title")
            current = "the current one (or: 1 2 production)"
            yield self._row("versions", " ".join(setup.versions), current)
            yield self._row("models", " ".join(setup.models), f"{self.default_model}")
            yield self._row("provider", setup.provider or "", f"{self.provider} ([llm])")
            yield self._row("repeat", str(setup.repeat), "1")
            yield self._row("judge model", setup.judge_model or "", "the model answering")
            yield self._row("case file", setup.cases_file or "", "the prompt's cases")
            yield Checkbox("only the cases that did not pass last time", self.only_failed,
                           id="setup-failed", compact=True)  # fmt: skip
            yield Static(id="setup-error", classes="error")
            yield Static(
                "several versions or models: separate them with spaces · enter next · "
                "ctrl+s run · esc cancel",
                classes="hint",
            )

    @staticmethod
    def _row(name: str, value: str, placeholder: str) -> Horizontal:
        box = Input(value, placeholder=placeholder, name=name, classes="setup-box", compact=True)
        return Horizontal(Label(name), box, classes="setup-row")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _box(self, name: str) -> str:
        for box in self.query(".setup-box").results(Input):
            if box.name == name:
                return box.value.strip()
        return ""  # pragma: no cover - every box is composed

    def action_run(self) -> None:
        repeat = self._box("repeat") or "1"
        if not repeat.isdigit() or not 1 <= int(repeat) <= MAX_REPEAT:
            why = f"repeat: a whole number from 1 to {MAX_REPEAT} (got {repeat!r})"
            self.query_one("#setup-error", Static).update(why)
            return
        setup = EvalSetup(
            versions=tuple(v.lstrip("@") for v in words(self._box("versions"))),
            models=words(self._box("models")),
            provider=self._box("provider") or None,
            repeat=int(repeat),
            judge_model=self._box("judge model") or None,
            cases_file=self._box("case file") or None,
        )
        self.dismiss((setup, self.query_one("#setup-failed", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
