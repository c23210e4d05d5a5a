"""What the eval screen's workers do, in plain values: read a prompt's cases, latest eval and
scorecard (`read_eval`), and run an eval (`run_eval`), posting a message per case as the
EvalRunner yields it. No widgets here; the chat providers (and httpx) are imported when an
eval is first run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import storage
from storage import Library, PromptdeckError
from storage.models import short_id
from tui import run_worker
from tui.messages import (
    ChangesLoaded,
    EvalEnded,
    EvalLoaded,
    EvalProgress,
    EvalStarted,
    LibraryChanged,
)

if TYPE_CHECKING:
    from textual.message import Message

    from storage import ChatProvider, EvalResult, EvalRun, EvalRunner

HISTORY = 20  # eval runs x targets read for the scorecard
EARLIER = 10  # eval runs looked back through for the cells a failed-only eval did not run


@dataclass(frozen=True)
class EvalSetup:
    """What an eval runs, as `promptdeck eval` chooses it: versions (N, a label, latest; none:
    the current one), models (none: the version's own, else the provider's), the provider
    (None: [llm]'s), repeat, the judge model (None: the one answering), a case file to import
    and run (None: the prompt's cases)."""

    versions: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    provider: str | None = None
    repeat: int = 1
    judge_model: str | None = None
    cases_file: str | None = None


@dataclass(frozen=True)
class EvalJob:
    """One eval to run: every case of `prompt_id` (or those that did not pass last time)
    as `setup` chooses (by default the current version and the [llm] provider's model)."""

    prompt_id: str
    only_failed: bool = False
    llm: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold an API key
    setup: EvalSetup = field(default_factory=EvalSetup)


def words(text: str) -> tuple[str, ...]:
    """A list typed in a box: split at commas and spaces, blanks dropped."""
    return tuple(w for w in text.replace(",", " ").split() if w)


def read_eval(library: Library, prompt_id: str, llm: Mapping[str, Any]) -> EvalLoaded:
    """(In a thread worker) what the eval screen shows. Before a first eval the matrix has
    one column: the current version and the [llm] model (what `a` would run)."""
    cases = library.cases.list_cases(prompt_id)
    prompt = library.prompts.get(prompt_id)
    names = tuple(storage.templates.variables(prompt.content))
    latest = library.evals.list_runs(prompt_id, 1)
    eval_run = latest[0] if latest else None
    results = earlier_results(library, eval_run) if eval_run is not None else []
    history = library.analytics.eval_history(prompt_id, HISTORY)
    if eval_run is not None:
        targets = eval_run.targets
    else:
        targets = (storage.EvalTarget(prompt.current_version, run_worker.configured(llm)[1]),)
    return EvalLoaded(prompt.name, cases, eval_run, targets, results, history, names)


def read_changes(library: Library, prompt_id: str) -> ChangesLoaded:
    """(In a thread worker) the cases whose verdict changed: in the latest eval, between its
    first target and the others; else from the eval before it (with results) to it."""
    runs = [r for r in library.evals.list_runs(prompt_id, EARLIER) if r.results]
    cases = {case.id: case for case in library.cases.list_cases(prompt_id)}
    if not runs:
        return ChangesLoaded("no eval with results yet: a runs every case", [], cases)
    latest = runs[0]
    if len(latest.targets) > 1:
        first = latest.targets[0].label
        title = f"eval {short_id(latest.id)}: {first} against the other targets"
        return ChangesLoaded(title, library.evals.changes(latest.id), cases)
    if len(runs) < 2:
        return ChangesLoaded("one eval only: nothing to compare it with", [], cases)
    earlier = runs[1]
    title = f"eval {short_id(earlier.id)} → eval {short_id(latest.id)}"
    return ChangesLoaded(title, library.evals.compare(earlier.id, latest.id), cases)


def earlier_results(library: Library, eval_run: EvalRun) -> list[EvalResult]:
    """The eval run's results, after those of the cells it did not run when it ran only the
    failed cases: from the evals before it on the same targets, back to the last full one
    (older first, so that the newer result of a cell is the one shown)."""
    results = library.evals.results(eval_run.id)
    if not eval_run.only_failed:
        return results
    carried: list[list[EvalResult]] = []
    for older in library.evals.list_runs(eval_run.prompt_id, EARLIER)[1:]:
        if older.targets != eval_run.targets:
            continue
        carried.append(library.evals.results(older.id))
        if not older.only_failed:
            break
    return [r for found in reversed(carried) for r in found] + results


def run_eval(
    library: Library,
    job: EvalJob,
    post: Callable[[Message], object],
    post_to_app: Callable[[Message], object],
    cancelled: Callable[[], bool],
) -> None:
    """(In a thread worker) prepare and run the eval of `job`, posting EvalStarted, an
    EvalProgress per case and always one EvalEnded. When `cancelled()` turns true (or the
    screen calls EvalStarted.cancel) the answer in progress stops and the eval is kept as
    cancelled."""
    chat: ChatProvider | None = None
    runner: EvalRunner | None = None
    error: str | None = None
    try:
        setup = job.setup
        settings = storage.llm_settings_from(job.llm, provider=setup.provider)
        chat = storage.make_chat_provider(settings, clock=run_worker.make_clock())
        imported = (
            library.cases.import_file(job.prompt_id, setup.cases_file) if setup.cases_file else None
        )
        plan = library.evals.prepare(
            job.prompt_id,
            provider=chat.name,
            default_model=chat.model,
            versions=setup.versions,
            models=setup.models,
            case_ids=imported.case_ids if imported else None,
            only_failed=job.only_failed,
            repeat=setup.repeat,
            judge_model=setup.judge_model,
        )
        if not plan.cases:
            error = _nothing_to_run(library, job.prompt_id)
            return
        needs_embedder = any(a.type == "similar" for c in plan.cases for a in c.asserts)
        embedder = library.embeddings.embedder if needs_embedder else None
        runner = storage.EvalRunner(library.runs, library.evals, plan, chat, embedder=embedder)
        post(EvalStarted(list(plan.cases), plan.targets, plan.total, runner.cancel))
        for event in runner:
            if cancelled():
                runner.cancel()  # no further case starts; the eval is kept as cancelled
            if isinstance(event, storage.CaseFinished):
                post(EvalProgress(event.result, event.done, event.total))
    except PromptdeckError as failed:
        error = str(failed)
    finally:
        if chat is not None:
            chat.close()
        ended = runner.eval_run if runner is not None else None
        post(EvalEnded(ended, error))
        if ended is not None:
            post_to_app(LibraryChanged(select=job.prompt_id))


def _nothing_to_run(library: Library, prompt_id: str) -> str:
    """Why an eval found no case to run, as it is: the prompt has none, no eval ran to its end
    to take the failed ones from, or every case passed in the last that did."""
    if not library.cases.list_cases(prompt_id):
        return "no cases yet: n writes one (or promptdeck cases import REF FILE)"
    if not any(run.status == "done" for run in library.evals.list_runs(prompt_id, EARLIER)):
        return "no eval has run to its end yet: a runs every case"
    return "nothing to run: every case passed in the last eval"
