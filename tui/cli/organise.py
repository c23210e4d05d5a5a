"""Organising the library: tag, label, archive, unarchive, rm."""

from __future__ import annotations

import click

from storage import Prompt
from storage.models import short_id
from tui.cli.common import Group, json_option, library
from tui.cli.completion import archived_refs, prompt_refs
from tui.cli.output import emit_json, table


def _named(prompt: Prompt) -> str:
    return f"{prompt.name} ({short_id(prompt.id)})"


@click.group(cls=Group)
def tag() -> None:
    """Add, remove, list and colour tags."""


@tag.command("add")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("tags", nargs=-1, required=True)
def tag_add(ref: str, tags: tuple[str, ...]) -> None:
    """Add tags to a prompt (saved as a new version)."""
    prompt = library().tags.add(ref, tags)
    click.echo(f"{_named(prompt)}: tags {', '.join(prompt.tags)}")


@tag.command("rm")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("tags", nargs=-1, required=True)
def tag_rm(ref: str, tags: tuple[str, ...]) -> None:
    """Remove tags from a prompt (saved as a new version)."""
    prompt = library().tags.remove(ref, tags)
    click.echo(f"{_named(prompt)}: tags {', '.join(prompt.tags) or '(none)'}")


@tag.command("list")
@json_option
def tag_list(as_json: bool) -> None:
    """List tags with their number of live prompts and colour."""
    found = library().tags.all()
    if as_json:
        emit_json([t.to_dict() for t in found])
    elif not found:
        click.echo("(no tags)")
    else:
        rows = [(t.name, t.prompts, t.colour) for t in found]
        click.echo(table(("TAG", "PROMPTS", "COLOUR"), rows, right=("PROMPTS",)))


@tag.command("colour")
@click.argument("name")
@click.argument("colour")
def tag_colour(name: str, colour: str) -> None:
    """Give a tag a colour (#rgb, #rrggbb or a name like green)."""
    found = library().tags.set_colour(name, colour)
    click.echo(f"tag {found.name}: colour {found.colour}")


@click.group(cls=Group)
def label() -> None:
    """Name versions (production, ...): REF@NAME."""


@label.command("set")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("name")
@click.option(
    "--version", type=int, metavar="N", help="Version to point at (default: REF's, or current)."
)
def label_set(ref: str, name: str, version: int | None) -> None:
    """Point label NAME at a version of the prompt, moving it if it exists.

    The version is --version N, else the one REF@N or REF@label pins, else the current one."""
    lib = library()
    found = lib.versions.set_label(ref, name, version)
    click.echo(
        f"{_named(lib.prompts.get(found.prompt_id))}: {found.label} -> version {found.version}"
    )


@label.command("rm")
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("name")
def label_rm(ref: str, name: str) -> None:
    """Remove a label from a prompt."""
    lib = library()
    prompt = lib.prompts.get(ref)
    lib.versions.remove_label(prompt.id, name)
    click.echo(f"{_named(prompt)}: label {name} removed")


@label.command("list")
@click.argument("ref", shell_complete=prompt_refs)
@json_option
def label_list(ref: str, as_json: bool) -> None:
    """List a prompt's labels and their versions."""
    found = library().versions.labels(ref)
    if as_json:
        emit_json([item.to_dict() for item in found])
    elif not found:
        click.echo("(no labels)")
    else:
        rows = [(item.label, item.version, item.updated_at) for item in found]
        click.echo(table(("LABEL", "VERSION", "UPDATED"), rows, right=("VERSION",)))


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
def archive(ref: str) -> None:
    """Archive a prompt (hide it from lists).

    `list --archived` shows archived prompts; `unarchive` brings one back."""
    click.echo(f"{_named(library().prompts.archive(ref))}: archived")


@click.command()
@click.argument("ref", shell_complete=archived_refs)
def unarchive(ref: str) -> None:
    """Bring an archived prompt back."""
    click.echo(f"{_named(library().prompts.unarchive(ref))}: restored from the archive")


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option("--force", is_flag=True, help="Delete even if other prompts derive from it.")
def rm(ref: str, force: bool) -> None:
    """Delete a prompt and its history for good.

    The audit log keeps a copy. A prompt others derive from needs --force."""
    click.echo(f"{_named(library().prompts.delete(ref, force=force))}: deleted")


COMMANDS = (tag, label, archive, unarchive, rm)
