"""PickApp: `promptdeck pick`, an inline picker under the shell prompt (not the full-screen
app). It returns the text picked (the prompt rendered with its variables, the use recorded),
or the prompt's id; None when nothing was picked.

`run_pick` is what the CLI calls (through tui.main, so that the CLI never imports Textual): it
draws on /dev/tty (tui/pick/terminal.py), reads the library read-only, so that it never builds
an index nor holds the file for writing while the user looks, and opens it for writing only
to record the use."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.screen import Screen

from storage import Library, PromptdeckError
from tui.keys import unknown_ids
from tui.messages import PickFailed
from tui.pick.screen import PickScreen, UseFunction
from tui.pick.terminal import open_terminal, terminal_driver
from tui.shared.settings import Settings, configured_embedder, load_settings

LINGER_SECONDS = 2.0  # the file is let go when the picker has been idle this long


class PickApp(App[str]):
    ENABLE_COMMAND_PALETTE = False
    INLINE_PADDING = 0
    DEFAULT_MODE = "pick"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+c",
            "cancel",
            "Cancel",
            id="pick.quit",
            priority=True,
            show=False,
            tooltip="Pick nothing (exit code 1)",
        ),  # fmt: skip
    ]

    def __init__(
        self,
        library: Library,
        *,
        query: str = "",
        ids: bool = False,
        use: UseFunction | None = None,
        settings: Settings | None = None,
        driver_class: type[Driver] | None = None,
    ) -> None:
        """`ids`: return the prompt's id (no variables asked). `use` renders and records the
        use (default: through `library`; only rendered when it is read-only)."""
        super().__init__(driver_class=driver_class)
        self.library = library
        self.initial_query = query
        self.ids = ids
        self.use: UseFunction = use or (
            library.usage.render if library.db.read_only else _recorder(library)
        )
        self.settings = settings
        self.error: str | None = None  # why nothing was picked, when it is not a cancel
        # A mode's screen, not the default screen: Textual loads a mode screen's CSS_PATH.
        self.add_mode("pick", self._screen)

    def _screen(self) -> Screen[None]:
        return PickScreen(self.library, self.use, query=self.initial_query, ids=self.ids)

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


def run_pick(
    path: Path, *, query: str, ids: bool, read_only: bool, lock_timeout: float
) -> str | None:
    """Pick a prompt from the library at `path` on the terminal; the text (or id) picked, or
    None. Errors (no terminal, no library, the use not recorded) are PromptdeckErrors."""
    terminal = open_terminal()
    settings, config_error = load_settings()
    embedder, _ = configured_embedder(settings)
    reader = Library(
        path, read_only=True, linger=LINGER_SECONDS, lock_timeout=lock_timeout, embedder=embedder
    )

    def use_in_file(prompt_id: str, values: Mapping[str, str]) -> str:
        reader.close()  # the reading is over: one process holds a file one way at a time
        with Library(path, lock_timeout=lock_timeout) as writer:
            return writer.usage.use(prompt_id, values)

    try:
        reader.open()
        app = PickApp(
            reader,
            query=query,
            ids=ids,
            use=reader.usage.render if read_only else use_in_file,
            settings=None if config_error else settings,
            driver_class=terminal_driver(terminal),
        )
        picked = app.run()
    finally:
        reader.close()
        terminal.close()
    if app.error is not None:
        raise PromptdeckError(app.error)
    if app.return_code:
        raise PromptdeckError("the picker stopped on an error (above)")
    return picked
