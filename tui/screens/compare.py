"""Compare: the same variables through two versions of a prompt, or two models, side by side,
both answers streaming at once (a worker each); then the diff of the two outputs."""

from __future__ import annotations

import difflib
import re
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, get_current_worker

from storage.models import Resolved
from tui.keys import key
from tui.messages import AnswerDelta, AnswerEnded, AnswerStarted, RunTargetLoaded
from tui.run_worker import AnswerJob, configured, providers, stream_answer
from tui.screens.base import DeckScreen
from tui.screens.diff import DiffScreen
from tui.widgets.answer_view import AnswerView
from tui.widgets.model_choice import Choice, ModelChoice
from tui.widgets.status_line import StatusLine

SIDES = ("a", "b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def diff_lines(text: str) -> list[str]:
    """An answer as lines to diff: its lines, each cut after its sentences, so that a long
    paragraph with one sentence changed shows that sentence, not the whole paragraph."""
    return [part for line in text.splitlines() for part in _SENTENCE_END.split(line)]


class CompareScreen(DeckScreen[None]):
    CSS_PATH = "compare.tcss"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        key("f5,ctrl+j", "start", "Run both", "compare.start",
            "Send the variables through both sides at once"),
        key("ctrl+d", "diff", "Diff", "compare.diff",
            "The differences between the two answers", priority=True),
        key("escape", "stop_or_leave", "Stop/back", "compare.back",
            "While answers stream: stop them (recorded as cancelled); else back"),
    ]
    # fmt: on

    def __init__(self, prompt_id: str, values: dict[str, str], first: Choice) -> None:
        super().__init__()
        self.prompt_id = prompt_id
        self.values = values
        self.first = first
        self.target: Resolved | None = None
        self._answering: dict[str, Worker[None]] = {}
        self._ended: dict[str, str] = {}  # side -> how its answer ended (ok, failed, ...)
        self._labels = {"a": "A", "b": "B"}

    def compose(self) -> ComposeResult:
        llm = self.deck.settings.llm
        known = providers()
        provider = self.first.provider if self.first.provider in known else configured(llm)[0]
        yield Header()
        with Horizontal(id="compare-setup"):
            for side in SIDES:
                with Vertical(id=f"setup-{side}", classes="pane"):
                    yield ModelChoice(
                        known,
                        provider,
                        partial(self._default_model, side),
                        version=self.first.version if side == "a" else "",
                        id=f"choice-{side}",
                    )
        yield Static(Text(self._values_line()), id="compare-values")
        with Horizontal(id="answers"):
            yield AnswerView("f5 runs both sides", id="answer-a")
            yield AnswerView("then ctrl+d shows the diff", id="answer-b")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def _values_line(self) -> str:
        said = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"variables: {said}" if said else "variables: none"

    def _default_model(self, side: str, provider: str) -> str:
        if side == "a" and provider == self.first.provider and self.first.model:
            return self.first.model
        return configured(self.deck.settings.llm, provider)[1]

    def on_mount(self) -> None:
        for side in SIDES:
            self.query_one(f"#setup-{side}").border_title = side.upper()
            self.query_one(f"#answer-{side}", AnswerView).border_title = side.upper()
        self.load_target()

    @work(thread=True, exclusive=True, group="compare-load", exit_on_error=False)
    def load_target(self) -> None:
        self.post_message(RunTargetLoaded(self.deck.library.prompts.resolve(self.prompt_id)))

    def on_run_target_loaded(self, message: RunTargetLoaded) -> None:
        """Side B starts on the version before A's (or the current one, if A is older): two
        versions on one model. Change either side's model to compare two models."""
        self.target = message.target
        prompt = message.target.prompt
        self.sub_title = f"compare {prompt.name}"
        first = int(self.first.version) if self.first.version.isdigit() else prompt.current_version
        other = prompt.current_version if first != prompt.current_version else first - 1
        self.query_one("#choice-b", ModelChoice).choose_version(str(max(other, 1)))
        chosen = self.query_one("#choice-a", ModelChoice).chosen()
        self.query_one("#choice-b", ModelChoice).choose(provider=chosen.provider)
        self.query_one("#choice-b", ModelChoice).suggest_model(chosen.model)
        self.query_one("#choice-b #version").focus()

    # -- the answers ---------------------------------------------------------------------------

    def _ref(self, version: str) -> str:
        pin = version.strip().removeprefix("@")
        return self.prompt_id if pin in ("", "current") else f"{self.prompt_id}@{pin}"

    def action_start(self) -> None:
        if self._answering:
            self.query_one(StatusLine).say("the answers are on their way: esc stops them")
            return
        llm = dict(self.deck.settings.llm)
        for side in SIDES:
            choice = self.query_one(f"#choice-{side}", ModelChoice).chosen()
            job = AnswerJob(
                side,
                self._ref(choice.version),
                dict(self.values),
                choice.provider,
                choice.model or None,
                llm,
            )
            version = choice.version or "current"
            self._labels[side] = f"{side.upper()} · {version} · {choice.provider}/{choice.model}"
            self._ended.pop(side, None)
            self.query_one(f"#answer-{side}", AnswerView).begin(self._labels[side])
            self._answering[side] = self.run_worker(
                partial(self._answer, job),
                thread=True,
                exclusive=True,
                group=f"answer-{side}",
                exit_on_error=False,
            )
        self.query_one(StatusLine).say("asking both sides…")

    def _answer(self, job: AnswerJob) -> None:
        worker = get_current_worker()
        post_to_app = self.app.post_message
        stream_answer(
            self.deck.library, job, self.post_message, post_to_app, lambda: worker.is_cancelled
        )

    def on_answer_started(self, message: AnswerStarted) -> None:
        prepared = message.prepared
        label = (
            f"{message.side.upper()} · v{prepared.version} · {prepared.provider}/{prepared.model}"
        )
        self._labels[message.side] = label
        self.query_one(f"#answer-{message.side}", AnswerView).border_title = label

    def on_answer_delta(self, message: AnswerDelta) -> None:
        view = self.query_one(f"#answer-{message.side}", AnswerView)
        if not view.text:
            view.streaming()
        view.add(message.text)

    def on_answer_ended(self, message: AnswerEnded) -> None:
        run, side = message.run, message.side
        self._answering.pop(side, None)
        self.query_one(f"#answer-{side}", AnswerView).end(run, message.error)
        self._ended[side] = run.status if run is not None else "failed"
        if self._answering:
            return
        ended = set(self._ended.values())
        if ended == {"ok"}:
            self.query_one(StatusLine).say("both answers are in: ctrl+d shows their diff")
        else:
            said = ", ".join(f"{s.upper()} {self._ended[s]}" for s in SIDES if s in self._ended)
            self.query_one(StatusLine).say(said, error="failed" in ended)

    def action_stop_or_leave(self) -> None:
        if self._answering:
            for worker in self._answering.values():
                worker.cancel()
            self.query_one(StatusLine).say("stopping the answers…")
        else:
            self.dismiss(None)

    def action_diff(self) -> None:
        a, b = (self.query_one(f"#answer-{side}", AnswerView).text for side in SIDES)
        if self._answering or not (a or b):
            self.query_one(StatusLine).say("the diff is shown once both answers are in")
            return
        diff = "\n".join(
            difflib.unified_diff(
                diff_lines(a), diff_lines(b), self._labels["a"], self._labels["b"], lineterm=""
            )
        )
        self.app.push_screen(DiffScreen("The two answers: A (-) against B (+)", diff))
