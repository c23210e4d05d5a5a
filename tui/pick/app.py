"""PickApp: `promptdeck pick`, an inline picker under the shell prompt (not the full-screen
app). It returns the text picked (the prompt rendered with its variables, the use recorded),
or the prompt's id; None when nothing was picked. tui/pick/run.py runs it on the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.driver import Driver
from textual.screen import Screen

from storage import Library
from tui.keys import key, unknown_ids
from tui.messages import PickFailed
from tui.pick.pages import PickPage
from tui.pick.screen import PickScreen, UseFunction
from tui.shared.settings import Settings


class PickApp(App[str]):
    ENABLE_COMMAND_PALETTE = False
    INLINE_PADDING = 1  # a line between the picker and a prompt it is called from (a key binding)
    DEFAULT_MODE = "pick"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("ctrl+c", "cancel", "Cancel", "pick.quit", "Pick nothing (exit code 1)", show=False,
            priority=True),
    ]
    # fmt: on

    def __init__(
        self,
        library: Library,
        *,
        query: str = "",
        ids: bool = False,
        use: UseFunction | None = None,
        settings: Settings | None = None,
        driver_class: type[Driver] | None = None,
        first_page: Future[PickPage] | None = None,
    ) -> None:
        """`ids`: return the prompt's id (no variables asked). `use` renders and records the
        use (default: through `library`; only rendered when it is read-only). `first_page`:
        the first page of the list, being read already (else the screen reads it)."""
        super().__init__(driver_class=driver_class)
        self.library = library
        self.initial_query = query
        self.ids = ids
        self.use: UseFunction = use or (
            library.usage.render if library.db.read_only else _recorder(library)
        )
        self.settings = settings
        self.first_page = first_page
        self.error: str | None = None  # why nothing was picked, when it is not a cancel
        # A mode's screen, not the default screen: Textual loads a mode screen's CSS_PATH.
        self.add_mode("pick", self._screen)

    def _screen(self) -> Screen[None]:
        return PickScreen(
            self.library,
            self.use,
            query=self.initial_query,
            ids=self.ids,
            first_page=self.first_page,
        )

    def on_mount(self) -> None:
        settings = self.settings
        if settings is None:
            return
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        if settings.keymap:
            # The keymap is the TUI's: ids of other screens are not an error here.
            unknown = set(unknown_ids(settings.keymap))
            self.set_keymap({k: v for k, v in settings.keymap.items() if k not in unknown})

    def action_cancel(self) -> None:
        self.exit(None)

    def on_pick_failed(self, message: PickFailed) -> None:
        self.error = message.text
        self.exit(None, return_code=1)


def _recorder(library: Library) -> UseFunction:
    def use(prompt_id: str, values: Mapping[str, str]) -> str:
        return library.usage.use(prompt_id, values)

    return use
