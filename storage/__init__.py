"""promptdeck storage: the data layer. Never imports Textual or click.

The TUI and the CLI import from here (and from storage.models and storage.errors) only:
`Library` for behaviour, and the types its services take and return."""

from storage.analytics.models import (
    PERIODS,
    AnalyticsReport,
    GroupActivity,
    Kpis,
    ModelUsage,
    TopPrompt,
)
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
from storage.prompts import templates
from storage.prompts.lineage_graph import LineageGraph, LineageLink, LineageNode
from storage.prompts.validation import MAX_NESTING, clean_fields, nesting_depth
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

__all__ = [
    "EXPORT_FORMATS",
    "GENERATION_FIELDS",
    "IMPORT_FORMATS",
    "MAX_NESTING",
    "MODES",
    "PERIODS",
    "PROVIDERS",
    "REQUIRED_FIELDS",
    "AnalyticsReport",
    "BackupProgress",
    "EmbeddingProvider",
    "GroupActivity",
    "ImportPreview",
    "ImportSummary",
    "Kpis",
    "Library",
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
    "PromptVersion",
    "PromptdeckError",
    "ProviderSettings",
    "SaveNotice",
    "SearchHit",
    "TopPrompt",
    "clean_fields",
    "default_backup_folder",
    "default_library_path",
    "make_provider",
    "offline_provider",
    "nesting_depth",
    "parse_generation_mapping",
    "parse_mapping",
    "restore_backup",
    "settings_from",
    "templates",
    "verify_backup",
]
