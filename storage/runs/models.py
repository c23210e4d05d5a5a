"""What a run is: a PreparedRun (what will be sent), a RunOutcome (how the answer went) and the
Run recorded from the two. No httpx here: listing runs must not load the chat providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.models import Record
from storage.prompts.roles import ChatMessage

RUN_STATUSES = ("ok", "failed", "cancelled")
RUN_KINDS = ("prompt", "judge")  # a prompt sent (run, compare, enhance, an eval's answer), or a
# judge scoring an eval's answer (its tokens and cost counted, not a use of the prompt)


@dataclass(frozen=True, slots=True)
class PreparedRun(Record):
    """A prompt rendered and ready to send (RunService.prepare): nothing is recorded yet.
    `model` is the one asked for: --model, else the prompt's own (when the prompt names no
    provider or this one), else the provider's configured default."""

    prompt_id: str
    prompt_name: str
    version: int
    provider: str
    model: str
    messages: tuple[ChatMessage, ...]
    variables: dict[str, str] = field(default_factory=dict)
    temperature: float | None = None  # None: the provider's default
    max_tokens: int | None = None
    stream: bool = True
    enhance: dict[str, str] | None = None  # {"phase", "method"}: the run asks for a rewrite
    judge: dict[str, str] | None = None  # {"run_id", "rubric"}: a judge scoring that run

    @property
    def kind(self) -> str:
        return "prompt" if self.judge is None else "judge"

    @property
    def parameters(self) -> dict[str, Any]:
        """What was asked of the model besides the messages (stored as the run's parameters)."""
        asked: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": self.stream,
        }
        if self.enhance is not None:
            asked["enhance"] = dict(self.enhance)
        if self.judge is not None:
            asked["judge"] = dict(self.judge)
        return asked


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How an answer went, as the runner saw it. `output` is the text received (all of it, or
    so far); tokens are the API's counts, or estimated (and marked so)."""

    status: str  # ok | failed | cancelled
    output: str
    tokens_in: int
    tokens_out: int
    tokens_estimated: bool
    latency_ms: int | None
    first_token_ms: int | None = None  # None: no text came
    finish_reason: str | None = None
    answered_by: str | None = None  # the model the API said answered
    error: str | None = None  # a failed run's one-line reason (secrets already hidden)


@dataclass(frozen=True, slots=True)
class Run(Record):
    """One recorded run. `cost_usd` is tokens times the price in force that day (None when
    the model has no price then)."""

    id: str
    prompt_id: str
    prompt_name: str
    version: int
    provider: str
    model: str
    answered_by: str | None
    messages: tuple[ChatMessage, ...]
    variables: dict[str, str]
    parameters: dict[str, Any]
    output: str
    finish_reason: str | None
    status: str
    error: str | None
    tokens_in: int
    tokens_out: int
    tokens_estimated: bool
    cost_usd: float | None
    first_token_ms: int | None
    latency_ms: int | None
    created_at: datetime
    kind: str = "prompt"  # prompt | judge (RUN_KINDS)

    @property
    def answered(self) -> bool:
        """Counted as a generation: finished, or stopped by the user after text arrived."""
        return self.status == "ok" or (self.status == "cancelled" and bool(self.output))
