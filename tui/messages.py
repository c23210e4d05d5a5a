"""Typed messages between widgets, screens and workers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from storage.models import Prompt, PromptFilter, PromptPage


@dataclass
class PromptsLoaded(Message):
    """A worker fetched a page of the prompt list for a filter (offset 0: a new result)."""

    page: PromptPage
    where: PromptFilter
    library_total: int
    select: str | None = None  # a prompt to put the cursor on


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
