"""Enhance: a chat model rewrites the prompt for a phase (idea, human, precision) by a method;
the answer streams in, then shows as a diff against the version enhanced, to keep as a new
prompt derived from it, as its next version, or to drop (the run stays recorded)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Select, Static
from textual.worker import Worker, get_current_worker

import storage
from storage import PromptdeckError, Proposal, Run
from storage.models import Resolved, short_id
from tui.keys import key
from tui.messages import (
    AnswerDelta,
    AnswerEnded,
    AnswerStarted,
    EnhancementKept,
    ProposalRead,
    RunTargetLoaded,
)
from tui.run_worker import AnswerJob, configured, providers, stream_answer
from tui.screens.base import DeckScreen
from tui.screens.diff import coloured_diff
from tui.shared.run_format import figures
from tui.widgets.answer_view import AnswerView
from tui.widgets.model_choice import ModelChoice
from tui.widgets.status_line import StatusLine


class EnhanceScreen(DeckScreen[EnhancementKept | None]):
    """Dismissed with what was kept, or None when dropped."""

    CSS_PATH = "enhance.tcss"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("f5,ctrl+j", "start", "Enhance", "enhance.start",
            "Ask the model to rewrite the prompt for this phase and method"),
        key("f9", "keep('prompt')", "Keep as prompt", "enhance.keep_prompt",
            "Keep the rewrite as a new prompt derived from this one"),
        key("f10", "keep('version')", "Keep as version", "enhance.keep_version",
            "Keep the rewrite as this prompt's next version"),
        key("f6", "toggle_view", "Diff/text", "enhance.view",
            "Show the rewrite as a diff against the version enhanced, or whole"),
        key("escape", "stop_or_leave", "Stop/drop", "enhance.back",
            "While the answer streams: stop it; else drop the rewrite and go back"),
    ]
    # fmt: on

    def __init__(self, prompt_id: str) -> None:
        super().__init__()
        self.prompt_id = prompt_id
        self.target: Resolved | None = None
        self.proposal: Proposal | None = None
        self._answering: Worker[None] | None = None
        self._showing_diff = True

    def compose(self) -> ComposeResult:
        provider, _ = configured(self.deck.settings.llm)
        phases = [(f"{name}", name) for name in storage.PHASES]
        methods = [(name, name) for name in storage.METHODS]
        yield Header()
        with Horizontal(id="enhance-body"):
            with Vertical(id="enhance-setup", classes="pane"):
                with Horizontal(classes="choice-row"):
                    yield Static("Phase", classes="label")
                    yield Select(phases, value="idea", allow_blank=False, compact=True, id="phase")
                with Horizontal(classes="choice-row"):
                    yield Static("Method", classes="label")
                    yield Select(
                        methods, value="rewrite", allow_blank=False, compact=True, id="method"
                    )
                yield ModelChoice(providers(), provider, self._default_model, id="choice")
                yield Static(id="phase-help")
            yield AnswerView("f5 asks the model for a rewrite", id="answer")
            with VerticalScroll(id="proposal", classes="pane"):
                yield Static(id="proposal-text")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def _default_model(self, provider: str) -> str:
        return configured(self.deck.settings.llm, provider)[1]

    def on_mount(self) -> None:
        self.query_one("#enhance-setup").border_title = "Enhance"
        self.query_one("#proposal").display = False
        self._explain()
        self.load_target(self.prompt_id)

    @work(thread=True, exclusive=True, group="enhance-load", exit_on_error=False)
    def load_target(self, ref: str) -> None:
        self.post_message(RunTargetLoaded(self.deck.library.prompts.resolve(ref)))

    def on_run_target_loaded(self, message: RunTargetLoaded) -> None:
        self.target = target = message.target
        self.query_one(
            "#enhance-setup"
        ).border_title = f"Enhance {target.prompt.name} · v{target.number}"
        self.query_one("#phase", Select).value = storage.next_phase(target.prompt.phase)
        self.query_one("#phase", Select).focus()

    @on(Select.Changed, "#phase")
    @on(Select.Changed, "#method")
    def _explain(self) -> None:
        phase = str(self.query_one("#phase", Select).value)
        method = str(self.query_one("#method", Select).value)
        said = f"{storage.PHASES[phase]}\n\n{storage.METHODS[method]}"
        self.query_one("#phase-help", Static).update(Text(said, style="dim"))

    # -- the answer --------------------------------------------------------------------------

    def action_start(self) -> None:
        if self.target is None or self._answering is not None:
            return
        choice = self.query_one(ModelChoice).chosen()
        phase = str(self.query_one("#phase", Select).value)
        method = str(self.query_one("#method", Select).value)
        job = AnswerJob(
            "enhance",
            f"{self.target.prompt.id}@{self.target.number}",
            {},
            choice.provider,
            choice.model or None,
            dict(self.deck.settings.llm),
            enhance=(phase, method),
        )
        self.proposal = None
        self._show_answer()
        self.query_one(AnswerView).begin(f"{phase}:{method} · {choice.provider}")
        self.query_one(StatusLine).say(f"asking {choice.provider} for a {phase} rewrite…")
        self._answering = self.answer(job)

    @work(thread=True, exclusive=True, group="answer", exit_on_error=False)
    def answer(self, job: AnswerJob) -> None:
        worker = get_current_worker()
        stream_answer(
            self.deck.library,
            job,
            self.post_message,
            self.app.post_message,
            lambda: worker.is_cancelled,
        )

    def on_answer_started(self, message: AnswerStarted) -> None:
        prepared = message.prepared
        self.query_one(AnswerView).border_title = f"{prepared.provider}/{prepared.model}"

    def on_answer_delta(self, message: AnswerDelta) -> None:
        view = self.query_one(AnswerView)
        if not view.text:
            view.streaming()
        view.add(message.text)

    def on_answer_ended(self, message: AnswerEnded) -> None:
        self._answering = None
        self.query_one(AnswerView).end(message.run, message.error)
        if message.run is not None and message.run.status == "ok":
            self.read_proposal(message.run)
        elif message.error or message.run is not None:
            status = message.run.status if message.run else "failed"
            self.query_one(StatusLine).say(message.error or f"the answer {status}", error=True)

    @work(thread=True, exclusive=True, group="enhance-read", exit_on_error=False)
    def read_proposal(self, run: Run) -> None:
        try:
            self.post_message(ProposalRead(self.deck.library.enhance.proposal(run)))
        except PromptdeckError as error:
            self.post_message(ProposalRead(None, str(error)))

    def on_proposal_read(self, message: ProposalRead) -> None:
        if message.proposal is None:
            self.query_one(StatusLine).say(f"not keepable: {message.error}", error=True)
            return
        self.proposal = message.proposal
        self._showing_diff = True
        self._show_proposal()
        run = message.proposal.run
        self.query_one(StatusLine).say(f"rewrite ready · run {short_id(run.id)}: {figures(run)}")

    # -- the proposal ------------------------------------------------------------------------

    def action_toggle_view(self) -> None:
        if self.proposal is not None:
            self._showing_diff = not self._showing_diff
            self._show_proposal()

    def _show_proposal(self) -> None:
        assert self.proposal is not None
        diff = self.proposal.diff()
        shown: Text | str = self.proposal.content
        if self._showing_diff:
            same = f"The rewrite is the same as v{self.proposal.run.version}."
            shown = coloured_diff(diff) if diff else Text(same, style="dim")
        self.query_one("#proposal-text", Static).update(shown)
        pane = self.query_one("#proposal")
        pane.border_title = "Rewrite: diff" if self._showing_diff else "Rewrite"
        pane.border_subtitle = "f9 new prompt · f10 new version · esc drop"
        pane.display = True
        self.query_one(AnswerView).display = False
        pane.focus()

    def _show_answer(self) -> None:
        self.query_one("#proposal").display = False
        self.query_one(AnswerView).display = True

    def action_keep(self, keep_as: str) -> None:
        if self.proposal is None:
            self.query_one(StatusLine).say("nothing to keep yet: f5 asks for a rewrite")
            return
        self.keep(self.proposal.run, keep_as)

    @work(thread=True, exclusive=True, group="enhance-keep", exit_on_error=False)
    def keep(self, run: Run, keep_as: str) -> None:
        library = self.deck.library
        try:
            kept = library.enhance.keep(run, keep_as=keep_as)
        except PromptdeckError as error:  # said as not keepable; the proposal stays shown
            self.post_message(ProposalRead(None, str(error)))
            return
        notices = library.embeddings.after_save(kept)  # as every save: its vector, a near twin
        self.post_message(EnhancementKept(kept, keep_as, [n.message for n in notices]))

    def on_enhancement_kept(self, message: EnhancementKept) -> None:
        self.dismiss(message)

    def action_stop_or_leave(self) -> None:
        if self._answering is not None:
            self._answering.cancel()
            self.query_one(StatusLine).say("stopping the answer…")
        else:
            self.dismiss(None)
