"""storage.Library: the single facade the TUI and the CLI call."""

from __future__ import annotations

from storage.activity import ActivityMixin
from storage.analytics import AnalyticsMixin
from storage.embeddings import EmbeddingsMixin
from storage.search import SearchMixin
from storage.transfer import TransferMixin
from storage.transfer.generations import GenerationImportMixin


class Library(
    SearchMixin,
    EmbeddingsMixin,
    TransferMixin,
    GenerationImportMixin,
    AnalyticsMixin,
    ActivityMixin,
):
    """A promptdeck library file. Use as `with Library(path) as lib: ...` or `.open()`.

    Methods return dataclasses from storage.models (Arrow tables for big lists), raise errors
    from storage.errors, and do each user action in one transaction that also writes the audit
    log. Connections are short-lived so that several processes can share one file."""

    def __enter__(self) -> Library:
        self.open()
        return self
