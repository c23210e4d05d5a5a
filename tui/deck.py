"""Deck: what screens may ask of the app. Screens type the app as this protocol instead of
importing it, so that the app imports its screens and no screen imports the app back."""

from __future__ import annotations

from typing import Protocol, cast

from storage import Library
from tui.shared.settings import Settings


class Deck(Protocol):
    library: Library
    settings: Settings  # the user's config.toml (its [llm] table: what runs use)
    # Bumped by every write (and by a reload after CLI writes): a screen that shows library
    # data and saw an older number reads again when it is shown.
    generation: int
    last_written: str | None  # the prompt the newest write was about

    def open_prompt(self, prompt_id: str) -> None: ...

    def open_new(self) -> None: ...

    def open_derive(self, parent_id: str) -> None: ...

    def open_lineage(self, prompt_id: str) -> None: ...

    def open_analytics(self) -> None: ...

    def open_run(self, ref: str) -> None: ...

    def open_runs(self, prompt_id: str) -> None: ...

    def open_compare(
        self, prompt_id: str, values: dict[str, str], version: str, provider: str, model: str
    ) -> None: ...

    def open_enhance(self, prompt_id: str) -> None: ...

    def open_evals(self, prompt_id: str) -> None: ...

    def open_backup(self) -> None: ...

    def open_import(self) -> None: ...

    def copy_prompt(self, prompt_id: str) -> None: ...

    def use_prompt(self, prompt_id: str) -> None: ...

    def rate_prompt(self, prompt_id: str) -> None: ...

    def archive_prompt(self, prompt_id: str, restoring: bool) -> None: ...

    def embed_library(self, *, only_if_offline: bool = False) -> None: ...

    def load_sample(self) -> None: ...


def deck_of(app: object) -> Deck:
    """The app as a Deck, for dialogs (ModalScreen) that read the library."""
    return cast(Deck, app)
