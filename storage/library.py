"""storage.Library: the composition root. It opens the database and builds each service with
the collaborators it needs; the TUI and the CLI call the services it hands out."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from storage.analytics.costs import CostService
from storage.analytics.lifecycle import LifecycleService
from storage.analytics.reports import AnalyticsService
from storage.analytics.settings import SettingsService
from storage.db.audit_log import AuditLog
from storage.db.clock import Clock, utc_now
from storage.db.database import Database
from storage.db.duckdb_file import DuckDBFile
from storage.db.ids import IdFactory, uuid7
from storage.prompts.lineage import LineageService
from storage.prompts.service import PromptService
from storage.prompts.tags import TagService
from storage.prompts.usage import UsageService
from storage.prompts.versions import VersionService
from storage.prompts.writer import PromptWriter
from storage.search.embedding import EmbeddingProvider
from storage.search.embeddings import EmbeddingService
from storage.search.service import SearchService
from storage.transfer.backup import BackupService
from storage.transfer.exporter import ExportService
from storage.transfer.generations import GenerationImportService
from storage.transfer.importer import ImportService


class Library:
    """A promptdeck library: `with Library(path) as library: library.prompts.create(...)`.

    Services return dataclasses from storage.models (Arrow tables for big lists), raise errors
    from storage.errors, and do each user action in one transaction that also writes the audit
    log. `embedder`, when given, is what `embeddings.after_save` embeds saved prompts with.
    `linger` keeps the file open through bursts of actions; `interactive` (default: when
    lingering) keeps search's state in memory between calls, which an app wants and a
    one-shot process (the CLI) does not pay for."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        new_id: IdFactory = uuid7,
        actor: str | None = None,
        lock_timeout: float = 5.0,
        read_only: bool = False,
        linger: float = 0.0,
        interactive: bool | None = None,
        embedder: EmbeddingProvider | None = None,
    ) -> None:
        self.db: Database = DuckDBFile(
            path,
            clock=clock,
            new_id=new_id,
            actor=actor,
            lock_timeout=lock_timeout,
            read_only=read_only,
            linger=linger,
            interactive=interactive,
        )
        writer = PromptWriter(self.db)
        self.prompts = PromptService(self.db, writer)
        self.versions = VersionService(self.db, writer)
        self.tags = TagService(self.db, writer)
        self.lineage = LineageService(self.db, writer)
        self.usage = UsageService(self.db)
        self.embeddings = EmbeddingService(self.db, embedder)
        self.search = SearchService(self.db, self.embeddings)
        self.analytics = AnalyticsService(self.db)
        self.costs = CostService(self.db)
        self.lifecycle = LifecycleService(self.db)
        self.settings = SettingsService(self.db)
        self.audit = AuditLog(self.db)
        self.backups = BackupService(self.db)
        self.imports = ImportService(self.db)
        self.generation_imports = GenerationImportService(self.db)
        self.exports = ExportService(self.db)

    def open(self) -> Self:
        """Create the library if needed and bring its schema to this version."""
        self.db.open()
        return self

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
