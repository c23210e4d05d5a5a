"""Backup, verify and restore (Parquet + manifest); import and export of prompts."""

from __future__ import annotations

from storage.models import EXPORT_FORMATS, IMPORT_FORMATS
from storage.transfer.backup import BackupProgress, default_backup_folder
from storage.transfer.exporter import ExportResult
from storage.transfer.importer import ImportPreview, ImportSummary, parse_mapping
from storage.transfer.manifest import Manifest, TableEntry, verify_backup
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
    "default_backup_folder",
    "parse_mapping",
    "restore_backup",
    "verify_backup",
]
