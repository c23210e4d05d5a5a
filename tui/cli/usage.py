"""Templates and feedback: render, use, rate."""

from __future__ import annotations

import click

from storage import templates
from storage.models import short_id
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import parse_values
from tui.cli.output import echo_text, emit_json

values_argument = click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@values_argument
@click.option("--vars", "list_vars", is_flag=True, help="List the template's variables instead.")
@json_option
def render(ref: str, values: tuple[str, ...], list_vars: bool, as_json: bool) -> None:
    """Fill in a prompt's {{variables}} and print it.

    Records a 'rendered' event (not on a --read-only library); `use` records a use."""
    given = parse_values(values)
    lib = library()
    if list_vars:
        names = templates.variables(lib.prompts.resolve(ref).content)
        if as_json:
            emit_json(names)
        elif names:
            click.echo("\n".join(names))
        return
    text = (
        lib.usage.render(ref, given)
        if lib.db.read_only
        else lib.usage.use(ref, given, event_type="rendered")
    )
    if as_json:
        emit_json({"text": text})
    else:
        echo_text(text)


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@values_argument
def use(ref: str, values: tuple[str, ...]) -> None:
    """Render a prompt and record the use.

    Counts towards the prompt's uses and relevance."""
    echo_text(library().usage.use(ref, parse_values(values)))


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("rating")
@click.option("--comment", help="What worked or did not.")
@click.option("--suggestion", help="How the prompt could be better.")
@click.option("--helpful/--not-helpful", default=None, help="Whether the output helped.")
@json_option
def rate(
    ref: str,
    rating: str,
    comment: str | None,
    suggestion: str | None,
    helpful: bool | None,
    as_json: bool,
) -> None:
    """Rate a prompt from 1 to 5.

    REF@N (or REF@label) rates that version."""
    lib = library()
    # Any bad rating (9, 4.5, "five") is storage's one-line error naming it, exit 1.
    score: int | str = int(rating) if rating.strip().lstrip("+-").isdigit() else rating
    feedback = lib.usage.rate(
        ref,
        score,  # type: ignore[arg-type]
        comment=comment,
        suggestion=suggestion,
        helpful=helpful,
    )
    if as_json:
        emit_json(feedback.to_dict())
        return
    average, count = lib.usage.rating(feedback.prompt_id)
    name = lib.prompts.get(feedback.prompt_id).name
    click.echo(
        f"{name} ({short_id(feedback.prompt_id)}): rated {feedback.rating}/5, "
        f"average {average or 0:.1f} from {count}"
    )


COMMANDS = (render, use, rate)
