"""What the case form's and the eval screen's case workers do, in plain values: keep a case
(added by hand, from a run, or changed), remove one. Each is one storage call (one
transaction); a refusal is the one line storage says. No widgets here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from storage import EvalCase, Library, PromptdeckError, Run
from tui.messages import CaseRefused, CaseSaved
from tui.shared import case_lines


@dataclass(frozen=True)
class CaseDraft:
    """A case as the form shows it: for `prompt_id`, new (by hand, or keeping the variables of
    `run_id`) or changing `case_id`; `lines` are its assertions, one a line."""

    prompt_id: str
    prompt_name: str
    names: tuple[str, ...]  # the prompt's {{variables}}, in order
    values: dict[str, str] = field(default_factory=dict)
    lines: str = ""
    description: str = ""
    case_id: str | None = None
    run_id: str | None = None

    def filled(self, values: dict[str, str], lines: str, description: str) -> CaseDraft:
        return replace(self, values=values, lines=lines, description=description)


def draft_of(case: EvalCase, prompt_name: str, names: tuple[str, ...]) -> CaseDraft:
    """A kept case, to change it (variables it has that the prompt lost are kept too)."""
    shown = tuple(dict.fromkeys((*names, *case.vars)))
    return CaseDraft(
        case.prompt_id, prompt_name, shown, dict(case.vars), case_lines.write(case.asserts),
        case.description, case_id=case.id,
    )  # fmt: skip


def draft_from_run(run: Run) -> CaseDraft:
    """A run kept as a case: its variables, and a check that the answer equals this output
    (to edit before keeping: contains, regex...)."""
    return CaseDraft(
        run.prompt_id, run.prompt_name, tuple(run.variables), dict(run.variables),
        case_lines.from_output(run.output), run_id=run.id,
    )  # fmt: skip


def save_case(library: Library, draft: CaseDraft) -> CaseSaved | CaseRefused:
    """(In a thread worker) keep the draft: storage checks every assertion; nothing is kept
    when one is refused."""
    try:
        asserts = case_lines.read(draft.lines)
        if draft.run_id is not None:
            case = library.cases.add_from_run(draft.run_id, asserts, description=draft.description)
        elif draft.case_id is not None:
            case = library.cases.update(
                draft.case_id, draft.values, asserts, description=draft.description
            )
        else:
            case = library.cases.add(
                draft.prompt_id, draft.values, asserts, description=draft.description
            )
    except PromptdeckError as refused:
        return CaseRefused(str(refused))
    return CaseSaved(case, added=draft.case_id is None)


def remove_case(library: Library, case_id: str) -> CaseSaved | CaseRefused:
    """(In a thread worker) remove a case; its past results stay in their evals."""
    try:
        (case,) = library.cases.remove([case_id])
    except PromptdeckError as refused:
        return CaseRefused(str(refused))
    return CaseSaved(case, added=False, removed=True)
