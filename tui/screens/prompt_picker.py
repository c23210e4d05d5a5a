"""PromptPickerScreen: choose a prompt by typing part of its name (fuzzy: the letters in order).

The names are loaded once in a worker; each keystroke filters them in a worker too, so a
library of 100,000 prompts does not stall typing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from storage.models import PromptFilter, short_id
from tui.deck import deck_of

SHOWN = 50  # candidates listed at a time


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    name: str
    folder: str


def fuzzy_pattern(query: str) -> re.Pattern[str]:
    """The query's letters in order, anything between them, any case."""
    letters = [re.escape(c) for c in query if not c.isspace()]
    return re.compile(".*?".join(letters), re.IGNORECASE)


def best_matches(query: str, candidates: list[Candidate], limit: int = SHOWN) -> list[Candidate]:
    """Candidates whose name holds the query's letters in order, best first; all (by name)
    when the query is empty."""
    if not query.strip():
        return candidates[:limit]
    pattern = fuzzy_pattern(query)
    found = [c for c in candidates if pattern.search(c.name)]
    matcher = Matcher(query)
    scored = sorted(found[: limit * 20], key=lambda c: (-matcher.match(c.name), c.name))
    return scored[:limit]


@dataclass
class CandidatesLoaded(Message):
    candidates: list[Candidate]


@dataclass
class Matched(Message):
    query: str
    matches: list[Candidate]


class PromptPickerScreen(ModalScreen[str | None]):
    """Dismisses with the chosen prompt's id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
    ]
    DEFAULT_CSS = """
    PromptPickerScreen .dialog { width: 72; height: 80%; }
    PromptPickerScreen OptionList {
        height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, title: str, *, exclude: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.exclude = exclude
        self.candidates: list[Candidate] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            yield Input(placeholder="type part of a name", id="picker-query")
            yield OptionList(id="picker-options")
            yield Static("↑/↓ choose · enter pick · esc cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self.query_one(Input).focus()
        self.load()

    @work(thread=True, exclusive=True, group="picker-load", exit_on_error=False)
    def load(self) -> None:
        table = (
            deck_of(self.app)
            .library.prompts.prompt_table(PromptFilter(), sort="name", descending=False)
            .table
        )
        ids, names, folders = (table.column(c).to_pylist() for c in ("id", "name", "folder"))
        found = [
            Candidate(i, n, f)
            for i, n, f in zip(ids, names, folders, strict=True)
            if i != self.exclude
        ]
        self.post_message(CandidatesLoaded(found))

    def on_candidates_loaded(self, message: CandidatesLoaded) -> None:
        self.candidates = message.candidates
        self.search(self.query_one(Input).value)

    @on(Input.Changed, "#picker-query")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @work(thread=True, exclusive=True, group="picker-search", exit_on_error=False)
    def search(self, query: str) -> None:
        matches = best_matches(query, self.candidates)
        if not get_current_worker().is_cancelled:
            self.post_message(Matched(query, matches))

    def on_matched(self, message: Matched) -> None:
        query, matches = message.query, message.matches
        options = self.query_one(OptionList)
        options.clear_options()
        matcher = Matcher(query) if query.strip() else None
        for candidate in matches:
            name = matcher.highlight(candidate.name) if matcher else Content(candidate.name)
            where = Content.styled(f"  {candidate.folder}  {short_id(candidate.id)}", "dim")
            options.add_option(Option(name + where, id=candidate.id))
        if matches:
            options.highlighted = 0
        elif self.candidates:
            options.add_option(Option(Content.styled("no prompt matches", "dim"), disabled=True))

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    @on(Input.Submitted, "#picker-query")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            chosen = options.get_option_at_index(options.highlighted)
            if chosen.id is not None and not chosen.disabled:
                self.dismiss(chosen.id)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
