"""Backup, verify and restore (Parquet + manifest); import and export."""

from __future__ import annotations

from storage.core import LibraryCore


class TransferMixin(LibraryCore):
    pass
