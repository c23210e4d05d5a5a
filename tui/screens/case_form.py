"""CaseFormScreen: a test case written by hand, kept from a run, or changed: a value per
{{variable}} (a run's are shown, not typed), a description, and the assertions one a line (JSON
as a case file has it, or `TYPE VALUE`). ctrl+s keeps it through a worker; storage checks every
assertion and a refusal is shown here, nothing kept and what was typed left as it was."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from storage import ASSERTION_TYPES, EvalCase
from storage.models import short_id
from tui.case_worker import CaseDraft, save_case
from tui.deck import deck_of
from tui.keys import key
from tui.messages import CaseRefused, CaseSaved, LibraryChanged

EXAMPLES = (
    "contains HELLO\nmax-length 200\njudge RUBRIC\n"
    '{"type": "similar", "value": "Hello!", "threshold": 0.8}'
)
HINT = "one a line: TYPE VALUE, or JSON as a case file has it · " + " ".join(ASSERTION_TYPES)


class Fields(VerticalScroll, can_focus=False):
    """The variables' rows: scrolled by focus, not a tab stop of its own."""


class CaseFormScreen(ModalScreen[EvalCase | None]):
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+s", "save", "Keep case", "case_form.save",
            "Keep the case (every assertion is checked first)"),
        key("escape", "cancel", "Cancel", "case_form.cancel", "Close without keeping anything"),
    ]
    # fmt: on
    CSS_PATH = "case_form.tcss"

    def __init__(self, draft: CaseDraft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        draft = self.draft
        with Vertical(classes="dialog"):
            yield Static(self._title(), classes="title")
            with Fields(id="case-fields"):
                yield self._row("description", draft.description, "case-description")
                if draft.run_id is None:
                    for name in draft.names:
                        yield self._row(name, draft.values.get(name, ""), "case-variable")
            if draft.run_id is not None:
                said = ", ".join(f"{k}={v!r}" for k, v in draft.values.items()) or "none"
                yield Static(f"variables (the run's): {said}", id="case-run-vars")
            yield Static("Assertions", classes="case-label")
            yield TextArea(
                draft.lines, id="case-asserts", soft_wrap=True, compact=True, placeholder=EXAMPLES
            )
            yield Static(HINT, id="case-types")
            yield Static(id="case-error", classes="error")
            yield Static("ctrl+s keep · tab next · esc cancel", classes="hint")

    def _title(self) -> str:
        draft = self.draft
        if draft.case_id is not None:
            return f"Change case {short_id(draft.case_id)} of {draft.prompt_name}"
        if draft.run_id is not None:
            return f"Keep run {short_id(draft.run_id)} as a case of {draft.prompt_name}"
        return f"New case for {draft.prompt_name}"

    @staticmethod
    def _row(name: str, value: str, kind: str) -> Horizontal:
        box = Input(value, placeholder=name, name=name, classes=kind, compact=True)
        return Horizontal(Label(name), box, classes="case-row")

    def on_mount(self) -> None:
        boxes = list(self.query(".case-variable").results(Input))
        (boxes[0] if boxes else self.query_one("#case-asserts", TextArea)).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _filled(self) -> CaseDraft:
        values = {box.name or "": box.value for box in self.query(".case-variable").results(Input)}
        if self.draft.run_id is not None:
            values = self.draft.values
        description = self.query_one(".case-description", Input).value.strip()
        lines = self.query_one("#case-asserts", TextArea).text
        return self.draft.filled(values, lines, description)

    def action_save(self) -> None:
        self.query_one("#case-error", Static).update("")
        self.keep(self._filled())

    @work(thread=True, exclusive=True, group="case-save", exit_on_error=False)
    def keep(self, draft: CaseDraft) -> None:
        self.post_message(save_case(deck_of(self.app).library, draft))

    def on_case_saved(self, message: CaseSaved) -> None:
        self.app.post_message(LibraryChanged(select=message.case.prompt_id))
        self.dismiss(message.case)

    def on_case_refused(self, message: CaseRefused) -> None:
        self.query_one("#case-error", Static).update(message.error)

    def action_cancel(self) -> None:
        self.dismiss(None)
