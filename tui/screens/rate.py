"""RateScreen: 1 to 5 with one key, an optional comment, enter saves."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class RateScreen(ModalScreen[tuple[int, str | None] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(n), f"stars({n})", f"{n} stars", show=False, id=f"rate.{n}")
            for n in range(1, 6)
        ),
        Binding("escape", "cancel", "Cancel", id="rate.cancel"),
    ]

    stars = reactive(0)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Rate this prompt", classes="title")
            yield Static(id="stars")
            yield Input(placeholder="comment (optional)", id="comment")
            yield Static("1-5 choose · enter save · esc cancel", classes="hint")
            yield Static(id="rate-error", classes="error")

    def on_mount(self) -> None:
        self.watch_stars(0)

    def watch_stars(self, value: int) -> None:
        shown = "★" * value + "☆" * (5 - value)
        self.query_one("#stars", Static).update(f"[b]{shown}[/b]  {value or '-'}/5")

    def action_stars(self, value: int) -> None:
        self.stars = value
        self.query_one("#rate-error", Static).update("")

    def on_input_changed(self, event: Input.Changed) -> None:
        # Digits typed into the comment box as the first character choose the rating.
        if event.value in {"1", "2", "3", "4", "5"}:
            self.stars = int(event.value)
            event.input.value = ""

    def on_input_submitted(self) -> None:
        if not self.stars:
            self.query_one("#rate-error", Static).update("rating: press 1 to 5 first")
            return
        comment = self.query_one("#comment", Input).value.strip() or None
        self.dismiss((self.stars, comment))

    def action_cancel(self) -> None:
        self.dismiss(None)
