"""The promptdeck Textual app: the shell (theme, keymap, clipboard), navigation, the one
"library changed" signal, and the actions on a prompt that every screen shares.

Screens reach the app through the Deck protocol (tui/deck.py): the app imports its screens,
no screen imports the app. Workers here take plain values and post messages to the app."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.console import RenderableType
from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from storage import Library
from tui import embed_worker, prompt_worker
from tui.clipboard import osc52
from tui.commands import PromptdeckCommands
from tui.demo import write_demo_library
from tui.keys import keymap_warning
from tui.messages import (
    ArchiveAsked,
    EnhancementKept,
    LibraryChanged,
    Notice,
    PromptCopied,
    PromptUsed,
    SearchModelOffered,
    StatusMessage,
    VariablesNeeded,
)
from tui.runtime_pacing import IDLE_BEFORE_COLLECTING, RuntimePacing
from tui.screens.analytics import AnalyticsScreen
from tui.screens.backup import BackupScreen
from tui.screens.base import DeckScreen
from tui.screens.browse import BrowseScreen
from tui.screens.compare import CompareScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.edit import EditScreen
from tui.screens.enhance import EnhanceScreen
from tui.screens.evals import EvalsScreen
from tui.screens.help import HelpScreen
from tui.screens.import_file import ImportScreen
from tui.screens.lineage import LineageScreen
from tui.screens.rate import RateScreen
from tui.screens.run import RunScreen
from tui.screens.runs import RunsScreen
from tui.screens.variables import VariablesScreen
from tui.shared.formatting import error_line
from tui.shared.settings import Settings, configured_embedder, library_options, load_settings
from tui.widgets.model_choice import Choice

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
        self.generation = 0
        self.last_written: str | None = None
        self.leaving = False  # quit was asked: keys typed since are dropped
        self._pacing = RuntimePacing()  # the switch interval and collector, given back

    def on_mount(self) -> None:
        self._pacing.start()
        self.set_interval(IDLE_BEFORE_COLLECTING, self._pacing.collect_if_idle)
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
            if warning := keymap_warning(self.settings.keymap):
                self.notify(warning, title="Config", severity="warning", timeout=10, markup=False)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.config_error:
            self.notify(f"{self.config_error}; using defaults", title="Config", severity="error")
        for warning in self.startup_warnings:
            self.notify(warning, title="Config", severity="warning")
        if self.library.db.created:  # a mistyped --db shows at once, not as an empty library
            self.notify(f"created a new library at {self.library.db.path}", title="Library")
        self.offer_search_model(tuple(self.settings.told))

    def on_unmount(self) -> None:
        self._pacing.stop()

    def _remember_theme(self, theme: object) -> None:
        if self.settings.theme != self.theme and self.config_error is None:
            # A broken file is left for the user to mend, never overwritten with defaults.
            self.settings.theme = self.theme
            self._save_settings()

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as error:
            self.notify(f"cannot save settings: {error}", severity="error")

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 (wrapped for tmux inside tmux): reaches the user's own machine over SSH."""
        self._clipboard = text
        if self._driver is not None:
            self._driver.write(osc52(text))

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self.leaving = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        """Keys typed after quit (a word typed into the list, a paste) are not acted on: a
        screen they opened would mount while the app closes, and fail. A key puts off the
        collector's next full collection (tui/runtime_pacing.py)."""
        if isinstance(event, events.Key):
            self._pacing.key_pressed()
        if not (self.leaving and isinstance(event, events.InputEvent)):
            await super().on_event(event)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
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

    # -- navigation ------------------------------------------------------------------------

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Textual's, with the screen it covers told at the key: its loading gives way
        (DeckScreen.cover) before the new screen is built, not once it is. (Covered again
        by its ScreenSuspend; uncovered here if Textual refuses the push.)"""
        below = self.screen_stack[-1] if self.screen_stack else None
        covered = below if isinstance(below, DeckScreen) and "mode" not in kwargs else None
        if covered is not None:
            covered.cover()
        try:
            return super().push_screen(screen, *args, **kwargs)
        except BaseException:
            if covered is not None:
                covered.uncover()
            raise

    def open_prompt(self, prompt_id: str) -> None:
        self.push_screen(EditScreen(prompt_id=prompt_id))

    def open_new(self) -> None:
        self.push_screen(EditScreen())

    def open_derive(self, parent_id: str) -> None:
        self.push_screen(EditScreen(parent_id=parent_id))

    def open_lineage(self, prompt_id: str) -> None:
        self.push_screen(LineageScreen(prompt_id))

    def open_analytics(self) -> None:
        self.push_screen(AnalyticsScreen())

    def open_run(self, ref: str) -> None:
        self.push_screen(RunScreen(ref))

    def open_runs(self, prompt_id: str) -> None:
        self.push_screen(RunsScreen(prompt_id))

    def open_evals(self, prompt_id: str) -> None:
        self.push_screen(EvalsScreen(prompt_id))

    def open_compare(
        self, prompt_id: str, values: dict[str, str], version: str, provider: str, model: str
    ) -> None:
        """Side A as given (the run screen's, or a past run's); side B chosen on the screen."""
        self.push_screen(CompareScreen(prompt_id, values, Choice(provider, model, version)))

    def open_enhance(self, prompt_id: str) -> None:
        def closed(kept: EnhancementKept | None) -> None:
            if kept is None:
                return
            prompt = kept.prompt
            said = (
                f"v{prompt.current_version} of {prompt.name}"
                if kept.keep_as == "version"
                else prompt.name
            )
            self.notify(f"Kept as {said}", title="Enhance")
            for notice in kept.notices:
                self.notify(notice, title="Enhance", severity="warning")
            self.post_message(LibraryChanged(select=prompt.id))

        self.push_screen(EnhanceScreen(prompt_id), closed)

    def open_backup(self) -> None:
        self.push_screen(BackupScreen())

    def open_import(self) -> None:
        def closed(imported: bool | None) -> None:
            if imported:
                self.embed_library(only_if_offline=True)

        self.push_screen(ImportScreen(), closed)

    # -- the one change signal -------------------------------------------------------------

    def on_library_changed(self, message: LibraryChanged) -> None:
        """Every write ends here (posted by the worker that made it, or by a reload after CLI
        writes): the screen in front reads again now, the others when they are shown."""
        self.generation += 1
        self.last_written = message.select
        if isinstance(self.screen, DeckScreen):
            self.screen.catch_up()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The app's own workers' errors reach the status line, as storage worded them."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            self.post_message(Notice(error_line(error), error=True))

    def on_notice(self, message: Notice) -> None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DeckScreen):
                screen.post_message(StatusMessage(message.text, message.error))
                return

    # -- actions on a prompt, shared by every screen that shows prompts --------------------

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def copy_prompt(self, prompt_id: str) -> None:
        self.post_message(prompt_worker.copy(self.library, prompt_id))

    def on_prompt_copied(self, message: PromptCopied) -> None:
        prompt = message.prompt
        self.copy_to_clipboard(prompt.content)
        self.notify(f"Copied {prompt.name!r} ({len(prompt.content):,} characters)", title="Copy")
        self.post_message(LibraryChanged(select=prompt.id))

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def use_prompt(self, prompt_id: str) -> None:
        """Render and copy; a prompt with variables asks for their values first."""
        self.post_message(prompt_worker.use(self.library, prompt_id, None))

    def on_variables_needed(self, message: VariablesNeeded) -> None:
        prompt = message.prompt

        def filled(values: dict[str, str] | None) -> None:
            if values is not None:
                self.use_with(prompt.id, values)

        self.push_screen(VariablesScreen(prompt.name, prompt.content, message.names), filled)

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def use_with(self, prompt_id: str, values: dict[str, str]) -> None:
        self.post_message(prompt_worker.use(self.library, prompt_id, values))

    def on_prompt_used(self, message: PromptUsed) -> None:
        self.copy_to_clipboard(message.text)
        self.notify(
            f"Rendered text copied ({len(message.text):,} characters); use recorded", title="Use"
        )
        self.post_message(LibraryChanged(select=message.prompt_id))

    def rate_prompt(self, prompt_id: str) -> None:
        def rated(result: tuple[int, str | None] | None) -> None:
            if result is not None:
                self.save_rating(prompt_id, *result)

        self.push_screen(RateScreen(), rated)

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def save_rating(self, prompt_id: str, rating: int, comment: str | None) -> None:
        self.post_message(prompt_worker.rate(self.library, prompt_id, rating, comment))
        self.post_message(LibraryChanged(select=prompt_id))

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def archive_prompt(self, prompt_id: str, restoring: bool) -> None:
        """Asks first, naming the prompt; `restoring` takes it out of the archive."""
        self.post_message(ArchiveAsked(self.library.prompts.get(prompt_id), restoring))

    def on_archive_asked(self, message: ArchiveAsked) -> None:
        prompt, restoring = message.prompt, message.restoring
        question = (
            f"Restore {prompt.name!r} from the archive?"
            if restoring
            else f"Archive {prompt.name!r}?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.save_archived(prompt.id, restoring)

        self.push_screen(
            ConfirmScreen(question, yes="Restore" if restoring else "Archive"), answered
        )

    @work(thread=True, group="prompt-action", exit_on_error=False)
    def save_archived(self, prompt_id: str, restoring: bool) -> None:
        self.post_message(prompt_worker.archive(self.library, prompt_id, restoring))
        self.post_message(LibraryChanged())

    # -- whole-library actions -------------------------------------------------------------

    def embed_library(self, *, only_if_offline: bool = False) -> None:
        """Embed what has no current vector; when search uses another model than the
        configured one, move search to it (the old one serves until the move is done).
        `only_if_offline`: only when embedding is offline and quick (after an import or the
        sample), so new prompts join semantic search."""
        embedder = self.library.embeddings.embedder
        if embedder is None:
            if not only_if_offline:
                self.post_message(
                    Notice("no embedding provider: see [embedding] in config.toml", error=True)
                )
            return
        if only_if_offline and not embedder.offline:
            return
        self.embed_missing()

    @work(thread=True, exclusive=True, group="embed", exit_on_error=False)
    def embed_missing(self) -> None:
        embed_worker.embed(self.library, self.post_message)

    @work(thread=True, group="startup", exit_on_error=False)
    def offer_search_model(self, told: tuple[str, ...]) -> None:
        """Say once when search uses an older offline model than the configured one."""
        if offer := embed_worker.search_model_offer(self.library, told):
            self.post_message(offer)

    def on_search_model_offered(self, message: SearchModelOffered) -> None:
        key = self.settings.keymap.get("browse.embed", "E")
        self.notify(
            f"Search uses {message.active}; the bundled {message.better} finds prompts by "
            f"meaning. Press {key} to move search to it ({message.active} serves until the "
            "move is done).",
            title="A better search model",
            timeout=20,
            markup=False,
        )
        self.settings.told.append(message.better)
        if self.config_error is None:  # a broken file is left for the user to mend
            self._save_settings()

    @work(thread=True, exclusive=True, group="embed", exit_on_error=False)
    def load_sample(self) -> None:
        embed_worker.load_sample(self.library, self.post_message)


def run_app(
    path: Path | str, *, demo: bool = False, read_only: bool = False, lock_timeout: float = 5.0
) -> None:
    """Open the app on a library; `demo` opens a throwaway copy of the sample library."""
    workdir = None
    if demo:
        workdir = Path(tempfile.mkdtemp(prefix="promptdeck-demo-"))
        path = workdir / "demo.duckdb"
        write_demo_library(path)
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
            **library_options(settings),
        ) as library:
            warnings = (embedder_error,) if embedder_error else ()
            PromptdeckApp(
                library, settings=settings, config_error=config_error, warnings=warnings
            ).run()
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
