"""Run: send a prompt (a version of it) to a chat model with its variables filled in, watch the
answer stream in, and see its tokens, cost and times at the end. The answer comes from a thread
worker (tui/run_worker.py) that posts it in batches; esc stops it, recorded as cancelled."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input
from textual.worker import Worker, get_current_worker

from storage import Run
from storage.models import Resolved, short_id
from tui.keys import key
from tui.messages import AnswerDelta, AnswerEnded, AnswerStarted, RunTargetLoaded
from tui.run_worker import AnswerJob, configured, providers, stream_answer
from tui.screens.base import DeckScreen
from tui.screens.run_detail import keep_as_case
from tui.widgets.answer_view import AnswerView
from tui.widgets.model_choice import ModelChoice
from tui.widgets.status_line import StatusLine
from tui.widgets.variables_panel import VariablesPanel


def own_model(target: Resolved, provider: str) -> str | None:
    """The model the prompt (that version) names, when it names no provider or this one: the
    one a run uses unless another is typed (as RunService.prepare chooses)."""
    own: dict[str, Any] = target.version.metadata if target.version else target.prompt.editable()
    model = own.get("model")
    return str(model) if model and own.get("provider") in (None, "", provider) else None


class RunScreen(DeckScreen[None]):
    CSS_PATH = "run.tcss"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("f5,ctrl+j", "start", "Run", "run.start",
            "Send the prompt, with these variables, to the model"),
        key("escape", "stop_or_leave", "Stop/back", "run.back",
            "While the answer streams: stop it (recorded as cancelled); else back"),
        key("f6", "history", "Runs", "run.history", "This prompt's runs, newest first"),
        key("f7", "compare", "Compare", "run.compare",
            "These variables through two versions or two models, side by side"),
        key("f8", "copy", "Copy answer", "run.copy",
            "Copy the answer to the clipboard (OSC 52, works over SSH)", show=False),
        key("f9", "keep_case", "Keep as case", "run.keep_case",
            "The last answer's variables and output as a test case of the prompt", show=False),
    ]
    # fmt: on

    def __init__(self, ref: str) -> None:
        """`ref`: a prompt id, or ID@N for one of its versions."""
        super().__init__()
        self.ref = ref
        self.target: Resolved | None = None
        self._answering: Worker[None] | None = None
        self.last_run: Run | None = None  # the answer shown, once recorded

    def compose(self) -> ComposeResult:
        provider, _ = configured(self.deck.settings.llm)
        yield Header()
        with Horizontal(id="run-body"):
            with Vertical(id="setup", classes="pane"):
                yield ModelChoice(providers(), provider, self._default_model, id="choice")
                yield VariablesPanel(id="run-variables")
            yield AnswerView("f5 runs the prompt · f7 compares", id="answer")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#setup").border_title = "Run"
        self.query_one(AnswerView).border_title = "Answer"
        self.load_target(self.ref)

    def _default_model(self, provider: str) -> str:
        own = own_model(self.target, provider) if self.target else None
        return own or configured(self.deck.settings.llm, provider)[1]

    @work(thread=True, exclusive=True, group="run-load", exit_on_error=False)
    def load_target(self, ref: str) -> None:
        self.post_message(RunTargetLoaded(self.deck.library.prompts.resolve(ref)))

    async def on_run_target_loaded(self, message: RunTargetLoaded) -> None:
        self.target = target = message.target
        self.query_one("#setup").border_title = f"Run {target.prompt.name} · v{target.number}"
        choice = self.query_one(ModelChoice)
        choice.suggest_model(self._default_model(choice.chosen().provider))
        panel = self.query_one(VariablesPanel)
        await panel.update_content(target.content)
        first = panel.query_one_optional("Input.variable", Input)
        (first or self.query_one("#model", Input)).focus()

    # -- the answer --------------------------------------------------------------------------

    @property
    def answering(self) -> bool:
        return self._answering is not None

    def action_start(self) -> None:
        if self.target is None:
            self.query_one(StatusLine).say("still reading the prompt")
            return
        if self.answering:
            self.query_one(StatusLine).say("an answer is on its way: esc stops it")
            return
        choice = self.query_one(ModelChoice).chosen()
        job = AnswerJob(
            "run",
            f"{self.target.prompt.id}@{self.target.number}",
            self.query_one(VariablesPanel).filled(),
            choice.provider,
            choice.model or None,
            dict(self.deck.settings.llm),
        )
        self.query_one(AnswerView).begin(f"v{self.target.number} · {choice.provider}")
        self.query_one(StatusLine).say(f"asking {choice.provider}…")
        self._answering = self.answer(job)

    @work(thread=True, exclusive=True, group="answer", exit_on_error=False)
    def answer(self, job: AnswerJob) -> None:
        worker = get_current_worker()
        post_to_app = self.app.post_message
        stream_answer(
            self.deck.library, job, self.post_message, post_to_app, lambda: worker.is_cancelled
        )

    def on_answer_started(self, message: AnswerStarted) -> None:
        prepared = message.prepared
        title = f"v{prepared.version} · {prepared.provider}/{prepared.model}"
        self.query_one(AnswerView).border_title = title

    def on_answer_delta(self, message: AnswerDelta) -> None:
        view = self.query_one(AnswerView)
        if not view.text:
            view.streaming()
        view.add(message.text)

    def on_answer_ended(self, message: AnswerEnded) -> None:
        self._answering = None
        run, error = message.run, message.error
        self.query_one(AnswerView).end(run, error)
        self.last_run = run
        if run is not None:
            said = f"run {short_id(run.id)} recorded: {run.status}"
            self.query_one(StatusLine).say(said, error=run.status == "failed")
        elif error:
            self.query_one(StatusLine).say(error, error=True)

    def action_stop_or_leave(self) -> None:
        if self._answering is not None:
            self._answering.cancel()
            self.query_one(StatusLine).say("stopping the answer…")
        else:
            self.dismiss(None)

    # -- elsewhere -----------------------------------------------------------------------------

    def action_history(self) -> None:
        if self.target is not None:
            self.deck.open_runs(self.target.prompt.id)

    def action_compare(self) -> None:
        if self.target is None:
            return
        chosen = self.query_one(ModelChoice).chosen()
        values = self.query_one(VariablesPanel).filled()
        version = str(self.target.number)
        self.deck.open_compare(
            self.target.prompt.id, values, version, chosen.provider, chosen.model
        )

    def action_keep_case(self) -> None:
        if self.last_run is None or self.answering:
            self.query_one(StatusLine).say("no answer to keep yet: f5 runs the prompt")
            return
        keep_as_case(self, self.last_run)

    def action_copy(self) -> None:
        text = self.query_one(AnswerView).text
        if text:
            self.app.copy_to_clipboard(text)
            self.notify(f"Answer copied ({len(text):,} characters)", title="Copy")
