"""VariablesScreen: a value for each {{variable}}, with the rendered text as you type."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.widgets.template_preview import rendered_text


class Fields(VerticalScroll, can_focus=False):
    """The variables' rows: scrolled by focus, not a tab stop of its own."""


class VariablesScreen(ModalScreen[dict[str, str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="variables.cancel"),
        Binding("ctrl+s", "submit", "Use", id="variables.submit"),
    ]
    DEFAULT_CSS = """
    VariablesScreen .dialog { width: 90; overflow-y: hidden; }
    VariablesScreen #fields { height: auto; max-height: 30vh; }
    VariablesScreen .variable-row { height: 1; }
    VariablesScreen .variable-row Label { width: 20; color: $text-muted; }
    VariablesScreen .variable-row Input { width: 1fr; }
    VariablesScreen #rendered { height: auto; max-height: 25vh; border: round $panel-lighten-2; }
    """

    def __init__(self, name: str, content: str, names: list[str]) -> None:
        super().__init__()
        self.prompt_name, self.content, self.names = name, content, names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Use {self.prompt_name!r}: fill in the variables", classes="title")
            # The fields scroll (to the focused one); the preview and the hint stay in view.
            with Fields(id="fields"):
                for name in self.names:
                    with Horizontal(classes="variable-row"):
                        yield Label(name)
                        yield Input(placeholder=name, name=name, classes="variable", compact=True)
            with VerticalScroll(id="rendered"):
                yield Static(id="rendered-text")
            yield Static("enter next/use · ctrl+s use · esc cancel", classes="hint")

    def on_mount(self) -> None:
        self._render_preview()

    def values(self) -> dict[str, str]:
        # By name, not id: a variable may hold dots and dashes, which ids cannot.
        return {box.name or "": box.value for box in self.query(".variable").results(Input)}

    def on_input_changed(self) -> None:
        self._render_preview()

    def _render_preview(self) -> None:
        self.query_one("#rendered-text", Static).update(rendered_text(self.content, self.values()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(".variable").results(Input))
        position = inputs.index(event.input)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
