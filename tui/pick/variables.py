"""PickVariablesScreen: the picked prompt's {{variables}}, one line each, inline, with the
rendered text below as it is filled in. enter goes to the next and, on the last, uses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from tui.keys import key
from tui.widgets.template_preview import rendered_text


class Fields(VerticalScroll, can_focus=False):
    """The variables' rows: scrolled by focus, not a tab stop of its own."""


class PickVariablesScreen(Screen[dict[str, str] | None]):
    CSS_PATH = "variables.tcss"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("enter", "next", "Next", "pick.variables.next",
            "The next variable; on the last, use the prompt", priority=True),
        key("ctrl+s", "submit", "Use", "pick.variables.submit",
            "Use the prompt with the values given"),
        key("escape", "back", "Back", "pick.variables.back", "Back to the list"),
    ]
    # fmt: on

    def __init__(self, name: str, content: str, names: list[str]) -> None:
        super().__init__()
        self.prompt_name, self.content, self.names = name, content, names

    def compose(self) -> ComposeResult:
        count = f"{len(self.names)} variable{'' if len(self.names) == 1 else 's'}"
        yield Static(f"{self.prompt_name} · {count}", id="pick-title")
        with Fields(id="pick-fields"):
            for name in self.names:
                with Horizontal(classes="pick-variable"):
                    yield Label(name)
                    yield Input(placeholder=name, name=name, classes="variable", compact=True)
        yield Static(id="pick-rendered")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._render_preview()

    def values(self) -> dict[str, str]:
        # By name, not id: a variable may hold dots and dashes, which ids cannot.
        return {box.name or "": box.value for box in self.query(".variable").results(Input)}

    def on_input_changed(self) -> None:
        self._render_preview()

    def _render_preview(self) -> None:
        self.query_one("#pick-rendered", Static).update(rendered_text(self.content, self.values()))

    # enter and ctrl+s are taken ahead of the keys the focused box has been handed but not
    # taken in yet (typed or pasted in the same instant): act after them.

    def action_next(self) -> None:
        self._after_typing(self._next)

    def action_submit(self) -> None:
        self._after_typing(self._submit)

    def _after_typing(self, then: Callable[[], None]) -> None:
        focused = self.focused
        if focused is None:
            then()
        else:
            focused.call_later(then)

    def _next(self) -> None:
        inputs = list(self.query(".variable").results(Input))
        position = next((i for i, box in enumerate(inputs) if box is self.focused), -1)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self._submit()

    def _submit(self) -> None:
        if self.is_current:  # not twice (enter pressed again meanwhile)
            self.dismiss(self.values())

    def action_back(self) -> None:
        self.dismiss(None)
