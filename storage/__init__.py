"""promptdeck storage: the data layer. Never imports Textual or click.

The TUI and the CLI import from here (and from storage.models and storage.errors) only:
`Library` for behaviour, and the types its services take and return.

Most names are imported the first time one is used (PEP 562 `__getattr__`): those of search,
embedding and transfer come from modules that import numpy, pyarrow or httpx, and those of
analytics, evals, runs and lineage from modules that a verb listing, showing or searching
prompts does not need (their dataclasses alone cost a one-shot process ~60 ms). A module
that names one at import time (`from storage import make_provider`) pays at once: the CLI
reads them as `storage.make_provider` where it calls them, and imports the types under
TYPE_CHECKING."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from storage.db.background import Pause
from storage.db.lake_spec import is_lake, parse_lake
from storage.db.paths import default_library_path
from storage.errors import PromptdeckError
from storage.library import Library
from storage.models import EMBEDDING_PROVIDERS as PROVIDERS
from storage.models import (
    EXPORT_FORMATS,
    GENERATION_FIELDS,
    IMPORT_FORMATS,
    Prompt,
    PromptFilter,
    PromptSummary,
    PromptVersion,
)
from storage.models import SEARCH_MODES as MODES
from storage.prompts import roles, templates
from storage.prompts.validation import MAX_NESTING, clean_fields, nesting_depth

if TYPE_CHECKING:
    from storage.analytics.models import (
        PERIODS,
        ActorActivity,
        AnalyticsReport,
        GroupActivity,
        Kpis,
        ModelLatency,
        ModelUsage,
        TopPrompt,
    )
    from storage.analytics.scorecards import EvalHistoryPoint, EvalScore
    from storage.evals.models import (
        ASSERTION_TYPES,
        Assertion,
        AssertionResult,
        CaseFinished,
        CaseImport,
        CaseStarted,
        Criterion,
        CriterionScore,
        EvalCase,
        EvalEvent,
        EvalFinished,
        EvalPlan,
        EvalResult,
        EvalRun,
        EvalTarget,
        Rubric,
        VerdictChange,
    )
    from storage.evals.runner import EvalRunner
    from storage.llm import (
        CHAT_PROVIDERS,
        ChatEvent,
        ChatProvider,
        Finished,
        LLMSettings,
        TextDelta,
        llm_settings_from,
        make_chat_provider,
    )
    from storage.prompts.analysis import Analysis
    from storage.prompts.lineage_graph import LineageGraph, LineageLink, LineageNode
    from storage.runs.enhance import Proposal
    from storage.runs.models import RUN_STATUSES, PreparedRun, Run, RunOutcome
    from storage.runs.phases import METHODS, PHASES, Enhancement, next_phase
    from storage.runs.runner import RunStream
    from storage.search.embedding import (
        EmbeddingProvider,
        LocalProvider,
        ProviderSettings,
        WordLlamaProvider,
        make_provider,
        offline_provider,
        settings_from,
    )
    from storage.search.embeddings import Progress, SaveNotice
    from storage.search.service import SearchHit
    from storage.transfer import (
        BackupProgress,
        ImportPreview,
        ImportSummary,
        Manifest,
        default_backup_folder,
        parse_mapping,
        restore_backup,
        verify_backup,
    )
    from storage.transfer.generations import REQUIRED_FIELDS, parse_generation_mapping

# Each name imported on first use, from its module.
_ON_USE = {
    "PERIODS": "storage.analytics.models",
    "ActorActivity": "storage.analytics.models",
    "AnalyticsReport": "storage.analytics.models",
    "GroupActivity": "storage.analytics.models",
    "Kpis": "storage.analytics.models",
    "ModelLatency": "storage.analytics.models",
    "ModelUsage": "storage.analytics.models",
    "TopPrompt": "storage.analytics.models",
    "EvalHistoryPoint": "storage.analytics.scorecards",
    "EvalScore": "storage.analytics.scorecards",
    "ASSERTION_TYPES": "storage.evals.models",
    "Assertion": "storage.evals.models",
    "AssertionResult": "storage.evals.models",
    "CaseFinished": "storage.evals.models",
    "CaseImport": "storage.evals.models",
    "CaseStarted": "storage.evals.models",
    "Criterion": "storage.evals.models",
    "CriterionScore": "storage.evals.models",
    "EvalCase": "storage.evals.models",
    "EvalEvent": "storage.evals.models",
    "EvalFinished": "storage.evals.models",
    "EvalPlan": "storage.evals.models",
    "EvalResult": "storage.evals.models",
    "EvalRun": "storage.evals.models",
    "EvalTarget": "storage.evals.models",
    "Rubric": "storage.evals.models",
    "VerdictChange": "storage.evals.models",
    "Analysis": "storage.prompts.analysis",
    "LineageGraph": "storage.prompts.lineage_graph",
    "LineageLink": "storage.prompts.lineage_graph",
    "LineageNode": "storage.prompts.lineage_graph",
    "Proposal": "storage.runs.enhance",
    "RUN_STATUSES": "storage.runs.models",
    "PreparedRun": "storage.runs.models",
    "Run": "storage.runs.models",
    "RunOutcome": "storage.runs.models",
    "METHODS": "storage.runs.phases",
    "PHASES": "storage.runs.phases",
    "Enhancement": "storage.runs.phases",
    "next_phase": "storage.runs.phases",
    "CHAT_PROVIDERS": "storage.llm",
    "ChatEvent": "storage.llm",
    "ChatProvider": "storage.llm",
    "Finished": "storage.llm",
    "LLMSettings": "storage.llm",
    "TextDelta": "storage.llm",
    "llm_settings_from": "storage.llm",
    "make_chat_provider": "storage.llm",
    "RunStream": "storage.runs.runner",
    "EvalRunner": "storage.evals.runner",
    "EmbeddingProvider": "storage.search.embedding",
    "LocalProvider": "storage.search.embedding",
    "ProviderSettings": "storage.search.embedding",
    "WordLlamaProvider": "storage.search.embedding",
    "make_provider": "storage.search.embedding",
    "offline_provider": "storage.search.embedding",
    "settings_from": "storage.search.embedding",
    "Progress": "storage.search.embeddings",
    "SaveNotice": "storage.search.embeddings",
    "SearchHit": "storage.search.service",
    "BackupProgress": "storage.transfer",
    "ImportPreview": "storage.transfer",
    "ImportSummary": "storage.transfer",
    "Manifest": "storage.transfer",
    "default_backup_folder": "storage.transfer",
    "parse_mapping": "storage.transfer",
    "restore_backup": "storage.transfer",
    "verify_backup": "storage.transfer",
    "REQUIRED_FIELDS": "storage.transfer.generations",
    "parse_generation_mapping": "storage.transfer.generations",
}


def __getattr__(name: str) -> object:
    module = _ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found once; later reads are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_USE})


__all__ = [
    "CHAT_PROVIDERS",
    "ASSERTION_TYPES",
    "Analysis",
    "Assertion",
    "AssertionResult",
    "CaseFinished",
    "CaseImport",
    "CaseStarted",
    "Criterion",
    "CriterionScore",
    "EvalCase",
    "EvalEvent",
    "EvalHistoryPoint",
    "EvalScore",
    "EvalFinished",
    "EvalPlan",
    "EvalResult",
    "EvalRun",
    "EvalRunner",
    "EvalTarget",
    "Rubric",
    "VerdictChange",
    "EXPORT_FORMATS",
    "GENERATION_FIELDS",
    "IMPORT_FORMATS",
    "MAX_NESTING",
    "METHODS",
    "MODES",
    "PERIODS",
    "Pause",
    "PHASES",
    "PROVIDERS",
    "REQUIRED_FIELDS",
    "RUN_STATUSES",
    "AnalyticsReport",
    "BackupProgress",
    "ChatEvent",
    "Enhancement",
    "ChatProvider",
    "EmbeddingProvider",
    "Finished",
    "GroupActivity",
    "ImportPreview",
    "ImportSummary",
    "Kpis",
    "LLMSettings",
    "Library",
    "ModelLatency",
    "ActorActivity",
    "LineageGraph",
    "LineageLink",
    "LineageNode",
    "LocalProvider",
    "WordLlamaProvider",
    "Manifest",
    "ModelUsage",
    "Progress",
    "Prompt",
    "PromptFilter",
    "PromptSummary",
    "PreparedRun",
    "PromptVersion",
    "Proposal",
    "PromptdeckError",
    "ProviderSettings",
    "Run",
    "RunOutcome",
    "RunStream",
    "SaveNotice",
    "SearchHit",
    "TextDelta",
    "TopPrompt",
    "clean_fields",
    "default_backup_folder",
    "default_library_path",
    "is_lake",
    "parse_lake",
    "llm_settings_from",
    "make_chat_provider",
    "make_provider",
    "offline_provider",
    "nesting_depth",
    "next_phase",
    "parse_generation_mapping",
    "parse_mapping",
    "restore_backup",
    "roles",
    "settings_from",
    "templates",
    "verify_backup",
]
