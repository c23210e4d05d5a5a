"""VariablesPanel: the {{variables}} of the text being edited, a live rendering, and the
reason the rendered text could not be copied (a missing variable, unsaved text) inline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from storage import templates
from tui.widgets.template_preview import rendered_text


class VariablesPanel(VerticalScroll):
    DEFAULT_CSS = """
    VariablesPanel { padding: 0 1; }
    VariablesPanel #variable-inputs { height: auto; }
    VariablesPanel #variables-empty { color: $text-muted; }
    VariablesPanel #rendered-title { margin-top: 1; text-style: bold; }
    VariablesPanel #rendered { border: round $panel-lighten-2; height: auto; padding: 0 1; }
    VariablesPanel #render-error { color: $text-error; text-style: bold; display: none; }
    VariablesPanel #render-error.-shown { display: block; }
    VariablesPanel Input.-invalid { border: tall $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.names: list[str] = []
        self.values: dict[str, str] = {}
        self.content = ""

    def compose(self) -> ComposeResult:
        yield Static("No {{variables}} in this prompt.", id="variables-empty")
        yield Vertical(id="variable-inputs")
        yield Label("Rendered", id="rendered-title")
        yield Static(id="render-error")
        yield Static(id="rendered")

    async def update_content(self, content: str) -> None:
        """Follow the text: add inputs for new variables, keep values typed for old ones."""
        self.content = content
        names = templates.variables(content)
        if names != self.names:
            self.names = names
            box = self.query_one("#variable-inputs", Vertical)
            await box.remove_children()
            widgets = []
            for name in names:
                widgets += [
                    Label(name),
                    # By name, not id: a variable may hold a dot (`{{user.name}}`), an id cannot.
                    Input(
                        self.values.get(name, ""),
                        placeholder=name,
                        name=name,
                        classes="variable",
                    ),
                ]
            await box.mount_all(widgets)
            self.query_one("#variables-empty").display = not names
        self._render_preview()

    def filled(self) -> dict[str, str]:
        """The values typed for the text's variables; an empty box is a missing variable."""
        return {name: self.values[name] for name in self.names if self.values.get(name)}

    def show_error(self, message: str, variable: str | None = None) -> None:
        """The error above the rendered text; the box of the variable it names is marked and
        focused."""
        error = self.query_one("#render-error", Static)
        error.update(Text(message))
        error.add_class("-shown")
        for box in self.query(".variable").results(Input):
            if box.name == variable:
                box.add_class("-invalid")
                box.focus()

    def clear_error(self) -> None:
        self.query_one("#render-error").remove_class("-shown")
        for box in self.query(".-invalid"):
            box.remove_class("-invalid")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.has_class("variable") and event.input.name:
            self.values[event.input.name] = event.value
            self._render_preview()

    def _render_preview(self) -> None:
        self.query_one("#rendered", Static).update(rendered_text(self.content, self.values))
