"""VariablesPanel: the {{variables}} of the text being edited, and a live rendering."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from storage.templates import variables
from tui.widgets.template_preview import rendered_text


class VariablesPanel(VerticalScroll):
    DEFAULT_CSS = """
    VariablesPanel { padding: 0 1; }
    VariablesPanel #variable-inputs { height: auto; }
    VariablesPanel #variables-empty { color: $text-muted; }
    VariablesPanel #rendered-title { margin-top: 1; text-style: bold; }
    VariablesPanel #rendered { border: round $panel-lighten-2; height: auto; padding: 0 1; }
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
        yield Static(id="rendered")

    async def update_content(self, content: str) -> None:
        """Follow the text: add inputs for new variables, keep values typed for old ones."""
        self.content = content
        names = variables(content)
        if names != self.names:
            self.names = names
            box = self.query_one("#variable-inputs", Vertical)
            await box.remove_children()
            widgets = []
            for name in names:
                widgets += [
                    Label(name),
                    Input(
                        self.values.get(name, ""),
                        placeholder=name,
                        id=f"var-{name}",
                        classes="variable",
                    ),
                ]
            await box.mount_all(widgets)
            self.query_one("#variables-empty").display = not names
        self._render_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("var-"):
            self.values[event.input.id.removeprefix("var-")] = event.value
            self._render_preview()

    def _render_preview(self) -> None:
        self.query_one("#rendered", Static).update(rendered_text(self.content, self.values))
