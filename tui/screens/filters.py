"""FilterScreen: narrow the list by phase, provider, model, and show the archive."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, Switch

from storage.models import PromptFilter
from tui.deck import deck_of

FACETS = ("phase", "provider", "model")


@dataclass
class FacetsLoaded(Message):
    facets: dict[str, list[str]]  # the values each facet has among live prompts


class FilterScreen(ModalScreen[PromptFilter | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filters.apply"),
        Binding("ctrl+x", "clear", "Clear all", id="filters.clear"),
    ]
    DEFAULT_CSS = """
    FilterScreen Select { margin-bottom: 1; }
    FilterScreen #archived-row { height: auto; }
    FilterScreen #archived-row Label { padding: 1 1 0 0; }
    """

    def __init__(self, where: PromptFilter) -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Filter prompts", classes="title")
            for facet in FACETS:
                yield Label(facet.capitalize())
                yield Select[str]([], prompt=f"any {facet}", id=f"facet-{facet}", compact=True)
            with Horizontal(id="archived-row"):
                yield Label("Archived only")
                yield Switch(value=self.where.archived, id="archived")
            with Horizontal(classes="buttons"):
                yield Button("Clear (ctrl+x)", id="clear")
                yield Button("Apply (ctrl+s)", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.load_facets()

    @work(thread=True, exit_on_error=False)
    def load_facets(self) -> None:
        self.post_message(FacetsLoaded(deck_of(self.app).library.prompts.facets()))

    def on_facets_loaded(self, message: FacetsLoaded) -> None:
        facets = message.facets
        for facet in FACETS:
            select = self.query_one(f"#facet-{facet}", Select)
            current = getattr(self.where, facet)
            values = sorted({*facets[facet], *([current] if current else [])})
            select.set_options((value, value) for value in values)
            if current:
                select.value = current
        self.query_one("#facet-phase", Select).focus()

    def _chosen(self) -> PromptFilter:
        values: dict[str, str | None] = {}
        for facet in FACETS:
            value = self.query_one(f"#facet-{facet}", Select).value
            values[facet] = value if isinstance(value, str) else None
        archived = self.query_one("#archived", Switch).value
        return replace(self.where, archived=archived, **values)  # type: ignore[arg-type]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "clear":
            self.action_clear()
        else:
            self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self._chosen())

    def action_clear(self) -> None:
        self.dismiss(replace(self.where, phase=None, provider=None, model=None, archived=False))

    def action_cancel(self) -> None:
        self.dismiss(None)
