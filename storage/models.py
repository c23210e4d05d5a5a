"""Plain dataclasses returned by storage.Library; the UI and CLI never see database rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

# Fields a user edits; a change to any of them writes a new version.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "content",
    "folder",
    "tags",
    "phase",
    "provider",
    "model",
    "temperature",
    "max_tokens",
    "persona",
    "target_model_family",
    "format_type",
    "language",
    "metadata",
)
# Fields set once, when a prompt is created (by import, derive, enhance or generate).
ORIGIN_FIELDS: tuple[str, ...] = (
    "source_type",
    "enhancement_method",
    "original_input",
    "generation_request",
    "generation_context",
)
# Editable fields snapshotted into prompt_versions.metadata (name and content have columns).
SNAPSHOT_FIELDS: tuple[str, ...] = tuple(f for f in EDITABLE_FIELDS if f not in ("name", "content"))

FORMAT_TYPES = ("auto", "text", "markdown", "xml")
SOURCE_TYPES = ("manual", "import", "derived", "enhanced", "generated")
RELATIONSHIP_TYPES = (
    "derived_from",
    "enhanced_from",
    "similar_to",
    "depends_on",
    "overrides",
    "conflicts_with",
)
LINEAGE_TYPES = ("derived_from", "enhanced_from")
USAGE_EVENT_TYPES = ("copied", "rendered", "used", "used_in_generation")
SORT_KEYS = ("updated", "created", "name", "folder", "uses", "rating", "model", "relevance")
# The choices the CLI offers, here so that building it imports no search or transfer module.
SEARCH_MODES = ("text", "semantic", "hybrid")
EMBEDDING_PROVIDERS = ("wordllama", "local", "openai", "ollama")
IMPORT_FORMATS: tuple[str, ...] = ("csv", "json", "jsonl", "md", "parquet")
EXPORT_FORMATS: tuple[str, ...] = ("parquet", "jsonl", "csv", "md")
# A generation's fields, as a gateway-log import maps them; the first five are required.
GENERATION_FIELDS: tuple[str, ...] = (
    "prompt",
    "provider",
    "model",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_ms",
    "created_at",
    "id",
)


def short_id(prompt_id: str) -> str:
    """The random tail of a UUID v7 id: what the UI shows and what references accept."""
    return prompt_id[-8:]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class Record:
    """JSON-ready dict of a dataclass (datetimes as ISO strings)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Prompt(Record):
    id: str
    name: str
    description: str
    content: str
    content_hash: str
    folder: str
    tags: tuple[str, ...]
    phase: str | None
    provider: str | None
    model: str | None
    temperature: float | None
    max_tokens: int | None
    persona: str | None
    target_model_family: str | None
    format_type: str
    language: str | None
    source_type: str
    enhancement_method: str | None
    parent_id: str | None
    relevance_score: float
    usage_count: int
    generation_count: int
    last_used_at: datetime | None
    current_version: int
    original_input: str | None
    generation_request: Any
    generation_context: Any
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def editable(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in EDITABLE_FIELDS}


@dataclass(frozen=True, slots=True)
class PromptSummary(Record):
    """One row of the prompt list."""

    id: str
    name: str
    folder: str
    tags: tuple[str, ...]
    phase: str | None
    provider: str | None
    model: str | None
    uses: int
    rating: float | None
    updated_at: datetime
    archived: bool


@dataclass(frozen=True, slots=True)
class PromptVersion(Record):
    prompt_id: str
    version: int
    name: str
    content: str
    content_hash: str
    metadata: dict[str, Any]
    change_message: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Resolved:
    """A reference resolved: the prompt, and the version it pinned (`ID@label`, `ID@3`) if any."""

    prompt: Prompt
    version: PromptVersion | None = None

    @property
    def content(self) -> str:
        return self.version.content if self.version else self.prompt.content

    @property
    def number(self) -> int:
        """The pinned version's number, else the prompt's current one."""
        return self.version.version if self.version else self.prompt.current_version


@dataclass(frozen=True, slots=True)
class Relationship(Record):
    source_id: str
    target_id: str
    type: str
    strength: float
    context: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Label(Record):
    prompt_id: str
    label: str
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Tag(Record):
    name: str
    colour: str | None
    prompts: int


@dataclass(frozen=True, slots=True)
class Feedback(Record):
    id: str
    prompt_id: str
    version: int | None
    rating: int
    helpful: bool | None
    met_expectations: bool | None
    suggestion: str | None
    comment: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UsageEvent(Record):
    id: str
    prompt_id: str
    version: int | None
    event_type: str
    effectiveness: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry(Record):
    id: int
    ts: datetime
    actor: str
    action: str
    entity: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class PromptFilter:
    """What the prompt list shows; every field narrows it."""

    folder: str | None = None  # this folder and its subfolders
    tags: tuple[str, ...] = ()  # all of them
    phase: str | None = None
    provider: str | None = None
    model: str | None = None
    archived: bool = False  # False: live prompts only; True: archived only
    text: str | None = None  # words, each found (any case) in name, description, folder or content


@dataclass(frozen=True, slots=True)
class PromptPage:
    """Rows `offset .. offset + len(table)` of a filtered, sorted prompt list of `total` rows."""

    table: pa.Table
    total: int
    offset: int = 0
    notice: str | None = None  # a search's note, e.g. that no prompt has a vector yet


@dataclass(frozen=True, slots=True)
class Stats(Record):
    prompts: int
    archived: int
    versions: int
    folders: int
    tags: int
    uses: int
    ratings: int
    avg_rating: float | None
    generations: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    top_prompts: list[dict[str, Any]] = field(default_factory=list)
    top_tags: list[dict[str, Any]] = field(default_factory=list)
