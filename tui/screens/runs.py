"""Runs: a prompt's runs, newest first (status, model, tokens, cost, time, the start of the
output); enter shows one whole, r runs the prompt again, c compares with a run's variables."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Header

from storage import Run
from tui.keys import key
from tui.messages import RunRead, RunsLoaded
from tui.screens.base import DeckScreen
from tui.screens.run_detail import RunDetailScreen
from tui.widgets.runs_table import RunsTable
from tui.widgets.status_line import StatusLine

SHOWN = 200  # the newest runs listed


class RunsScreen(DeckScreen[None]):
    CSS_PATH = "runs.tcss"
    AUTO_FOCUS = "#runs"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("enter", "open", "Open", "runs.open",
            "The run whole: messages, output, figures"),
        key("x,f5", "run", "Run", "runs.run", "Run the prompt again (the run screen)"),
        key("c,f7", "compare", "Compare", "runs.compare",
            "The highlighted run's variables through two versions or two models"),
        key("ctrl+r", "reload", "Reload", "runs.reload",
            "Read the runs again (after runs from the CLI)", show=False),
        key("escape", "back", "Back", "runs.back", "Back to where you were"),
    ]
    # fmt: on

    def __init__(self, prompt_id: str) -> None:
        super().__init__()
        self.prompt_id = prompt_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield RunsTable(id="runs")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load_runs()

    def refresh_library(self, select: str | None) -> None:
        self.load_runs()

    @work(thread=True, exclusive=True, group="runs-load", exit_on_error=False)
    def load_runs(self) -> None:
        self.post_message(RunsLoaded(self.deck.library.runs.list_runs(self.prompt_id, SHOWN)))

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        runs = message.runs
        table = self.query_one(RunsTable)
        table.show(runs)
        name = runs[0].prompt_name if runs else ""
        table.border_title = f"Runs of {name}" if name else "Runs"
        more = f" (the newest {SHOWN})" if len(runs) == SHOWN else ""
        said = f"{len(runs)} runs{more}" if runs else "no runs yet: x runs the prompt"
        self.query_one(StatusLine).say(said)

    @on(RunsTable.Chosen)
    def _chosen(self, event: RunsTable.Chosen) -> None:
        self.read_run(event.run_id)

    def action_open(self) -> None:
        run = self.query_one(RunsTable).highlighted
        if run is not None:
            self.read_run(run.id)

    @work(thread=True, exclusive=True, group="runs-read", exit_on_error=False)
    def read_run(self, run_id: str) -> None:
        self.post_message(RunRead(self.deck.library.runs.get(run_id)))

    def on_run_read(self, message: RunRead) -> None:
        self.app.push_screen(RunDetailScreen(message.run))

    def action_run(self) -> None:
        self.deck.open_run(self.prompt_id)

    def action_compare(self) -> None:
        run: Run | None = self.query_one(RunsTable).highlighted
        if run is None:
            self.query_one(StatusLine).say("no run is highlighted", error=True)
            return
        self.deck.open_compare(
            run.prompt_id, dict(run.variables), str(run.version), run.provider, run.model
        )

    def action_reload(self) -> None:
        self.load_runs()

    def action_back(self) -> None:
        self.dismiss(None)
