"""HelpScreen: every key of the screen it was opened on, with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen .dialog { width: 76; height: 90%; }
    HelpScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.for_screen = screen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Keys: {self.for_screen.__class__.__name__.removesuffix('Screen')}",
                classes="title",
            )
            with VerticalScroll():
                yield Static(self._table())
            yield Static(
                "Any key may be remapped in config.toml under \\[keymap] by its id. "
                "ctrl+p opens the command palette.  esc closes.",
                classes="hint",
            )

    def _table(self) -> Table:
        table = Table(box=None, expand=True, padding=(0, 1))
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Action")
        table.add_column("Id", style="dim", no_wrap=True)
        rows: dict[str, tuple[list[str], Binding]] = {}
        for key, active in self.for_screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action.startswith(("scroll_", "page_")):
                continue
            keys, _ = rows.setdefault(binding.id or binding.action, ([], binding))
            keys.append(self.app.get_key_display(Binding(key, binding.action)))
        for keys, binding in rows.values():
            table.add_row(", ".join(keys), binding.tooltip or binding.description, binding.id or "")
        return table

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
