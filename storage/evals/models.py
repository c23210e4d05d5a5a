"""What evals are made of: cases (variables and assertions), rubrics (weighted criteria a judge
scores 1..5), a plan (cases x targets), the results kept, and the events a runner yields. Plain
dataclasses; no httpx or numpy here, so that listing cases loads neither."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.models import Record

ASSERTION_TYPES = (
    "contains",
    "not-contains",
    "icontains",
    "equals",
    "regex",
    "starts-with",
    "is-json",
    "json-schema",
    "max-length",
    "min-length",
    "similar",
    "cost",
    "latency",
    "judge",
)
VERDICTS = ("pass", "fail", "error")
EVAL_STATUSES = ("running", "done", "cancelled", "failed")  # as written
# An eval read back as `running` whose process has ended without finishing it (evals/owner.py)
# reads as `interrupted`; nothing is written for it.
INTERRUPTED = "interrupted"
CASE_SOURCES = ("manual", "import", "run")


@dataclass(frozen=True, slots=True)
class Assertion(Record):
    """One check of an answer, as a case file writes it: `{"type": "contains", "value": "x"}`.
    `threshold` is `similar`'s least cosine and `judge`'s least weighted score; `rubric` the
    rubric a `judge` scores by."""

    type: str
    value: Any = None
    threshold: float | None = None
    rubric: str | None = None

    def spec(self) -> dict[str, Any]:
        """The assertion as written in a case file (only the keys it uses)."""
        written: dict[str, Any] = {"type": self.type}
        for key in ("value", "threshold", "rubric"):
            if getattr(self, key) is not None:
                written[key] = getattr(self, key)
        return written


@dataclass(frozen=True, slots=True)
class EvalCase(Record):
    id: str
    prompt_id: str
    description: str
    vars: dict[str, str]
    asserts: tuple[Assertion, ...]
    source: str  # manual | import | run
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Criterion(Record):
    name: str
    weight: float = 1.0
    description: str = ""


@dataclass(frozen=True, slots=True)
class Rubric(Record):
    id: str
    name: str
    description: str
    criteria: tuple[Criterion, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CaseImport(Record):
    """What importing a case file did: cases added, and those skipped as already kept."""

    prompt_id: str
    file: str
    added: int
    skipped: int
    case_ids: tuple[str, ...]  # every case of the file, added or already kept, in file order


@dataclass(frozen=True, slots=True)
class EvalTarget(Record):
    """A column of the matrix: a version of the prompt answered by a model."""

    version: int
    model: str

    @property
    def label(self) -> str:
        return f"v{self.version} {self.model}"


@dataclass(frozen=True, slots=True)
class EvalPlan(Record):
    """What an eval will run (EvalService.prepare, which reads only): every case against every
    target, `repeat` times. Rubrics named by the cases' judge assertions are resolved here, so
    an unknown one is refused before anything is sent."""

    prompt_id: str
    prompt_name: str
    provider: str
    targets: tuple[EvalTarget, ...]
    cases: tuple[EvalCase, ...]
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    repeat: int = 1
    only_failed: bool = False
    judge_model: str | None = None  # None: the target's model judges

    @property
    def total(self) -> int:
        return len(self.cases) * len(self.targets) * self.repeat


@dataclass(frozen=True, slots=True)
class CriterionScore(Record):
    name: str
    weight: float
    score: int  # 1..5
    reason: str


@dataclass(frozen=True, slots=True)
class AssertionResult(Record):
    """How one assertion went: `reason` says why it failed (or, passing, what was measured);
    `score` is the measure compared (cosine, judge score, characters, cost, ms) when there is
    one; `criteria` a judge's score and reason per criterion."""

    type: str
    passed: bool
    reason: str
    score: float | None = None
    criteria: tuple[CriterionScore, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvalResult(Record):
    """One case against one target (one attempt). Output and figures come from its run
    (`run_id`); None when nothing was sent (the case could not be rendered)."""

    id: str
    eval_run_id: str
    case_id: str
    prompt_id: str
    version: int
    provider: str
    model: str
    attempt: int
    run_id: str | None
    verdict: str  # pass | fail | error
    error: str | None
    assertions: tuple[AssertionResult, ...]
    judge_score: float | None
    created_at: datetime
    output: str = ""
    cost_usd: float | None = None
    latency_ms: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0

    @property
    def target(self) -> EvalTarget:
        return EvalTarget(self.version, self.model)

    @property
    def failed_assertions(self) -> tuple[AssertionResult, ...]:
        return tuple(a for a in self.assertions if not a.passed)


@dataclass(frozen=True, slots=True)
class EvalRun(Record):
    id: str
    prompt_id: str
    prompt_name: str
    provider: str
    targets: tuple[EvalTarget, ...]
    judge_model: str | None
    cases: int
    repeat: int
    only_failed: bool
    status: str  # running | done | cancelled | failed, or interrupted (read so, see owner.py)
    results: int
    passed: int
    failed: int
    errors: int
    started_at: datetime
    finished_at: datetime | None

    @property
    def all_passed(self) -> bool:
        return self.status == "done" and self.passed == self.results


@dataclass(frozen=True, slots=True)
class VerdictChange(Record):
    """A case whose verdict differs between two targets (or two eval runs): `before` and
    `after` are verdicts, or a share such as "2/3" when a case ran several times."""

    case_id: str
    before: str
    after: str
    before_target: EvalTarget
    after_target: EvalTarget


# -- what a runner yields, one event per case ------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseStarted:
    eval_run_id: str
    case: EvalCase
    target: EvalTarget
    attempt: int
    done: int  # results recorded before this one
    total: int


@dataclass(frozen=True, slots=True)
class CaseFinished:
    result: EvalResult
    done: int  # results recorded, this one included
    total: int


@dataclass(frozen=True, slots=True)
class EvalFinished:
    eval_run: EvalRun


EvalEvent = CaseStarted | CaseFinished | EvalFinished
