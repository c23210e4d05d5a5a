"""Typed messages between widgets, screens and workers."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from textual.message import Message

from storage.models import Prompt, PromptFilter


@dataclass
class PromptsLoaded(Message):
    """A worker fetched the prompt list for a filter."""

    table: pa.Table
    where: PromptFilter
    total: int


@dataclass
class PromptLoaded(Message):
    """A worker fetched one prompt for the preview."""

    prompt: Prompt
    rating: float | None
    ratings: int


@dataclass
class PromptSaved(Message):
    """A prompt was written (created, edited, derived, restored)."""

    prompt: Prompt


@dataclass
class LibraryChanged(Message):
    """Something changed that lists and counts depend on; `select` is a prompt to highlight."""

    select: str | None = None


@dataclass
class StatusMessage(Message):
    """Text for the status line; errors are shown as storage worded them."""

    text: str
    error: bool = False
