"""VersionsPanel: a prompt's history, newest first; enter opens a version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from storage.models import PromptVersion
from tui.shared import formatting


class VersionsPanel(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="versions.down",
                tooltip="The next (older) version"),
        Binding("k", "cursor_up", "Up", show=False, id="versions.up",
                tooltip="The previous (newer) version"),
    ]  # fmt: skip

    @dataclass
    class Chosen(Message):
        version: int

    def show(self, versions: list[PromptVersion], current: int) -> None:
        self.clear_options()
        for version in reversed(versions):
            marker = "●" if version.version == current else " "
            label = Text.assemble(
                (f"{marker} v{version.version:<3}", "bold"),
                (formatting.date_time(version.created_at), "dim"),
                "\n   ",
                version.change_message or "—",
            )
            self.add_option(Option(label, id=str(version.version)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(int(event.option.id)))
