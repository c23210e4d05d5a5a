"""Edit: content editor, metadata form, variables with live render, versions; save = new version.

One screen for three jobs: editing a prompt, writing a new one, and deriving a child. The
rendered text of a saved prompt can be copied, which records a `rendered` use of it. The fields
are a PromptForm (tui/widgets/prompt_form.py); what the workers do is tui/edit_worker.py."""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Header, TabbedContent

from storage import clean_fields
from storage.errors import PromptdeckError
from storage.models import Prompt, short_id
from tui import edit_worker
from tui.keys import key
from tui.messages import (
    LibraryChanged,
    Loaded,
    PromptSaved,
    RenderCopied,
    RenderFailed,
    Restored,
    SaveFailed,
    VersionRead,
)
from tui.screens.base import DeckScreen
from tui.screens.change_message import ChangeMessageScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.diff import DiffScreen
from tui.screens.version import VersionScreen
from tui.widgets.metadata_form import MetadataForm, normal_value, prompt_values
from tui.widgets.prompt_form import PromptForm
from tui.widgets.status_line import StatusLine
from tui.widgets.variables_panel import VariablesPanel
from tui.widgets.versions_panel import VersionsPanel


class EditScreen(DeckScreen[None]):
    """Dismisses with the id of the prompt saved or used here (the list reloads), or None."""

    CSS_PATH = "edit.tcss"
    AUTO_FOCUS = "#content"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+s", "save", "Save", "edit.save",
            "Save as a new version (checks the fields, then asks for a change message)",
            priority=True),
        key("ctrl+d", "diff", "Diff", "edit.diff", "What changed since the saved version",
            priority=True),
        key("escape", "leave", "Back", "edit.leave",
            "Back to the list (asks if there are unsaved changes)"),
        key("f2", "tab('details')", "Details", "edit.details",
            "Name, folder, tags, model and other fields"),
        key("f3", "tab('variables')", "Variables", "edit.variables",
            "Fill the {{variables}} and see the rendered text"),
        key("f4", "tab('versions')", "Versions", "edit.versions",
            "History: open a version to see its diff or restore it"),
        key("ctrl+g", "lineage", "Lineage", "edit.lineage",
            "The derivation graph around this prompt", priority=True),
        key("ctrl+r", "copy_rendered", "Copy rendered", "edit.copy_rendered",
            "Copy the rendered text (Variables) and record a render of the saved prompt"),
        key("f5", "run", "Run", "edit.run",
            "Run the prompt (unsaved changes are saved first: a run names its version)"),
        # priority: the content editor's TextArea selects the line with f6 (and all with f7)
        key("f6", "runs", "Runs", "edit.runs", "This prompt's runs", show=False, priority=True),
        key("f9", "evals", "Evals", "edit.evals",
            "The prompt's test cases: run them, see the matrix and the scorecard",
            show=False, priority=True),
        key("f8", "enhance", "Enhance", "edit.enhance",
            "Have a model rewrite the saved prompt for a phase; keep it as a prompt or version"),
        key("ctrl+e", "focus_editor", "Editor", "edit.editor", "Focus the content editor",
            show=False),
    ]
    # fmt: on

    def __init__(self, *, prompt_id: str | None = None, parent_id: str | None = None) -> None:
        super().__init__()
        self.prompt_id = prompt_id
        self.parent_id = parent_id
        self.prompt: Prompt | None = None  # what is saved (for derive: the parent)
        self.baseline: dict[str, Any] = {"content": ""}
        self.saved_id: str | None = None
        self._loaded = prompt_id is None and parent_id is None
        self._run_after_save = False
        self._stale = False  # the library changed this prompt: read it again (refresh_library)

    @property
    def mode(self) -> str:
        if self.prompt_id is not None:
            return "edit"
        return "derive" if self.parent_id is not None else "new"

    def compose(self) -> ComposeResult:
        yield Header()
        yield PromptForm(id="edit-body")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._set_titles()
        if self.prompt_id or self.parent_id:
            self.load(self.prompt_id or self.parent_id or "")
        else:
            self.query_one(MetadataForm).load({})
            self.baseline = self._current_values()
            self.query_one(StatusLine).say("new prompt: write it, then ctrl+s to save")

    def _set_titles(self) -> None:
        pane = self.query_one("#editor-pane")
        if self.mode == "edit" and self.prompt:
            pane.border_title = f"{self.prompt.name} · v{self.prompt.current_version}"
            pane.border_subtitle = short_id(self.prompt.id)
        elif self.mode == "derive" and self.prompt:
            pane.border_title = f"New prompt derived from {self.prompt.name}"
        else:
            pane.border_title = "New prompt"

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="edit-load", exit_on_error=False)
    def load(self, ref: str) -> None:
        self.post_message(edit_worker.read_prompt(self.deck.library, ref))

    def refresh_library(self, select: str | None) -> None:
        """Another screen (an enhancement kept as a version) or the CLI wrote the prompt open
        here: with nothing typed, show what is saved now."""
        if self.mode == "edit" and self._loaded and select == self.prompt_id and not self.is_dirty:
            self._stale = True
            self.load(select)

    async def on_loaded(self, message: Loaded) -> None:
        self.prompt = message.prompt
        values = prompt_values(message.prompt)
        if self.mode == "derive":
            values["name"] = f"{message.prompt.name} (derived)"
        saved = {**values, "content": message.prompt.content}
        stale = self._stale and any(
            normal_value(v) != normal_value(self._current_values().get(k)) for k, v in saved.items()
        )
        self._stale = False
        if not self._loaded or stale:
            form = self.query_one(PromptForm)
            await form.load(values, message.prompt.content, at_end=self.mode == "derive")
            self._loaded = True
        self.baseline = {**values, "content": message.prompt.content}
        if self.mode == "derive":
            self.baseline["name"] = message.prompt.name  # the derived name is a change
        self.query_one(PromptForm).show_versions(
            message.versions if self.mode == "edit" else [], message.prompt.current_version
        )
        self._set_titles()

    # -- state -----------------------------------------------------------------------------

    def _current_values(self) -> dict[str, Any]:
        return self.query_one(PromptForm).values()

    def _changes(self) -> dict[str, Any]:
        current = self._current_values()
        return {
            k: v
            for k, v in current.items()
            if normal_value(self.baseline.get(k)) != normal_value(v)
        }

    @property
    def is_dirty(self) -> bool:
        return self._loaded and bool(self._changes())

    # -- actions ---------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(PromptForm).show_tab(tab)

    def action_focus_editor(self) -> None:
        self.query_one(PromptForm).focus_text()

    def action_diff(self) -> None:
        saved = self.baseline.get("content", "")
        text = self.query_one(PromptForm).text
        label = {"edit": "saved", "derive": "parent", "new": "empty"}[self.mode]
        diff = "\n".join(
            difflib.unified_diff(
                saved.splitlines(), text.splitlines(), label, "editor", lineterm=""
            )
        )
        self.app.push_screen(DiffScreen(f"Changes since the {label} version", diff))

    def action_lineage(self) -> None:
        subject = self.saved_id or self.prompt_id or self.parent_id
        if subject is None:
            self.notify("A new prompt has no lineage until it is saved", severity="warning")
            return
        self.deck.open_lineage(subject)

    def action_save(self) -> None:
        if not self._loaded:
            return
        changes = self._changes()
        if self.mode == "edit" and not changes:
            self.query_one(StatusLine).say("nothing to save")
            return
        self.query_one(PromptForm).clear_errors()
        default = {"edit": "edited", "new": "created", "derive": "derived"}[self.mode]

        # The worker gets plain values: in new-prompt mode, every field as the form holds it.
        fields = self._current_values() if self.mode == "new" else changes
        try:
            clean_fields(fields)  # refused values are said before the message is asked for
        except PromptdeckError as error:
            self.on_save_failed(SaveFailed(error))
            return

        def with_message(message: str | None) -> None:
            self._run_after_save = self._run_after_save and message is not None
            if message is not None:
                self.save(fields, message)

        self.app.push_screen(
            ChangeMessageScreen("What changed? (the version's message)", default), with_message
        )

    @work(thread=True, exclusive=True, group="edit-save", exit_on_error=False)
    def save(self, fields: dict[str, Any], message: str) -> None:
        ref = self.prompt_id if self.mode == "edit" else self.parent_id
        saved = edit_worker.save(self.deck.library, self.mode, ref, fields, message)
        self.post_message(saved)
        if isinstance(saved, PromptSaved):
            self.app.post_message(LibraryChanged(select=saved.prompt.id))

    def on_save_failed(self, message: SaveFailed) -> None:
        """Inline next to the field it names; nothing was written; the typed text stays."""
        self._run_after_save = False
        self.query_one(StatusLine).say(str(message.error), error=True)
        self.query_one(PromptForm).refuse(message.error)

    def on_prompt_saved(self, message: PromptSaved) -> None:
        prompt = message.prompt
        verb = {"edit": "saved", "new": "created", "derive": "derived"}[self.mode]
        self.saved_id = prompt.id
        self.prompt_id, self.parent_id = prompt.id, None
        self.query_one(StatusLine).say(f"{verb} {prompt.name!r} as v{prompt.current_version}")
        self.notify(f"{prompt.name} · v{prompt.current_version}", title=verb.capitalize())
        for notice in message.notices:  # a warning, never a refusal: the save stands
            title = "Near duplicate" if notice.kind == "near_duplicate" else "Not embedded"
            self.notify(notice.message, title=title, severity="warning", timeout=10)
        self.load(prompt.id)
        if self._run_after_save:
            self._run_after_save = False
            self.deck.open_run(prompt.id)

    @on(VersionsPanel.Chosen)
    def _version_chosen(self, event: VersionsPanel.Chosen) -> None:
        self.open_version(event.version)

    @work(thread=True, exclusive=True, group="edit-load", exit_on_error=False)
    def open_version(self, number: int) -> None:
        assert self.prompt_id is not None
        self.post_message(edit_worker.read_version(self.deck.library, self.prompt_id, number))

    def on_version_read(self, message: VersionRead) -> None:
        number = message.version.version

        def answered(restore: bool | None) -> None:
            if restore:
                self._confirm_restore(number)

        self.app.push_screen(
            VersionScreen(message.version, message.diff, message.current), answered
        )

    def _confirm_restore(self, number: int) -> None:
        if self.is_dirty:
            self.query_one(StatusLine).say(
                "save or discard your changes before restoring", error=True
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.restore(number)

        self.app.push_screen(
            ConfirmScreen(f"Restore version {number} as a new version?", yes="Restore"), answered
        )

    @work(thread=True, exclusive=True, group="edit-save", exit_on_error=False)
    def restore(self, number: int) -> None:
        assert self.prompt_id is not None
        restored = edit_worker.restore(self.deck.library, self.prompt_id, number)
        self.post_message(restored)
        self.app.post_message(LibraryChanged(select=restored.prompt.id))

    def on_restored(self, message: Restored) -> None:
        prompt = message.prompt
        self._loaded = False
        self.saved_id = prompt.id
        self.query_one(StatusLine).say(f"restored as v{prompt.current_version}")
        self.load(prompt.id)

    def action_copy_rendered(self) -> None:
        """Render the saved prompt with the values typed in Variables, through storage (as
        `promptdeck render` does): a missing variable or unsaved text is said in the panel."""
        panel = self.query_one(VariablesPanel)
        panel.clear_error()
        self.query_one(TabbedContent).active = "variables"
        if self.mode != "edit" or self.prompt_id is None:
            panel.show_error("save the prompt first (ctrl+s): a render is recorded against it")
        elif "content" in self._changes():
            panel.show_error("unsaved changes to the text: save them (ctrl+s) to render them")
        else:
            self.copy_rendered(self.prompt_id, panel.filled())

    @work(thread=True, exclusive=True, group="edit-render", exit_on_error=False)
    def copy_rendered(self, prompt_id: str, values: dict[str, str]) -> None:
        rendered = edit_worker.render(self.deck.library, prompt_id, values)
        self.post_message(rendered)
        if isinstance(rendered, RenderCopied):
            self.app.post_message(LibraryChanged(select=prompt_id))

    def on_render_copied(self, message: RenderCopied) -> None:
        text = message.text
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Rendered text copied ({len(text):,} characters); render recorded", title="Render"
        )

    def on_render_failed(self, message: RenderFailed) -> None:
        error = message.error
        self.query_one(VariablesPanel).show_error(str(error), error.field)

    def action_run(self) -> None:
        """Run the saved prompt; unsaved changes (or a new prompt) are saved first, so that
        the run names the version it sent."""
        if self.mode == "edit" and self.prompt_id is not None and not self.is_dirty:
            self.deck.open_run(self.prompt_id)
            return
        self._run_after_save = True
        self.query_one(StatusLine).say("saving first: a run is recorded against a version")
        self.action_save()

    def action_enhance(self) -> None:
        if self.mode != "edit" or self.prompt_id is None:
            self.query_one(StatusLine).say(
                "save the prompt first: an enhancement rewrites a version"
            )
        elif self.is_dirty:
            self.query_one(StatusLine).say("unsaved changes: save them (ctrl+s), then enhance")
        else:
            self.deck.open_enhance(self.prompt_id)

    def action_runs(self) -> None:
        if self.mode == "edit" and self.prompt_id is not None:
            self.deck.open_runs(self.prompt_id)
        else:
            self.query_one(StatusLine).say("a prompt has runs once it is saved and run")

    def action_evals(self) -> None:
        if self.mode == "edit" and self.prompt_id is not None:
            self.deck.open_evals(self.prompt_id)
        else:
            self.query_one(StatusLine).say("a prompt has evals once it is saved")

    def action_leave(self) -> None:
        if not self.is_dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard unsaved changes?", yes="Discard", no="Keep editing"), answered
        )
