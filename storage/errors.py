"""Typed errors raised by storage. Each carries what it is about and reads as one line."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


class PromptdeckError(Exception):
    """Base of every error the user can cause; its str() is the message shown as-is."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        file: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        self.file = file

    def __str__(self) -> str:
        return self.message


class ValidationError(PromptdeckError):
    """A field value is not acceptable; `field` names it and `value` is what was given."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(f"{field}: {reason} (got {shown(value)})", field=field)
        self.value = value
        self.reason = reason


def shown(value: Any, width: int = 60) -> str:
    """A value as an error message quotes it, cut to `width` characters: times and dates in
    ISO form and decimals as written (what the user typed, not a Python repr), else repr."""
    try:
        if isinstance(value, datetime | date | time):
            text = value.isoformat()
        elif isinstance(value, Decimal):
            text = str(value)
        else:
            text = repr(value)
    except RecursionError:  # nested too deeply to print
        text = "…"
    return text if len(text) <= width else text[: width - 1] + "…"


class NotFound(PromptdeckError):
    """No prompt (or version, label, relationship, tag) matches the reference."""


class AmbiguousReference(PromptdeckError):
    """A name or id prefix matches more than one prompt."""


class DuplicateContent(PromptdeckError):
    """Content identical to a live prompt's; `existing_id` names that prompt."""

    def __init__(self, existing_id: str, existing_name: str) -> None:
        super().__init__(
            f"content: identical to existing prompt {existing_name!r} ({existing_id})",
            field="content",
        )
        self.existing_id = existing_id
        self.existing_name = existing_name


class CycleError(PromptdeckError):
    """A derivation edge would make a prompt its own ancestor."""


class HasChildren(PromptdeckError):
    """Deleting a prompt that others derive from needs force."""


class NothingToSave(PromptdeckError):
    """An edit that changes nothing."""


class TemplateError(PromptdeckError):
    """A template cannot be rendered; `field` names the missing variable."""


class LibraryLocked(PromptdeckError):
    """Another process holds the library file; `pid` is that process when DuckDB names it."""

    def __init__(self, path: str, pid: int | None, waited: float) -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"{path}: library is locked by {holder} (still, after {waited:g} s); "
            "try again in a moment, or wait longer with --lock-timeout SECONDS",
            file=path,
        )
        self.pid = pid


class WriteConflict(PromptdeckError):
    """A team library's commit conflicted with another client's: one writing without the
    lake's write lock changed the same rows meanwhile (DuckLake retries a commit only when the
    catalog moved under it). promptdeck runs the action again a few times (storage/db/retry.py);
    this is the last attempt lost. Nothing of the action was saved."""

    def __init__(self, label: str, *, action: str | None = None, attempts: int = 1) -> None:
        what = f"{label}: {action}" if action else label
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        super().__init__(
            f"{what}: another client changed the same rows at the same time{tries}; "
            "nothing was saved, try again",
            file=label,
        )
        self.action = action
        self.attempts = attempts


class SchemaError(PromptdeckError):
    """The library file was written by a newer promptdeck, or is not a library at all."""


class VectorsChanged(PromptdeckError):
    """A model's vectors changed while search read them whole (several sizes stored, or rows
    written in the middle of the read): the next search reads them again."""


class Paused(Exception):
    """Not an error: a background job's read gave way to the screen in front
    (storage/db/background.py); never shown, the job is taken up again later."""


class QueryError(PromptdeckError):
    """A read-only SQL query failed or tried to write."""


class ProviderError(PromptdeckError):
    """A provider (an embedding model, or a chat model: LLMError) failed. `provider` names it,
    `url` is the endpoint without credentials, `status` the last HTTP status (None when no
    answer came)."""

    def __init__(
        self, message: str, *, provider: str, url: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.url = url
        self.status = status


class LLMError(ProviderError):
    """A chat model provider failed: refused, unreachable, or gave up retrying."""


class StreamInterrupted(LLMError):
    """An answer began but stopped before it finished (the connection dropped, the server sent
    an error or a malformed event): `received` characters of text had arrived. Not retried."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        url: str | None = None,
        status: int | None = None,
        received: int = 0,
    ) -> None:
        super().__init__(message, provider=provider, url=url, status=status)
        self.received = received


class AlreadyDerived(PromptdeckError):
    """A derived_from link from a prompt that already has another parent (one parent each)."""

    def __init__(self, child: str, parent: str) -> None:
        super().__init__(
            f"parent: {child!r} already derives from {parent!r}; a prompt has one parent, "
            "unlink that derivation first",
            field="parent",
        )


class BackupError(PromptdeckError):
    """A backup folder is missing a file, is corrupted, or was written by a newer promptdeck;
    or a restore target already exists. `file` names the file."""


class TransferError(PromptdeckError):
    """An import or export cannot start: unknown format, unreadable file, bad column mapping,
    or a target that already exists. `file` names the file."""


class ImportRejected(PromptdeckError):
    """A row of an import file is malformed or invalid, so nothing was imported. `row` is its
    line (or item) number, `file` the file, `rejected` how many rows were invalid."""

    def __init__(self, message: str, *, file: str, row: int | None, rejected: int) -> None:
        super().__init__(message, row=row, file=file)
        self.rejected = rejected


class EmbeddingFailed(PromptdeckError):
    """Embedding stopped part-way (a provider failed): the batches before the failure are
    stored and embedding again resumes; `done` of `total` prompts were embedded."""

    def __init__(self, error: PromptdeckError, done: int, total: int) -> None:
        super().__init__(
            f"{error} ({done} of {total} prompts embedded and kept; embedding again resumes)"
        )
        self.done = done
        self.total = total


class PurgeError(PromptdeckError):
    """A purge could not export (or read back) what it would delete, so it deleted nothing.
    `file` names the Parquet file or folder."""
