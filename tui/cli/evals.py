"""Evaluating prompts: eval (a prompt's cases against versions and models; exit 3 when an
assertion fails, for CI) and evals (the eval runs kept: list, show one, compare two). The chat
providers (and httpx) are imported only when `eval` sends something."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import click

import storage
from storage import EvalCase, EvalResult, EvalRun, EvalTarget, Library, VerdictChange
from storage.models import short_id
from tui.cli.chat import EXIT_CANCELLED, chat_provider
from tui.cli.common import DefaultListGroup, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.output import clip, emit_json, table

EXIT_FAILED = 3  # an assertion did not hold (or a case could not run): CI fails the build
_CASE_WIDTH = 36


@click.command("eval")
@click.argument("ref", shell_complete=prompt_refs)
@click.option(
    "--cases",
    "cases_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run this JSONL or CSV file's cases (kept as REF's cases; ones kept already are reused).",
)
@click.option("--model", "models", multiple=True, metavar="M", help="A model to run (repeatable).")
@click.option(
    "--version",
    "versions",
    multiple=True,
    metavar="N|LABEL",
    help="A version to run: N, a label or latest (repeatable; default: REF's).",
)
@click.option("--provider", metavar="NAME", help="openai, anthropic or ollama (default: [llm]).")
@click.option(
    "--judge-model",
    metavar="M",
    help="The model judge assertions ask (default: the one answering).",
)
@click.option("--only-failed", is_flag=True, help="Run only the cases that did not pass last time.")
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Run each case N times.",
)
@json_option
def eval_(
    ref: str,
    cases_file: Path | None,
    models: tuple[str, ...],
    versions: tuple[str, ...],
    provider: str | None,
    judge_model: str | None,
    only_failed: bool,
    repeat: int,
    as_json: bool,
) -> None:
    """Run REF's test cases against each version and model, check their assertions, keep the
    results and print the matrix (cases x versions/models) and a summary.

    Exit 0 when every assertion holds, 3 when any fails (or a case could not run), 1 on a
    user error or when the model answered no case at all (unreachable, misconfigured), 2 on
    a usage error. Each model call is recorded as a run."""
    lib = library()
    chat = chat_provider(provider)
    try:
        case_ids = lib.cases.import_file(ref, cases_file).case_ids if cases_file else None
        plan = lib.evals.prepare(
            ref,
            provider=chat.name,
            default_model=chat.model,
            versions=versions,
            models=models,
            case_ids=case_ids,
            only_failed=only_failed,
            repeat=repeat,
            judge_model=judge_model,
        )
        if not plan.cases:
            click.echo(f"nothing to run: every case of {plan.prompt_name} passed in its last eval")
            return
        needs_embedder = any(a.type == "similar" for c in plan.cases for a in c.asserts)
        embedder = lib.embeddings.embedder if needs_embedder else None
        runner = storage.EvalRunner(lib.runs, lib.evals, plan, chat, embedder=embedder)
        with lib.db.burst():  # one process, many runs: hold the file rather than reopen it
            finished = _drive(runner)
    finally:
        chat.close()
    _refuse_unanswered(lib, finished)
    report(lib, finished, as_json)
    if not finished.all_passed:
        raise click.exceptions.Exit(EXIT_FAILED)


def _refuse_unanswered(lib: Library, found: EvalRun) -> None:
    """The model could not be asked at all (unreachable, a bad key or URL: every case sent
    failed, none answered): one line and exit 1, not a failed eval's 3."""
    results = lib.evals.results(found.id)
    sent = [r for r in results if r.run_id is not None]
    if not sent or any(r.verdict != "error" for r in sent):
        return
    first = sent[0].error or "the model failed"
    raise storage.PromptdeckError(
        f"{first} (no case was answered; eval {short_id(found.id)} kept with {len(sent)} errors)"
    )


def _drive(runner: storage.EvalRunner) -> EvalRun:
    """Run the eval, a progress line on stderr when it is a terminal; ctrl+c ends it as
    cancelled (exit 130)."""
    live = sys.stderr.isatty()
    try:
        for event in runner:
            if live and isinstance(event, storage.CaseStarted):
                click.echo(f"\reval {event.done + 1}/{event.total}", err=True, nl=False)
    except KeyboardInterrupt:
        ended = runner.eval_run
        what = f"eval {short_id(ended.id)} kept as cancelled" if ended else "nothing run"
        click.echo(f"\npromptdeck: cancelled; {what}", err=True)
        raise click.exceptions.Exit(EXIT_CANCELLED) from None
    if live:
        click.echo("\r\033[K", err=True, nl=False)
    assert runner.eval_run is not None  # the iteration ended: it was finished
    return runner.eval_run


def report(lib: Library, found: EvalRun, as_json: bool, *, only_failed: bool = False) -> None:
    """An eval run as JSON, or as the matrix, the failures, the summary and the changes."""
    results = lib.evals.results(found.id)
    cases = lib.evals.cases(found.id)
    changes = lib.evals.changes(found.id) if len(found.targets) > 1 else []
    if as_json:
        emit_json(
            {
                "eval_run": found.to_dict(),
                "cases": [c.to_dict() for c in cases],
                "results": [r.to_dict() for r in results],
                "changed": [c.to_dict() for c in changes],
            }
        )
        return
    if only_failed:
        results = [r for r in results if r.verdict != "pass"]
    targets = list(found.targets)
    click.echo(_matrix(cases, targets, results))
    failures = [r for r in results if r.verdict != "pass"]
    if failures:
        click.echo("\nfailed")
        for result in failures:
            click.echo(_failure_line(result))
    click.echo(f"\n{_summary(found, results)}")
    for change in changes:
        click.echo(_change_line(change))


def _matrix(cases: Sequence[EvalCase], targets: list[EvalTarget], results: list[EvalResult]) -> str:
    cells: dict[tuple[str, EvalTarget], list[str]] = defaultdict(list)
    for result in results:
        cells[(result.case_id, result.target)].append(result.verdict)
    rows = [
        (short_id(c.id), clip(_about(c), _CASE_WIDTH), *(_cell(cells[(c.id, t)]) for t in targets))
        for c in cases
        if any(cells[(c.id, t)] for t in targets)
    ]
    return table(("CASE", "ABOUT", *(t.label for t in targets)), rows)


def _about(case: EvalCase) -> str:
    return case.description or " ".join(f"{k}={v}" for k, v in case.vars.items())


def _cell(verdicts: list[str]) -> str:
    if not verdicts:
        return ""
    if len(set(verdicts)) == 1:
        return {"pass": "pass", "fail": "FAIL", "error": "ERROR"}[verdicts[0]]
    return f"{verdicts.count('pass')}/{len(verdicts)} flaky"


def _failure_line(result: EvalResult) -> str:
    where = f"  {short_id(result.case_id)} {result.target.label}"
    if result.attempt > 1:
        where += f" #{result.attempt}"
    if result.error:
        return f"{where}: error: {result.error}"
    why = "; ".join(f"{a.type}: {a.reason}" for a in result.failed_assertions)
    return f"{where}: {why}"


def _summary(found: EvalRun, results: list[EvalResult]) -> str:
    cases = f"{found.cases} case{'s' * (found.cases != 1)}"
    targets = f"{len(found.targets)} target{'s' * (len(found.targets) != 1)}"
    repeat = f" x {found.repeat} runs" if found.repeat > 1 else ""
    rate = f" ({found.passed / found.results:.0%})" if found.results else ""
    judged = [r.judge_score for r in results if r.judge_score is not None]
    judge = f", judge {sum(judged) / len(judged):.2f}" if judged else ""
    priced = [r.cost_usd for r in results if r.cost_usd is not None]
    cost = f", cost ${sum(priced):.6f}" if priced else ""
    status = "" if found.status == "done" else f" [{found.status}]"
    return (
        f"eval {short_id(found.id)}{status}: {cases} x {targets}{repeat}: {found.passed} passed, "
        f"{found.failed} failed, {found.errors} errors{rate}{judge}{cost}"
    )


def _change_line(change: VerdictChange) -> str:
    return (
        f"changed: {short_id(change.case_id)} {change.before} ({change.before_target.label}) -> "
        f"{change.after} ({change.after_target.label})"
    )


# -- evals -----------------------------------------------------------------------------------


@click.group(
    cls=DefaultListGroup,
    invoke_without_command=True,
    context_settings={"ignore_unknown_options": True},
    options_metavar="[REF] [--json] [--limit N]",
    subcommand_metavar="| evals show ID | evals compare ID ID",
)
@click.pass_context
def evals(ctx: click.Context) -> None:
    """List eval runs newest first (REF: a prompt's), each with its pass rate.

    `evals show ID` prints one again; `evals compare A B` the cases whose verdict changed."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(evals_list)


@evals.command("list", hidden=True)
@click.argument("ref", required=False, shell_complete=prompt_refs)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
def evals_list(ref: str | None, limit: int, as_json: bool) -> None:
    """List eval runs newest first."""
    found = library().evals.list_runs(ref, limit=limit)
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    if not found:
        click.echo("no evals yet: `promptdeck eval REF` runs a prompt's cases")
        return
    rows = [
        (
            short_id(e.id),
            e.started_at,
            e.prompt_name,
            ", ".join(t.label for t in e.targets),
            e.cases,
            f"{e.passed}/{e.results}",
            e.failed,
            e.errors,
            e.status,
        )
        for e in found
    ]
    headers = ("ID", "WHEN", "PROMPT", "TARGETS", "CASES", "PASSED", "FAILED", "ERRORS", "STATUS")
    click.echo(table(headers, rows, widths={"PROMPT": 24, "TARGETS": 30}, right=headers[4:8]))


@evals.command("show")
@click.argument("eval_id", metavar="ID")
@click.option("--only-failed", is_flag=True, help="Only the cases that did not pass.")
@json_option
def evals_show(eval_id: str, only_failed: bool, as_json: bool) -> None:
    """Show an eval run: its matrix, failed assertions with their reasons, and summary."""
    lib = library()
    report(lib, lib.evals.get(eval_id), as_json, only_failed=only_failed)


@evals.command("compare")
@click.argument("before", metavar="ID")
@click.argument("after", metavar="ID")
@json_option
def evals_compare(before: str, after: str, as_json: bool) -> None:
    """The cases both eval runs ran whose verdict changed from the first to the second."""
    lib = library()
    first, second = lib.evals.get(before), lib.evals.get(after)
    changes = lib.evals.compare(first.id, second.id)
    if as_json:
        emit_json([c.to_dict() for c in changes])
        return
    if not changes:
        click.echo(
            f"no case changed verdict from eval {short_id(first.id)} to {short_id(second.id)}"
        )
        return
    for change in changes:
        click.echo(_change_line(change))


COMMANDS = (eval_, evals)
