"""ContentError: the editor's inline error under the content; it goes once the text changes."""

from __future__ import annotations

from textual.widgets import Static


class ContentError(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes="field-error")
        self._about: str | None = None  # the text the error was about

    def show(self, message: str, text: str) -> None:
        self._about = text
        self.update(message)
        self.add_class("-shown")

    def clear(self) -> None:
        self._about = None
        self.remove_class("-shown")

    def text_changed(self, text: str) -> None:
        """The editor's text changed: mended or not, the error no longer describes it."""
        if self._about is not None and text != self._about:
            self.clear()
