"""storage.Library: the composition root. It opens the database and builds each service with
the collaborators it needs; the TUI and the CLI call the services it hands out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Self, TypeVar, overload

from storage.db.audit_log import AuditLog
from storage.db.background import Pause, run_aside
from storage.db.clock import Clock, utc_now
from storage.db.database import Database
from storage.db.duckdb_file import DuckDBFile
from storage.db.ids import IdFactory, uuid7
from storage.db.lake_spec import is_lake
from storage.db.paths import cache_home, data_home
from storage.db.retry import RetryPolicy
from storage.prompts.lineage import LineageService
from storage.prompts.service import PromptService
from storage.prompts.tags import TagService
from storage.prompts.usage import UsageService
from storage.prompts.versions import VersionService
from storage.prompts.writer import PromptWriter

if TYPE_CHECKING:
    from storage.analytics.costs import CostService
    from storage.analytics.lifecycle import LifecycleService
    from storage.analytics.reports import AnalyticsService
    from storage.analytics.settings import SettingsService
    from storage.db.lake_mirror import LakeMirror
    from storage.evals import CaseService, EvalService, RubricService
    from storage.prompts.analysis import AnalysisService
    from storage.runs.enhance import EnhanceService
    from storage.runs.service import RunService
    from storage.search.embedding import EmbeddingProvider
    from storage.search.embeddings import EmbeddingService
    from storage.search.service import SearchService
    from storage.transfer.backup import BackupService
    from storage.transfer.exporter import ExportService
    from storage.transfer.generations import GenerationImportService
    from storage.transfer.importer import ImportService

S = TypeVar("S")
T = TypeVar("T")


class _BuiltOnUse(Generic[S]):
    """A service built the first time it is asked for (under the library's lock, so two
    threads get the same one), then kept on the instance like any attribute. For the services
    whose modules import numpy or pyarrow: `promptdeck list` never loads them."""

    def __init__(self, build: Callable[[Library], S]) -> None:
        self._build = build
        self._name = build.__name__

    @overload
    def __get__(self, library: None, owner: type[Library]) -> Self: ...
    @overload
    def __get__(self, library: Library, owner: type[Library]) -> S: ...
    def __get__(self, library: Library | None, owner: type[Library]) -> Self | S:
        if library is None:
            return self
        with library._building:
            if self._name not in library.__dict__:
                library.__dict__[self._name] = self._build(library)
        built: S = library.__dict__[self._name]
        return built


class Library:
    """A promptdeck library: `with Library(path) as library: library.prompts.create(...)`.

    Services return dataclasses from storage.models (Arrow tables for big lists), raise errors
    from storage.errors, and do each user action in one transaction that also writes the audit
    log. `embedder`, when given, is what `embeddings.after_save` embeds saved prompts with;
    `make_embedder` makes it when the embeddings are first used, for a caller that may never
    use them (a CLI verb). Most services are built on first use (see _BuiltOnUse).
    `linger` keeps the file open through bursts of actions; `interactive` (default: when
    lingering) keeps search's state in memory between calls, which an app wants and a
    one-shot process (the CLI) does not pay for.

    `path` is a DuckDB file, or `ducklake:postgres:<conninfo>` for a team library (DuckLake,
    storage/db/lake.py), whose Parquet files go to `lake_data` (a folder or s3:// URL; needed
    the first time only). A lake runs an action again when its commit loses a conflict with
    another client, `write_attempts` times in all (storage/db/retry.py)."""

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
        make_embedder: Callable[[], EmbeddingProvider | None] | None = None,
        lake_data: str | None = None,
        write_attempts: int = RetryPolicy.attempts,
    ) -> None:
        self.db: Database
        if is_lake(str(path)):
            from storage.db.lake import DuckLake  # the extensions load only for a lake

            self.db = DuckLake(
                str(path),
                data=lake_data,
                home=data_home(),
                clock=clock,
                new_id=new_id,
                actor=actor,
                lock_timeout=lock_timeout,
                read_only=read_only,
                interactive=linger > 0 if interactive is None else interactive,
                write_attempts=write_attempts,
            )
        else:
            self.db = DuckDBFile(
                path,
                clock=clock,
                new_id=new_id,
                actor=actor,
                lock_timeout=lock_timeout,
                read_only=read_only,
                linger=linger,
                interactive=interactive,
            )
        writer = self._writer = PromptWriter(self.db)
        self.prompts = PromptService(self.db, writer)
        self.versions = VersionService(self.db, writer)
        self.tags = TagService(self.db, writer)
        self.lineage = LineageService(self.db, writer)
        self.usage = UsageService(self.db)
        self.audit = AuditLog(self.db)
        self._embedder = embedder
        self._make_embedder = make_embedder
        self._linger = linger
        self._cache_home = cache_home()
        self._mirror: LakeMirror | None = None
        self._building = threading.RLock()

    # Imported on use: a verb that lists, shows, renders or searches prompts must not pay for
    # the modules of analytics, runs and evals (their dataclasses cost a one-shot process
    # ~60 ms), nor for numpy and pyarrow (and httpx, through the embedding providers).

    @_BuiltOnUse
    def analytics(self) -> AnalyticsService:
        from storage.analytics.reports import AnalyticsService

        return AnalyticsService(self.db)

    @_BuiltOnUse
    def costs(self) -> CostService:
        from storage.analytics.costs import CostService

        return CostService(self.db)

    @_BuiltOnUse
    def lifecycle(self) -> LifecycleService:
        from storage.analytics.lifecycle import LifecycleService

        return LifecycleService(self.db)

    @_BuiltOnUse
    def settings(self) -> SettingsService:
        from storage.analytics.settings import SettingsService

        return SettingsService(self.db)

    @_BuiltOnUse
    def runs(self) -> RunService:
        from storage.runs.service import RunService

        return RunService(self.db)

    @_BuiltOnUse
    def cases(self) -> CaseService:
        from storage.evals import CaseService

        return CaseService(self.db)

    @_BuiltOnUse
    def rubrics(self) -> RubricService:
        from storage.evals import RubricService

        return RubricService(self.db)

    @_BuiltOnUse
    def evals(self) -> EvalService:
        from storage.evals import EvalService

        return EvalService(self.db)

    @_BuiltOnUse
    def analysis(self) -> AnalysisService:
        from storage.prompts.analysis import AnalysisService

        return AnalysisService(self.db)

    @_BuiltOnUse
    def embeddings(self) -> EmbeddingService:
        from storage.search.embeddings import EmbeddingService

        embedder = self._embedder
        if embedder is None and self._make_embedder is not None:
            embedder = self._make_embedder()
        return EmbeddingService(self.db, embedder)

    @_BuiltOnUse
    def search(self) -> SearchService:
        from storage.search.service import SearchService

        kept = self._cache_home / "text-index"  # the text index's arrays, between processes
        vectors = self._cache_home / "vectors"  # each model's vectors and ANN index, kept
        if isinstance(self.db, DuckDBFile):
            return SearchService(
                self.db, self.embeddings, cache_folder=kept, vectors_folder=vectors
            )
        from storage.db.lake import DuckLake
        from storage.db.lake_mirror import LakeMirror

        assert isinstance(self.db, DuckLake)
        folder = self._cache_home / "lakes" / self.db.path.parent.name  # NAME-KEY, as its data
        self._mirror = LakeMirror(self.db, folder, linger=self._linger)
        self._mirror.open()
        return SearchService(
            self.db, self.embeddings, self._mirror, cache_folder=kept, vectors_folder=vectors
        )

    @_BuiltOnUse
    def backups(self) -> BackupService:
        from storage.transfer.backup import BackupService

        return BackupService(self.db)

    @_BuiltOnUse
    def imports(self) -> ImportService:
        from storage.transfer.importer import ImportService

        return ImportService(self.db)

    @_BuiltOnUse
    def generation_imports(self) -> GenerationImportService:
        from storage.transfer.generations import GenerationImportService

        return GenerationImportService(self.db)

    @_BuiltOnUse
    def enhance(self) -> EnhanceService:
        from storage.runs.enhance import EnhanceService

        return EnhanceService(self.db, self._writer)

    @_BuiltOnUse
    def exports(self) -> ExportService:
        from storage.transfer.exporter import ExportService

        return ExportService(self.db)

    def aside(self, pause: Pause, job: Callable[[], T], cancelled: Callable[[], bool]) -> T | None:
        """`job` (loading ahead of need) giving way to the screen in front while `pause` is
        held: its reads paused, the job begun again once released (storage/db/background.py).
        None when `cancelled` first."""
        return run_aside(self.db.background, pause, job, cancelled)

    def open(self) -> Self:
        """Create the library if needed and bring its schema to this version."""
        self.db.open()
        return self

    def close(self) -> None:
        if self._mirror is not None:
            self._mirror.close()
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
