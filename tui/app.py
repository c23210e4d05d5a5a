"""The promptdeck Textual app: shell, theme, keymap, clipboard, worker errors."""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from storage import Library, LocalProvider
from tui.clipboard import osc52
from tui.commands import PromptdeckCommands
from tui.screens.browse import BrowseScreen
from tui.screens.help import HelpScreen
from tui.shared.settings import Settings, configured_embedder, load_settings

LINGER_SECONDS = 2.0


class PromptdeckApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "promptdeck"
    COMMANDS = App.COMMANDS | {PromptdeckCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {"browse": BrowseScreen}
    DEFAULT_MODE = "browse"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            show=False,
            priority=True,
            tooltip="Quit (asks first if an edit is unsaved)",
        ),
        Binding(
            "f1,question_mark", "help", "Help", id="app.help", tooltip="Every key of this screen"
        ),
    ]

    def __init__(
        self,
        library: Library,
        *,
        settings: Settings | None = None,
        config_error: str | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.library = library
        if settings is None:
            settings, config_error = load_settings()
        self.settings = settings
        self.config_error = config_error
        self.startup_warnings = warnings
        self.sub_title = library.db.name

    def on_mount(self) -> None:
        # What is alive once the app has started (modules, Textual's machinery, the library)
        # lives for the whole session: keep the collector from walking it again on every full
        # collection, which otherwise stalls the drawing of each new screen.
        gc.freeze()
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.config_error:
            self.notify(f"{self.config_error}; using defaults", title="Config", severity="error")
        for warning in self.startup_warnings:
            self.notify(warning, title="Config", severity="warning")

    def _remember_theme(self, theme: object) -> None:
        if self.settings.theme != self.theme and self.config_error is None:
            # A broken file is left for the user to mend, never overwritten with defaults.
            self.settings.theme = self.theme
            try:
                self.settings.save()
            except OSError as error:
                self.notify(f"cannot save settings: {error}", severity="error")

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 (wrapped for tmux inside tmux): reaches the user's own machine over SSH."""
        self._clipboard = text
        if self._driver is not None:
            self._driver.write(osc52(text))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        from tui.screens.confirm import ConfirmScreen
        from tui.screens.edit import EditScreen

        unsaved = [s for s in self.screen_stack if isinstance(s, EditScreen) and s.is_dirty]
        if not unsaved:
            self.exit()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(
            ConfirmScreen("An edit is not saved. Quit and lose it?", yes="Quit"), answered
        )


def run_app(
    path: Path, *, demo: bool = False, read_only: bool = False, lock_timeout: float = 5.0
) -> None:
    """Open the app on a library; `demo` opens a throwaway copy of the sample library."""
    workdir = None
    if demo:
        from tui.demo import write_sample_library

        workdir = Path(tempfile.mkdtemp(prefix="promptdeck-demo-"))
        path = workdir / "demo.duckdb"
        with Library(path) as seed:
            write_sample_library(seed)
            seed.embeddings.embed_missing(
                LocalProvider()
            )  # offline: semantic search works in the demo
    settings, config_error = load_settings()
    embedder, embedder_error = configured_embedder(settings)
    if embedder_error:
        embedder_error = f"embedding provider: {embedder_error}; saved prompts are not embedded"
    try:
        # linger: keep the file open through bursts of keystrokes, free it when idle.
        with Library(
            path,
            read_only=read_only,
            linger=LINGER_SECONDS,
            lock_timeout=lock_timeout,
            embedder=embedder,
        ) as library:
            warnings = (embedder_error,) if embedder_error else ()
            PromptdeckApp(
                library, settings=settings, config_error=config_error, warnings=warnings
            ).run()
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
