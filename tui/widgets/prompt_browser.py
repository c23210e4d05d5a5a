"""PromptBrowser: the list side of browse. The search row (the mode searched in, the box, how
many prompts match), the prompt table with the highlighted prompt's preview beside or under
it, and the hint an empty library shows instead of both. It shows what it is given, and asks
for the preview of the highlighted prompt once the cursor rests (PreviewWanted); what to
read, and when, is the screen's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.events import Key
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from storage import SearchHit
from storage.models import Prompt, PromptPage
from tui.widgets.empty_hint import EmptyHint
from tui.widgets.prompt_preview import PromptPreview
from tui.widgets.prompt_table import PromptTable

PREVIEW_DEBOUNCE = 0.03
# While the search box has focus the highlight moves with every key: the preview (whose
# similar prompts cost 0.1-0.3 s of CPU at a million prompts, beside the next key's search)
# waits for a pause in the typing.
TYPING_PREVIEW_DEBOUNCE = 0.3


class PromptBrowser(Vertical):
    @dataclass
    class PreviewWanted(Message):
        prompt_id: str

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._preview_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Static("Text search:", id="search-label")
            yield Input(placeholder="press / and type", id="search")
            yield Static(id="result-count")
        with Container(id="list-and-preview"):
            yield PromptTable(id="prompts")
            yield PromptPreview(id="preview")
        yield EmptyHint(id="empty-hint")

    def on_mount(self) -> None:
        self.query_one("#preview").border_title = "Preview"

    def on_key(self, event: Key) -> None:
        """Keys read in one burst (a paste, typing over a slow link) are all sent to the list,
        which had the focus, and reach here before the app runs the screen's binding for the
        search key: that key focuses the search at once, and the printable keys after it are
        sent on to it (`/review` read at once had opened the rating dialog on its `r`)."""
        search = self.query_one("#search", Input)
        if self.screen.focused is search and event.is_printable and event.character:
            event.stop()
            search.post_message(Key(event.key, event.character))  # after its Focus event
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.binding.action == "focus_search":
            event.stop()
            self.screen.set_focus(search)

    def show_mode(self, mode: str) -> None:
        self.query_one("#search-label", Static).update(f"{mode.capitalize()} search:")

    def show_result(
        self,
        page: PromptPage,
        library_total: int,
        *,
        sort: tuple[str, bool] | None,
        keep: str | None,
        filtered: bool,
        label: str,
    ) -> None:
        """The first page of a new result. `sort` is None when a search ranks it: the cursor
        starts at its best match; a sorted list keeps the cursor's prompt. `label`: the
        filter besides the search text, said after the count."""
        table = self.query_one(PromptTable)
        table.empty_text = "No prompts match." if filtered else ""
        table.set_sort(*(sort or ("score", True)))
        table.set_data(page, keep=keep, keep_current=sort is not None)
        matched = page.total
        count = f"{matched:,} of {library_total:,}" if filtered else f"{matched:,}"
        self.query_one("#result-count", Static).update(f"{count} · {label}" if label else count)
        self._show_empty_hint(library_total == 0 and not filtered)
        if matched == 0:
            self.query_one(PromptPreview).show(None)

    def _show_empty_hint(self, empty: bool) -> None:
        hint = self.query_one("#empty-hint")
        rows = self.query_one("#list-and-preview")
        arrived = not empty and not rows.display  # the first rows of an empty library
        hint.display = empty
        rows.display = not empty
        if arrived:
            self.query_one(PromptTable).focus()  # the table was hidden, so nothing had focus

    @on(PromptTable.Highlighted)
    def _highlighted(self, event: PromptTable.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if event.prompt_id is None:
            self.query_one(PromptPreview).show(None)
            return
        wanted = self.PreviewWanted(event.prompt_id)
        typing = self.query_one("#search", Input).has_focus
        delay = TYPING_PREVIEW_DEBOUNCE if typing else PREVIEW_DEBOUNCE
        self._preview_timer = self.set_timer(delay, lambda: self.post_message(wanted))

    def show_preview(
        self,
        prompt: Prompt,
        rating: float | None,
        ratings: int,
        similar: Sequence[SearchHit] = (),
    ) -> None:
        """Preview `prompt` if it is still the highlighted one."""
        if prompt.id == self.query_one(PromptTable).highlighted_id:
            self.query_one(PromptPreview).show(prompt, rating, ratings, similar)
