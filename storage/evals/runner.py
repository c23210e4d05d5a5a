"""EvalRunner: an EvalPlan run case by case. Each case's model call is a run (RunStream: sent,
recorded however it ends, its cost, tokens and latency kept), then its assertions are checked
(`similar` with the library's embedding model, `judge` with a chat model, its call a run of
kind `judge`) and the result is recorded. It yields CaseStarted and CaseFinished per case and
one EvalFinished, so that the CLI prints as it goes and a TUI worker posts a message per event.
Imports httpx (through the chat providers): the facade names it on first use."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Self

from storage.errors import LLMError, PromptdeckError, ValidationError
from storage.evals import assertions, judge
from storage.evals.models import (
    Assertion,
    AssertionResult,
    CaseFinished,
    CaseStarted,
    EvalCase,
    EvalEvent,
    EvalFinished,
    EvalPlan,
    EvalResult,
    EvalRun,
    EvalTarget,
)
from storage.evals.service import EvalService
from storage.llm.base import ChatProvider
from storage.llm.chat import TextDelta
from storage.runs.models import PreparedRun, Run
from storage.runs.runner import RunStream
from storage.runs.service import RunService

if TYPE_CHECKING:
    from storage.search.embedding import EmbeddingProvider


class _Cancelled(Exception):
    """cancel() was called: the eval stops after the answer in progress."""


class EvalRunner:
    """Iterate it for the events; `eval_run` is the recorded EvalRun once it has ended.

    `cancel()` may be called from another thread (a TUI's): the answer in progress stops
    (its run recorded as cancelled), no further case starts, and the eval run ends as
    cancelled. `close()` (or leaving a `with` block early) does the same from the iterating
    thread. A model that fails on a case makes that case an error and the eval goes on.
    Nothing is written before the first event is asked for."""

    def __init__(
        self,
        runs: RunService,
        evals: EvalService,
        plan: EvalPlan,
        chat: ChatProvider,
        *,
        embedder: EmbeddingProvider | None = None,
        judge_chat: ChatProvider | None = None,
    ) -> None:
        needs = {a.type for c in plan.cases for a in c.asserts}
        if "similar" in needs and embedder is None:
            raise ValidationError(
                "similar", None, "needs the library's embedding model, and none is configured"
            )
        self.plan = plan
        self.eval_run: EvalRun | None = None
        self._runs = runs
        self._evals = evals
        self._chat = chat
        self._judge = judge_chat or chat
        self._embedder = embedder
        self._cancelled = threading.Event()
        self._events = self._run()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> EvalEvent:
        return next(self._events)

    def cancel(self) -> None:
        self._cancelled.set()

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self) -> Generator[EvalEvent]:
        plan = self.plan
        started = self._evals.start(plan)
        self.eval_run = started
        done = 0
        status = "done"
        try:
            for case in plan.cases:
                for target in plan.targets:
                    for attempt in range(1, plan.repeat + 1):
                        if self._cancelled.is_set():
                            raise _Cancelled
                        yield CaseStarted(started.id, case, target, attempt, done, plan.total)
                        result = self._one(started.id, case, target, attempt)
                        done += 1
                        yield CaseFinished(result, done, plan.total)
        except _Cancelled:
            status = "cancelled"
        except BaseException as error:  # closed, ctrl+c, or a failure of the library itself
            stopped = isinstance(error, GeneratorExit | KeyboardInterrupt)
            self.eval_run = self._evals.finish(started.id, "cancelled" if stopped else "failed")
            raise
        self.eval_run = self._evals.finish(started.id, status)
        yield EvalFinished(self.eval_run)

    def _one(
        self, eval_run_id: str, case: EvalCase, target: EvalTarget, attempt: int
    ) -> EvalResult:
        plan = self.plan

        def record(
            run: Run | None, checked: list[AssertionResult], error: str | None
        ) -> EvalResult:
            return self._evals.record(
                eval_run_id, case, target, attempt, run, checked, provider=plan.provider,
                error=error,
            )  # fmt: skip

        try:
            prepared = self._runs.prepare(
                f"{plan.prompt_id}@{target.version}", case.vars, provider=plan.provider,
                default_model=target.model, model=target.model, stream=self._chat.streaming,
            )  # fmt: skip
        except PromptdeckError as error:  # a variable missing: nothing sent
            return record(None, [], str(error))
        stream = RunStream(self._runs, prepared, self._chat)
        try:
            with stream:
                for event in stream:
                    if isinstance(event, TextDelta) and self._cancelled.is_set():
                        break
        except LLMError as error:
            return record(stream.run, [], str(error))
        run = stream.run
        assert run is not None  # the stream ended: it was recorded
        if run.status == "cancelled":
            raise _Cancelled
        checked = [self._check(a, run, prepared) for a in case.asserts]
        return record(run, checked, None)

    def _check(self, assertion: Assertion, run: Run, prepared: PreparedRun) -> AssertionResult:
        if assertion.type == "similar":
            return self._similar(assertion, run.output)
        if assertion.type == "judge":
            return self._judged(assertion, run, prepared)
        return assertions.check(assertion, run.output, run.cost_usd, run.latency_ms)

    def _similar(self, assertion: Assertion, output: str) -> AssertionResult:
        assert self._embedder is not None  # checked when the runner was made
        threshold = assertion.threshold or 0.0
        try:
            vectors = self._embedder.embed([output or " ", str(assertion.value)])
        except PromptdeckError as error:
            why = f"not embedded: {error}"
            return AssertionResult("similar", False, why, spec=assertion.spec())
        cosine = round(float(vectors[0] @ vectors[1]), 4)
        passed = cosine >= threshold
        why = "" if passed else f"cosine {cosine:g} to the reference, below {threshold:g}"
        return AssertionResult("similar", passed, why, cosine, spec=assertion.spec())

    def _judged(self, assertion: Assertion, run: Run, prepared: PreparedRun) -> AssertionResult:
        """The judge's call is a run of its own kind (`judge`: its tokens and cost counted,
        not a use of the prompt), recorded against the answer's prompt and version."""
        rubric = self.plan.rubrics[str(assertion.rubric)]
        asked = PreparedRun(
            prepared.prompt_id, prepared.prompt_name, prepared.version, self._judge.name,
            self.plan.judge_model or run.model,
            judge.messages(rubric, prepared.messages, run.output), temperature=0.0,
            stream=self._judge.streaming, judge={"run_id": run.id, "rubric": rubric.name},
        )  # fmt: skip
        stream = RunStream(self._runs, asked, self._judge)
        try:
            with stream:
                for _ in stream:
                    pass
        except LLMError as error:
            return AssertionResult("judge", False, f"the judge failed: {error}",
                                   spec=assertion.spec())  # fmt: skip
        assert stream.run is not None  # the stream ended: it was recorded
        return judge.result(assertion, rubric, stream.run.output)
