"""LinkTypeScreen: which relationship `SOURCE type TARGET` to add, and how strong it is."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from storage.models import RELATIONSHIP_TYPES

MEANING = {
    "derived_from": "derives from (becomes its parent)",
    "enhanced_from": "is an enhanced version of",
    "similar_to": "is similar to",
    "depends_on": "depends on",
    "overrides": "overrides",
    "conflicts_with": "conflicts with",
}


class LinkTypeScreen(ModalScreen[tuple[str, float] | None]):
    """Dismisses with (type, strength), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="link_type.cancel"),
        Binding("tab", "switch", "Strength", show=False, id="link_type.switch"),
    ]
    DEFAULT_CSS = """
    LinkTypeScreen .dialog { width: 72; }
    LinkTypeScreen OptionList { height: auto; max-height: 8; border: none; }
    LinkTypeScreen #strength-row { height: auto; }
    LinkTypeScreen #strength-label { width: auto; padding: 1 1 0 0; }
    LinkTypeScreen #strength { width: 12; }
    """

    def __init__(self, source: str, target: str) -> None:
        super().__init__()
        self.source, self.target = source, target

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Relate {self.source!r} to {self.target!r}", classes="title")
            yield OptionList(
                *(
                    Option(f"{kind:<15} {self.source} {MEANING[kind]} {self.target}", id=kind)
                    for kind in RELATIONSHIP_TYPES
                ),
                id="link-types",
            )
            with Horizontal(id="strength-row"):
                yield Static("Strength (0..1)", id="strength-label")
                yield Input("1.0", id="strength")
            yield Static(id="link-error", classes="error")
            yield Static("↑/↓ choose · tab strength · enter add · esc cancel", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = RELATIONSHIP_TYPES.index("similar_to")
        options.focus()

    def action_switch(self) -> None:
        strength = self.query_one("#strength", Input)
        if strength.has_focus:
            self.query_one(OptionList).focus()
        else:
            strength.focus()

    @on(OptionList.OptionSelected)
    @on(Input.Submitted, "#strength")
    def _chosen(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        kind = RELATIONSHIP_TYPES[options.highlighted]
        text = self.query_one("#strength", Input).value.strip()
        try:
            strength = float(text)
        except ValueError:
            strength = -1.0
        if not 0 <= strength <= 1:
            self.query_one("#link-error", Static).update(
                f"strength: must be a number from 0 to 1 (got {text!r})"
            )
            return
        self.dismiss((kind, strength))

    def action_cancel(self) -> None:
        self.dismiss(None)
