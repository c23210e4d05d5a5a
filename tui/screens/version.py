"""VersionScreen: one old version, its diff against the current one, and restore."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from storage.models import PromptVersion
from tui.screens.diff import coloured_diff
from tui.shared import formatting


class VersionScreen(ModalScreen[bool]):
    """Dismisses True when the user asks to restore this version."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="version.close"),
        Binding(
            "r",
            "restore",
            "Restore",
            id="version.restore",
            tooltip="Make this version current again (as a new version)",
        ),
        Binding("tab", "toggle_diff", "Content/diff", id="version.toggle"),
    ]
    DEFAULT_CSS = """
    VersionScreen .dialog { width: 95%; height: 90%; }
    VersionScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, version: PromptVersion, diff: str, current: int) -> None:
        super().__init__()
        self.version, self.diff, self.current = version, diff, current
        self.showing_diff = True

    def compose(self) -> ComposeResult:
        v = self.version
        with Vertical(classes="dialog"):
            yield Static(
                f"{v.name} · v{v.version} · {formatting.date_time(v.created_at)} · "
                f"{v.change_message or '—'}",
                classes="title",
            )
            with VerticalScroll():
                yield Static(id="body")
            with Horizontal(classes="buttons"):
                yield Button("Close (esc)", id="close")
                yield Button(
                    "Restore (r)",
                    id="restore",
                    variant="primary",
                    disabled=v.version == self.current,
                )
            yield Static(id="mode", classes="hint")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        body = self.query_one("#body", Static)
        if self.showing_diff:
            body.update(coloured_diff(self.diff) if self.diff.strip() else "Same as current.")
            mode = f"diff v{self.version.version} → v{self.current} · tab: content"
        else:
            body.update(self.version.content)
            mode = "content · tab: diff"
        self.query_one("#mode", Static).update(mode)

    def action_toggle_diff(self) -> None:
        self.showing_diff = not self.showing_diff
        self._show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "restore")

    def action_restore(self) -> None:
        if self.version.version != self.current:
            self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
