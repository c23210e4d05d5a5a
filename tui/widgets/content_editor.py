"""ContentEditor: the prompt's text, a TextArea that also jumps to the start or end of it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import TextArea


class ContentEditor(TextArea):
    # TextArea binds home/end to the line only: ctrl+home/ctrl+end did nothing.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+home", "document_start", "Start of text", show=False,
                id="editor.start", tooltip="Move to the start of the text"),
        Binding("ctrl+end", "document_end", "End of text", show=False,
                id="editor.end", tooltip="Move to the end of the text"),
        Binding("ctrl+shift+home", "document_start(True)", "Select to start", show=False,
                id="editor.select_start", tooltip="Select to the start of the text"),
        Binding("ctrl+shift+end", "document_end(True)", "Select to end", show=False,
                id="editor.select_end", tooltip="Select to the end of the text"),
    ]  # fmt: skip

    def action_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)
