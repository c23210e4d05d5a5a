"""Backup, verify and restore (Parquet + manifest); import and export of prompts."""

from __future__ import annotations

from storage.transfer.backup import BackupMixin, BackupProgress, default_backup_folder
from storage.transfer.exporter import EXPORT_FORMATS, ExportMixin, ExportResult
from storage.transfer.importer import ImportMixin, ImportPreview, ImportSummary, parse_mapping
from storage.transfer.manifest import Manifest, TableEntry, verify_backup
from storage.transfer.readers import FORMATS as IMPORT_FORMATS
from storage.transfer.restore import restore_backup

__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "BackupProgress",
    "IMPORT_FORMATS",
    "ImportPreview",
    "ImportSummary",
    "Manifest",
    "TableEntry",
    "TransferMixin",
    "default_backup_folder",
    "parse_mapping",
    "restore_backup",
    "verify_backup",
]


class TransferMixin(BackupMixin, ImportMixin, ExportMixin):
    """Library methods: backup, preview_import, import_prompts, export_prompts."""
