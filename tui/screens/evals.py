"""Evals: a prompt's test cases against its latest eval (the matrix: cases x version and
model, each verdict in its colour), run all or only those that failed with the progress as
each case is checked (a thread worker, tui/eval_worker.py; esc stops it, kept as cancelled),
or as set up (versions, models, repeat, judge); enter shows a result whole; cases written,
changed and removed; the cases whose verdict changed; the scorecard over time below."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, get_current_worker

from storage import EvalCase, EvalHistoryPoint, EvalRun
from storage.models import short_id
from tui.case_worker import CaseDraft, draft_of, remove_case
from tui.eval_worker import EvalJob, EvalSetup, read_changes, read_eval, run_eval
from tui.keys import key
from tui.messages import (
    CaseRefused,
    CaseSaved,
    ChangesLoaded,
    EvalEnded,
    EvalLoaded,
    EvalProgress,
    EvalStarted,
    LibraryChanged,
)
from tui.run_worker import configured
from tui.screens.base import DeckScreen
from tui.screens.case_form import CaseFormScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.eval_changes import EvalChangesScreen
from tui.screens.eval_result import EvalResultScreen
from tui.screens.eval_setup import EvalSetupScreen
from tui.widgets.eval_matrix import EvalMatrix, case_label
from tui.widgets.status_line import StatusLine

HISTORY_LINES = 3  # eval runs x targets shown in the scorecard


def summary(eval_run: EvalRun | None) -> str:
    if eval_run is None:
        return "no eval yet: a runs every case"
    only = " (failed only)" if eval_run.only_failed else ""
    return (
        f"eval {short_id(eval_run.id)}{only} · {eval_run.status} · "
        f"{eval_run.passed} passed, {eval_run.failed} failed, {eval_run.errors} errors "
        f"of {eval_run.results}"
    )


def scorecard(history: list[EvalHistoryPoint]) -> Text:
    """The newest eval runs per target, one line each: when, target, passed, rate, judge; an
    eval that did not run every case to its end says so (the scorecard mart leaves it out)."""
    text = Text("Scorecard", style="bold")
    if not history:
        return text.append("  none yet", style="dim")
    for point in history[:HISTORY_LINES]:
        judge = f" · judge {point.judge_score:.1f}" if point.judge_score is not None else ""
        cost = f" · ${point.cost_usd:.6f}" if point.cost_usd else ""
        text.append(f"\n{point.started_at:%m-%d %H:%M}  ", style="dim")
        text.append(f"v{point.version} {point.model}  {point.passed}/{point.results} passed ")
        style = "green" if point.pass_rate >= 1 else "red" if point.pass_rate < 0.5 else "yellow"
        text.append(f"{point.pass_rate:.0%}", style=style)
        text.append(judge + cost)
        if not point.complete:  # not counted in the scorecard: say why
            text.append(" · failed only" if point.only_failed else f" · {point.status}",
                        style="dim")  # fmt: skip
    return text


class EvalsScreen(DeckScreen[None]):
    CSS_PATH = "evals.tcss"
    AUTO_FOCUS = "#matrix"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("a,f5", "run_all", "Run all", "evals.run_all",
            "Run every case against the prompt's current version and the [llm] model"),
        key("f", "run_failed", "Failed only", "evals.run_failed",
            "Run again only the cases that did not pass in the last eval"),
        key("s", "setup", "Set up", "evals.setup",
            "Choose versions, models, provider, repeat, the judge model, then run"),
        key("n", "new_case", "New case", "evals.new_case",
            "Write a test case: a value per variable and its assertions"),
        key("e", "edit_case", "Change case", "evals.edit_case",
            "Change the highlighted case's variables, assertions or description", show=False),
        key("d", "remove_case", "Remove case", "evals.remove_case",
            "Remove the highlighted case (asks first; its past results stay)", show=False),
        key("c", "changes", "Changed", "evals.changes",
            "The cases whose verdict changed: between the latest eval's targets, or since the "
            "eval before it"),
        key("enter", "open", "Open", "evals.open",
            "The highlighted result whole: output, failed assertions, the judge's reasons"),
        key("escape", "stop_or_leave", "Stop/back", "evals.back",
            "While an eval runs: stop it (kept as cancelled); else back"),
        key("ctrl+r", "reload", "Reload", "evals.reload",
            "Read the cases and evals again (after the CLI changed them)", show=False),
    ]
    # fmt: on

    def __init__(self, prompt_id: str) -> None:
        super().__init__()
        self.prompt_id = prompt_id
        self.cases: dict[str, EvalCase] = {}
        self._eval_worker: Worker[None] | None = None
        self._cancel_eval: Callable[[], None] | None = None
        self._ending_said = False
        self.prompt_name = ""
        self.variables: tuple[str, ...] = ()
        self.setup = EvalSetup()  # what a and f run: at first the CLI's defaults

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(summary(None), id="summary")
        yield EvalMatrix(id="matrix")
        yield Static(scorecard([]), id="scorecard")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load_eval()

    def refresh_library(self, select: str | None) -> None:
        if self._eval_worker is None:
            self.load_eval()

    @work(thread=True, exclusive=True, group="evals-load", exit_on_error=False)
    def load_eval(self) -> None:
        llm = dict(self.deck.settings.llm)
        self.post_message(read_eval(self.deck.library, self.prompt_id, llm))

    def on_eval_loaded(self, message: EvalLoaded) -> None:
        self.cases = {case.id: case for case in message.cases}
        self.prompt_name, self.variables = message.prompt_name, message.variables
        matrix = self.query_one(EvalMatrix)
        matrix.border_title = f"Evals of {message.prompt_name}"
        matrix.show(message.cases, message.targets, message.results)
        self.query_one("#summary", Static).update(summary(message.eval_run))
        self.query_one("#scorecard", Static).update(scorecard(message.history))
        if self._ending_said:  # the line says how the last eval ended: keep it
            return
        if not message.cases:
            said = "no cases yet: n writes one (or promptdeck cases import REF FILE)"
        else:
            said = f"{len(message.cases)} cases · a runs all, f the failed ones"
        self.query_one(StatusLine).say(said)

    # -- running -------------------------------------------------------------------------------

    def action_run_all(self) -> None:
        self._start(only_failed=False)

    def action_run_failed(self) -> None:
        self._start(only_failed=True)

    def _start(self, *, only_failed: bool) -> None:
        if self._eval_worker is not None:
            self.query_one(StatusLine).say("an eval is running: esc stops it")
            return
        self._ending_said = False
        job = EvalJob(self.prompt_id, only_failed, dict(self.deck.settings.llm), self.setup)
        what = "the failed cases" if only_failed else "every case"
        self.query_one(StatusLine).say(f"running {what}…")
        self._eval_worker = self.run_cases(job)

    @work(thread=True, exclusive=True, group="eval-run", exit_on_error=False)
    def run_cases(self, job: EvalJob) -> None:
        worker = get_current_worker()
        post_to_app = self.app.post_message
        run_eval(
            self.deck.library, job, self.post_message, post_to_app, lambda: worker.is_cancelled
        )

    def on_eval_started(self, message: EvalStarted) -> None:
        self._cancel_eval = message.cancel
        self.cases.update({case.id: case for case in message.cases})
        matrix = self.query_one(EvalMatrix)
        running = {case.id for case in message.cases}
        same = tuple(matrix.targets) == message.targets
        # failed only: the cells not run again keep their verdicts
        kept = [r for r in matrix.results.values() if same and r.case_id not in running]
        matrix.show(list(self.cases.values()), message.targets, kept)
        self.query_one("#summary", Static).update(f"running · 0/{message.total}")

    def on_eval_progress(self, message: EvalProgress) -> None:
        self.query_one(EvalMatrix).put(message.result)
        self.query_one("#summary", Static).update(f"running · {message.done}/{message.total}")

    def on_eval_ended(self, message: EvalEnded) -> None:
        self._eval_worker = None
        self._cancel_eval = None
        if message.eval_run is not None:
            ended = message.eval_run
            said = f"eval {short_id(ended.id)} kept: {ended.status}"
            self.query_one(StatusLine).say(said, error=ended.status == "failed")
            self.query_one("#summary", Static).update(summary(ended))
        elif message.error:
            self.query_one(StatusLine).say(message.error, error=True)
        self._ending_said = True
        self.load_eval()

    def action_stop_or_leave(self) -> None:
        if self._eval_worker is None:
            self.dismiss(None)
            return
        if self._cancel_eval is not None:
            self._cancel_eval()  # stops the answer in progress, from this thread
        self._eval_worker.cancel()
        self.query_one(StatusLine).say("stopping the eval…")

    # -- results -------------------------------------------------------------------------------

    def action_open(self) -> None:
        result = self.query_one(EvalMatrix).highlighted
        if result is None:
            self.query_one(StatusLine).say("no result here: run the eval (a)")
            return
        self.app.push_screen(EvalResultScreen(result, self.cases.get(result.case_id)))

    @on(EvalMatrix.Chosen)
    def _chosen(self, event: EvalMatrix.Chosen) -> None:
        self.action_open()

    def action_reload(self) -> None:
        self.load_eval()

    # -- choosing what runs ----------------------------------------------------------------------

    def action_setup(self) -> None:
        provider, model = configured(self.deck.settings.llm, self.setup.provider)

        def chosen(answer: tuple[EvalSetup, bool] | None) -> None:
            if answer is not None:
                self.setup = answer[0]
                self._start(only_failed=answer[1])

        screen = EvalSetupScreen(self.setup, False, provider, model)
        self.app.push_screen(screen, chosen)

    # -- cases -----------------------------------------------------------------------------------

    def action_new_case(self) -> None:
        draft = CaseDraft(self.prompt_id, self.prompt_name, self.variables)
        self.app.push_screen(CaseFormScreen(draft), self._case_kept)

    def action_edit_case(self) -> None:
        case = self._highlighted_case()
        if case is not None:
            draft = draft_of(case, self.prompt_name, self.variables)
            self.app.push_screen(CaseFormScreen(draft), self._case_kept)

    def _case_kept(self, case: EvalCase | None) -> None:
        if case is not None:
            self._ending_said = True
            self.query_one(StatusLine).say(f"case {short_id(case.id)} kept")

    def action_remove_case(self) -> None:
        case = self._highlighted_case()
        if case is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.drop_case(case.id)

        question = f"Remove the case {case_label(case)!r}? Its past results stay."
        self.app.push_screen(ConfirmScreen(question, yes="Remove"), answered)

    @work(thread=True, exclusive=True, group="case-remove", exit_on_error=False)
    def drop_case(self, case_id: str) -> None:
        self.post_message(remove_case(self.deck.library, case_id))

    def on_case_saved(self, message: CaseSaved) -> None:  # a removal (the form keeps its own)
        self._ending_said = True
        self.query_one(StatusLine).say(f"case {case_label(message.case)!r} removed")
        self.app.post_message(LibraryChanged(select=self.prompt_id))

    def on_case_refused(self, message: CaseRefused) -> None:
        self.query_one(StatusLine).say(message.error, error=True)

    def _highlighted_case(self) -> EvalCase | None:
        case = self.cases.get(self.query_one(EvalMatrix).highlighted_case or "")
        if case is None:
            self.query_one(StatusLine).say("no case here: n writes one")
        return case

    # -- changed verdicts ------------------------------------------------------------------------

    def action_changes(self) -> None:
        self.load_changes()

    @work(thread=True, exclusive=True, group="evals-changes", exit_on_error=False)
    def load_changes(self) -> None:
        self.post_message(read_changes(self.deck.library, self.prompt_id))

    def on_changes_loaded(self, message: ChangesLoaded) -> None:
        screen = EvalChangesScreen(message.title, message.changes, message.cases)
        self.app.push_screen(screen)
