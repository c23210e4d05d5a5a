"""Dataclasses of analytics, prices and the relevance lifecycle (see storage.models for Record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from storage.errors import ValidationError
from storage.models import Record

# Period name -> days it covers, today included (None: all time).
PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}


@dataclass(frozen=True, slots=True)
class Period(Record):
    """A reporting window ending today: `since` is its first day (None: all time)."""

    name: str
    since: date | None
    until: date

    @classmethod
    def ending(cls, name: str, today: date) -> Period:
        if name not in PERIODS:
            raise ValidationError("period", name, f"must be one of {', '.join(PERIODS)}")
        days = PERIODS[name]
        since = None if days is None else today - timedelta(days=days - 1)
        return cls(name, since, today)

    @property
    def label(self) -> str:
        return "all time" if self.since is None else f"last {PERIODS[self.name]} days"


@dataclass(frozen=True, slots=True)
class Kpis(Record):
    """The headline figures of a period (prompts: live now; new_prompts: created in it)."""

    period: Period
    prompts: int
    new_prompts: int
    uses: int
    generations: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    unpriced: int  # generations with neither a cost nor a price in force
    ratings: int
    avg_rating: float | None

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


@dataclass(frozen=True, slots=True)
class DayPoint(Record):
    """One day of the time series (every day of the period, zeros included)."""

    day: date
    created: int
    edited: int
    used: int
    generations: int
    tokens: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class ModelUsage(Record):
    """Generations of a provider (model None) or of one model, in a period."""

    provider: str
    model: str | None
    generations: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    unpriced: int


@dataclass(frozen=True, slots=True)
class ModelLatency(Record):
    """How long a model's answers took in a period, in milliseconds: percentiles of the total
    over the `timed` generations, and of the time to the first token over the `runs` among
    them (None when there were none)."""

    provider: str
    model: str
    timed: int
    p50_ms: float
    p95_ms: float
    runs: int
    first_token_p50_ms: float | None
    first_token_p95_ms: float | None


@dataclass(frozen=True, slots=True)
class GroupActivity(Record):
    """Activity of a tag or a phase in a period (prompts: live prompts in it now)."""

    key: str
    prompts: int
    uses: int
    ratings: int
    avg_rating: float | None


@dataclass(frozen=True, slots=True)
class TopPrompt(Record):
    id: str
    name: str
    uses: int
    ratings: int
    avg_rating: float | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnalyticsReport(Record):
    """Everything the analytics screen shows for a period, read from the mart views."""

    kpis: Kpis
    days: list[DayPoint]
    providers: list[ModelUsage]
    models: list[ModelUsage]
    tags: list[GroupActivity]
    phases: list[GroupActivity]
    top_by_use: list[TopPrompt]
    top_by_rating: list[TopPrompt]
    rating_distribution: dict[int, int] = field(default_factory=dict)
    latency: list[ModelLatency] = field(default_factory=list)  # slowest (p95) first

    @property
    def period(self) -> Period:
        return self.kpis.period


@dataclass(frozen=True, slots=True)
class Price(Record):
    """USD per million tokens for a provider's model, from `effective_from` on."""

    provider: str
    model: str
    effective_from: date
    input_per_mtok: float
    output_per_mtok: float
    currency: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Generation(Record):
    id: str
    prompt_id: str
    version: int | None
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: float | None  # None: priced from the price table in the mart views
    latency_ms: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Setting(Record):
    """One lifecycle setting of the config table (value as stored, normalised)."""

    key: str
    value: str
    description: str


@dataclass(frozen=True, slots=True)
class DecayRun(Record):
    """What `lifecycle decay` did: `days` of decay at `rate` applied to `prompts` prompts."""

    run_on: date
    days: int
    rate: float
    prompts: int

    @property
    def already_ran(self) -> bool:
        return self.days == 0


@dataclass(frozen=True, slots=True)
class CleanupCandidate(Record):
    id: str
    name: str
    relevance_score: float
    last_active: datetime  # last use, or creation for a prompt never used


@dataclass(frozen=True, slots=True)
class CleanupRun(Record):
    """What `lifecycle cleanup` archived (or, in a dry run, would archive)."""

    live: int
    max_prompts: int
    candidates: list[CleanupCandidate]
    dry_run: bool


@dataclass(frozen=True, slots=True)
class PurgeRun(Record):
    """What `purge` deleted and where it exported it first (rows per table)."""

    folder: Path | None
    prompts: list[tuple[str, str]]  # (id, name)
    rows: dict[str, int]
