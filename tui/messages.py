"""Typed messages between widgets, screens and workers.

What they carry is imported for the type checker only: the picker (`promptdeck pick`) loads
this module, and must not load the search and embedding modules with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from storage import (
        EvalCase,
        EvalHistoryPoint,
        EvalResult,
        EvalRun,
        EvalTarget,
        PreparedRun,
        Proposal,
        Run,
        SaveNotice,
        SearchHit,
        VerdictChange,
    )
    from storage.errors import PromptdeckError
    from storage.models import Prompt, PromptFilter, PromptPage, PromptVersion, Resolved, Tag
    from tui.pick.pages import PickPage


@dataclass
class PromptsLoaded(Message):
    """A worker fetched a page of the prompt list for a filter (offset 0: a new result);
    `mode` is the search mode that ranked it, None for a sorted list."""

    page: PromptPage
    where: PromptFilter
    library_total: int
    select: str | None = None  # a prompt to put the cursor on
    mode: str | None = None


@dataclass
class SearchPrepared(Message):
    """The text index or a model's vectors are loaded: searches of `mode` are fast now."""

    mode: str
    notice: str | None


@dataclass
class PromptLoaded(Message):
    """A worker fetched one prompt for the preview, with its nearest neighbours."""

    prompt: Prompt
    rating: float | None
    ratings: int
    similar: tuple[SearchHit, ...] = ()


@dataclass
class PromptSaved(Message):
    """A prompt was written (created, edited, derived, restored); `notices` are what the
    save has to tell besides (a near-duplicate, a vector that could not be made)."""

    prompt: Prompt
    notices: tuple[SaveNotice, ...] = ()


@dataclass
class SearchModelOffered(Message):
    """Search uses `active`, an offline model older than the configured `better` one."""

    active: str
    better: str


@dataclass
class LibraryChanged(Message):
    """Something changed that lists and counts depend on; `select` is a prompt to highlight."""

    select: str | None = None


@dataclass
class StatusMessage(Message):
    """Text for the status line; errors are shown as storage worded them."""

    text: str
    error: bool = False


# -- what the app's prompt actions report (posted to the app by its workers) -----------------


@dataclass
class Notice(Message):
    """For the status line of the screen in front (the app forwards it as a StatusMessage)."""

    text: str
    error: bool = False


@dataclass
class PromptCopied(Message):
    prompt: Prompt


@dataclass
class VariablesNeeded(Message):
    """`use` found variables to fill in before the prompt can be rendered."""

    prompt: Prompt
    names: list[str]


@dataclass
class PromptUsed(Message):
    prompt_id: str
    text: str


@dataclass
class ArchiveAsked(Message):
    """Archive (or restore) asked for: the prompt, read so that the question can name it."""

    prompt: Prompt
    restoring: bool


@dataclass
class SidebarLoaded(Message):
    total: int
    archived: int
    folders: list[tuple[str, int]]
    tags: list[Tag]


# -- the editor's workers -------------------------------------------------------------------


@dataclass
class Loaded(Message):
    """The prompt being edited (or the parent being derived from) and its versions."""

    prompt: Prompt
    versions: list[PromptVersion]


@dataclass
class SaveFailed(Message):
    error: PromptdeckError


@dataclass
class RenderFailed(Message):
    """Why the rendered text was not copied (nothing was recorded), shown in the panel."""

    error: PromptdeckError


@dataclass
class VersionRead(Message):
    version: PromptVersion
    diff: str  # against the current version ("" for the current one)
    current: int


@dataclass
class Restored(Message):
    prompt: Prompt


@dataclass
class RenderCopied(Message):
    text: str


# -- running prompts: the run, history and compare screens' workers ---------------------------


@dataclass
class RunTargetLoaded(Message):
    """The prompt (and the version) a run screen sends, read for its variables and model."""

    target: Resolved


@dataclass
class AnswerStarted(Message):
    """A run was prepared and sent; `side` is which answer pane it fills (run, a, b)."""

    side: str
    prepared: PreparedRun


@dataclass
class AnswerDelta(Message):
    """The answer's text that arrived since the last one (batched: a few a second)."""

    side: str
    text: str


@dataclass
class AnswerEnded(Message):
    """The answer ended: `run` as recorded (None when nothing was sent: bad settings, a
    missing variable), `error` the one-line reason it failed, if it did."""

    side: str
    run: Run | None
    error: str | None = None


@dataclass
class RunsLoaded(Message):
    """A prompt's runs, newest first."""

    runs: list[Run]


@dataclass
class RunRead(Message):
    """One run, whole."""

    run: Run


@dataclass
class EvalLoaded(Message):
    """A prompt's cases, its latest eval run (None before the first) with its results, and
    its scorecard over time (newest first)."""

    prompt_name: str
    cases: list[EvalCase]
    eval_run: EvalRun | None
    targets: tuple[EvalTarget, ...]  # the matrix's columns
    results: list[EvalResult]
    history: list[EvalHistoryPoint]
    variables: tuple[str, ...] = ()  # the prompt's {{variables}}: a new case's fields


@dataclass
class EvalStarted(Message):
    """An eval began: `cancel` stops it (EvalRunner.cancel, safe from the UI thread)."""

    cases: list[EvalCase]
    targets: tuple[EvalTarget, ...]
    total: int
    cancel: Callable[[], None]


@dataclass
class EvalProgress(Message):
    """One case against one target is checked and kept (`done` of `total`)."""

    result: EvalResult
    done: int
    total: int


@dataclass
class EvalEnded(Message):
    """The eval ended: `eval_run` as kept (None when nothing ran), `error` the one line of
    why nothing could run, if so."""

    eval_run: EvalRun | None
    error: str | None = None


@dataclass
class ChangesLoaded(Message):
    """The cases whose verdict changed, and between what (`title`)."""

    title: str
    changes: list[VerdictChange]
    cases: dict[str, EvalCase]


@dataclass
class CaseSaved(Message):
    """A case was kept (added, or changed), or removed."""

    case: EvalCase
    added: bool
    removed: bool = False


@dataclass
class CaseRefused(Message):
    """Storage refused a case (a bad assertion, an identical case): its one line."""

    error: str


# -- the picker (promptdeck pick) -------------------------------------------------------------


@dataclass
class PickPageLoaded(Message):
    """A page of the picker's list (offset 0: a new result) for a filter, ranked by `mode`."""

    page: PickPage
    where: PromptFilter
    mode: str | None
    library_total: int  # the live prompts (-1: not counted again, for a further page)


@dataclass
class PickFailed(Message):
    """The picker cannot go on (the use could not be recorded, nothing to pick): it ends
    printing nothing, and the CLI says why on one line."""

    text: str


@dataclass
class ProposalRead(Message):
    """An enhancement run's answer read back as content (`proposal`), or why it cannot be kept
    (`error`)."""

    proposal: Proposal | None
    error: str | None = None


@dataclass
class EnhancementKept(Message):
    """An enhancement was kept: `prompt` is the new prompt, or the prompt at its new version."""

    prompt: Prompt
    keep_as: str  # prompt | version
    notices: list[str] = field(default_factory=list)  # what embedding it found (a near twin)
