"""What evals run on: cases (a prompt's variables and assertions: add, import, list, remove),
rubrics (weighted criteria a judge scores by: add, list, show, remove) and analyse (what can
be said of a prompt version without a model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from storage import Analysis, Criterion, EvalCase
from storage.models import short_id
from tui.cli.common import DefaultListGroup, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import parse_values
from tui.cli.output import clip, emit_json, fields_block, table

_ASSERTS_WIDTH = 50


@click.group(
    cls=DefaultListGroup,
    invoke_without_command=True,
    context_settings={"ignore_unknown_options": True},
    options_metavar="REF [--json]",
    subcommand_metavar="| cases add|import|remove ...",
)
@click.pass_context
def cases(ctx: click.Context) -> None:
    """List a prompt's test cases (`cases REF`); add, import or remove them."""
    if ctx.invoked_subcommand is None:
        raise click.UsageError("give a prompt: promptdeck cases REF")


@cases.command("list", hidden=True)
@click.argument("ref", shell_complete=prompt_refs)
@json_option
def cases_list(ref: str, as_json: bool) -> None:
    """List a prompt's cases, oldest first."""
    found = library().cases.list_cases(ref)
    if as_json:
        emit_json([c.to_dict() for c in found])
        return
    if not found:
        click.echo("no cases yet: `promptdeck cases add` or `cases import` adds them")
        return
    rows = [
        (short_id(c.id), c.description, _vars(c), clip(_asserts(c), _ASSERTS_WIDTH)) for c in found
    ]
    click.echo(table(("ID", "DESCRIPTION", "VARS", "ASSERT"), rows, widths={"VARS": 36}))


@cases.command("add")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "--assert",
    "checks",
    multiple=True,
    required=True,
    metavar="JSON",
    help='An assertion, e.g. \'{"type": "contains", "value": "Paris"}\' (repeatable).',
)
@click.option("--description", default="", help="What the case checks, in one line.")
@click.option("--from-run", "run_id", metavar="ID", help="Take the variables of this run of REF.")
@json_option
def cases_add(
    ref: str,
    values: tuple[str, ...],
    checks: tuple[str, ...],
    description: str,
    run_id: str | None,
    as_json: bool,
) -> None:
    """Add a test case to REF: its variables (NAME=VALUE, or a run's) and assertions."""
    asserts = [_json_option("--assert", text) for text in checks]
    lib = library()
    if run_id is not None:
        if values:
            raise click.UsageError("give variables either as NAME=VALUE or with --from-run")
        if lib.runs.get(run_id).prompt_id != lib.prompts.get(ref).id:
            raise click.UsageError(f"run {run_id} is not a run of {ref}")
        added = lib.cases.add_from_run(run_id, asserts, description=description)
    else:
        added = lib.cases.add(ref, parse_values(values), asserts, description=description)
    if as_json:
        emit_json(added.to_dict())
        return
    click.echo(short_id(added.id))


@cases.command("import")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def cases_import(ref: str, file: Path, as_json: bool) -> None:
    """Import REF's cases from a JSONL or CSV file: all of them, or none when a line is bad."""
    done = library().cases.import_file(ref, file)
    if as_json:
        emit_json(done.to_dict())
        return
    click.echo(f"{done.added} case(s) added, {done.skipped} already kept")


@cases.command("remove")
@click.argument("case_ids", nargs=-1, required=True, metavar="ID...")
def cases_remove(case_ids: tuple[str, ...]) -> None:
    """Remove cases (their results stay in the evals that ran them)."""
    removed = library().cases.remove(case_ids)
    click.echo(f"{len(removed)} case(s) removed")


def _vars(case: EvalCase) -> str:
    return " ".join(f"{k}={v}" for k, v in case.vars.items())


def _asserts(case: EvalCase) -> str:
    shown = [a.rubric if a.type == "judge" else a.value for a in case.asserts]
    return ", ".join(
        a.type if value is None else f"{a.type} {json.dumps(value, ensure_ascii=False)}"
        for a, value in zip(case.asserts, shown, strict=True)
    )


def _json_option(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint=option) from None


# -- rubrics ---------------------------------------------------------------------------------


@click.group(
    cls=DefaultListGroup,
    invoke_without_command=True,
    options_metavar="[--json]",
    subcommand_metavar="| rubrics add|show|remove ...",
)
@click.pass_context
def rubrics(ctx: click.Context) -> None:
    """List the rubrics a judge model scores answers by; add, show or remove one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(rubrics_list)


@rubrics.command("list", hidden=True)
@json_option
def rubrics_list(as_json: bool) -> None:
    """List the rubrics."""
    found = library().rubrics.list_rubrics()
    if as_json:
        emit_json([r.to_dict() for r in found])
        return
    if not found:
        click.echo("no rubrics yet: `promptdeck rubrics add NAME --criterion ...` adds one")
        return
    rows = [
        (r.name, ", ".join(f"{c.name} x{c.weight:g}" for c in r.criteria), r.description)
        for r in found
    ]
    click.echo(table(("NAME", "CRITERIA", "DESCRIPTION"), rows))


@rubrics.command("add")
@click.argument("name")
@click.option(
    "--criterion",
    "criteria",
    multiple=True,
    required=True,
    metavar="NAME[:WEIGHT[:WHAT]]",
    help="A criterion scored 1..5, its weight (default 1) and what it means (repeatable).",
)
@click.option("--description", default="", help="What the rubric is for.")
@click.option("--replace", is_flag=True, help="Replace the criteria of a rubric of that name.")
@json_option
def rubrics_add(
    name: str, criteria: tuple[str, ...], description: str, replace: bool, as_json: bool
) -> None:
    """Add a rubric: weighted criteria a judge model scores from 1 to 5."""
    kept = library().rubrics.add(
        name, [_criterion(text) for text in criteria], description=description, replace=replace
    )
    if as_json:
        emit_json(kept.to_dict())
        return
    click.echo(f"rubric {kept.name}: {len(kept.criteria)} criteria")


@rubrics.command("show")
@click.argument("name")
@json_option
def rubrics_show(name: str, as_json: bool) -> None:
    """Show a rubric and its criteria."""
    found = library().rubrics.get(name)
    if as_json:
        emit_json(found.to_dict())
        return
    click.echo(fields_block([("rubric", found.name), ("description", found.description)]))
    rows = [(c.name, f"{c.weight:g}", c.description) for c in found.criteria]
    click.echo(table(("CRITERION", "WEIGHT", "WHAT"), rows, right=("WEIGHT",)))


@rubrics.command("remove")
@click.argument("name")
def rubrics_remove(name: str) -> None:
    """Remove a rubric that no case names."""
    click.echo(f"rubric {library().rubrics.remove(name).name} removed")


def _criterion(text: str) -> Criterion | dict[str, Any]:
    name, _, rest = text.partition(":")
    weight, _, about = rest.partition(":")
    if not weight.strip():
        return {"name": name, "description": about}
    try:
        return Criterion(name, float(weight), about)
    except ValueError:
        raise click.BadParameter(f"{weight!r} is not a weight", param_hint="--criterion") from None


# -- analyse ---------------------------------------------------------------------------------


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@json_option
def analyse(ref: str, as_json: bool) -> None:
    """Analyse a prompt version without a model and keep it: length, estimated tokens,
    variables, language, format and whether it is well formed (REF@N: that version)."""
    found = library().analysis.store(ref)
    if as_json:
        emit_json(found.to_dict())
        return
    click.echo(fields_block(analysis_pairs(found)))


def analysis_pairs(found: Analysis) -> list[tuple[str, Any]]:
    """The analysis as `analyse` prints it."""
    validity = "well formed" if found.valid else f"not well formed: {found.problem}"
    return [
        (
            "length",
            f"{found.length:,} characters, {found.words:,} words, "
            f"~{found.tokens_estimated:,} tokens",
        ),
        ("variables", ", ".join(found.variables)),
        ("language", found.language or "unknown"),
        ("format", f"{found.format}, {validity}"),
    ]


COMMANDS = (cases, rubrics, analyse)
