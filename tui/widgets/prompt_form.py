"""PromptForm: the editor's fields. The prompt's text (with the line saying why it was refused
and the chat roles it holds) beside the tabs of its details, variables and versions. Values go
in and come out as plain dicts; a refusal is shown by the field it names; the roles and the
variables follow the text once typing pauses. What a save does is the screen's."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import TabbedContent, TabPane, TextArea

from storage.errors import PromptdeckError
from storage.models import PromptVersion
from tui.widgets.content_editor import ContentEditor
from tui.widgets.content_error import ContentError
from tui.widgets.metadata_form import MetadataForm
from tui.widgets.roles_strip import RolesStrip
from tui.widgets.variables_panel import VariablesPanel
from tui.widgets.versions_panel import VersionsPanel

VARIABLES_DEBOUNCE = 0.2


class PromptForm(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._variables_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-pane", classes="pane"):
            # tab_behavior="focus": tab moves on and escape leaves, as on every screen.
            yield ContentEditor.code_editor(
                "",
                language="markdown",
                id="content",
                show_line_numbers=False,
                soft_wrap=True,
                tab_behavior="focus",
            )
            yield ContentError(id="error-content")
            yield RolesStrip(id="roles")
        with TabbedContent(id="side", initial="details"):
            with TabPane("Details", id="details"):
                yield MetadataForm(id="form")
            with TabPane("Variables", id="variables"):
                yield VariablesPanel(id="variables-panel")
            with TabPane("Versions", id="versions"):
                yield VersionsPanel(id="versions-list")

    @property
    def text(self) -> str:
        return self.query_one("#content", TextArea).text

    def values(self) -> dict[str, Any]:
        """Every field as the form holds it, the text as `content`."""
        return {**self.query_one(MetadataForm).values(), "content": self.text}

    async def load(self, values: dict[str, Any], content: str, *, at_end: bool = False) -> None:
        """Fill every field; `at_end` puts the cursor after the text (a child usually adds to
        its parent's text)."""
        self.query_one(MetadataForm).load(values)
        editor = self.query_one(ContentEditor)
        editor.load_text(content)
        if at_end:
            editor.action_document_end()
        self.query_one(RolesStrip).follow(content)
        await self.query_one(VariablesPanel).update_content(content)

    def show_versions(self, versions: list[PromptVersion], current: int) -> None:
        self.query_one(VersionsPanel).show(versions, current)

    def show_tab(self, tab: str) -> None:
        """Open a tab and focus its first field."""
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        focusable = pane.query_one_optional("Input, OptionList, Select")
        if focusable is not None:
            focusable.focus()

    def focus_text(self) -> None:
        self.query_one("#content", TextArea).focus()

    def refuse(self, error: PromptdeckError) -> None:
        """A refused save, shown by the field it names (the text, or a detail)."""
        if error.field == "content":
            if self.query_one(RolesStrip).error != str(error):  # not said twice
                self.query_one(ContentError).show(str(error), self.text)
            self.focus_text()
        elif error.field:
            self.query_one(TabbedContent).active = "details"
            self.query_one(MetadataForm).show_error(error.field, str(error))

    def clear_errors(self) -> None:
        self.query_one(MetadataForm).clear_errors()
        self.query_one(ContentError).clear()

    @on(TextArea.Changed, "#content")
    def _content_changed(self) -> None:
        self.query_one(ContentError).text_changed(self.text)
        if self._variables_timer is not None:
            self._variables_timer.stop()
        self._variables_timer = self.set_timer(VARIABLES_DEBOUNCE, self._follow_text)

    async def _follow_text(self) -> None:
        text = self.text
        self.query_one(RolesStrip).follow(text)
        await self.query_one(VariablesPanel).update_content(text)
