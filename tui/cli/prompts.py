"""Prompts and their versions: add, list, edit, versions, diff, revert."""

from __future__ import annotations

from typing import Any

import click

from storage import PromptFilter
from storage.models import SORT_KEYS, short_id
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import (
    collect_fields,
    content_option,
    field_options,
    filter_options,
    read_content,
    read_new_content,
)
from tui.cli.output import emit_json, rating, table
from tui.cli.search import embed_saved

# Sort keys read best A to Z; the others (dates, counts, scores) read best highest first.
_ASCENDING_BY_DEFAULT = ("name", "folder", "model")


@click.command()
@click.option("--name", required=True, help="The prompt's name (one line).")
@content_option
@field_options
@click.option(
    "--parent",
    metavar="REF",
    shell_complete=prompt_refs,
    help="Derive from this prompt, inheriting its fields.",
)
@click.option("-m", "--message", help="Change message of version 1.")
@json_option
def add(
    name: str,
    file: str | None,
    parent: str | None,
    message: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Add a prompt (content from --file or stdin).

    Prints the new id (with --json, the prompt). With --parent it derives from that prompt."""
    fields = collect_fields(options)
    content = read_content(file)
    lib = library()
    if parent:
        prompt = lib.lineage.derive(
            parent, name=name, content=content, message=message or "derived", **fields
        )
    else:
        prompt = lib.prompts.create(name, content, message=message or "created", **fields)
    embed_saved(lib, prompt)
    if as_json:
        emit_json(prompt.to_dict())
    else:
        click.echo(prompt.id)


@click.command("list")
@filter_options("List archived prompts instead of live ones.")
@click.option("--sort", type=click.Choice(SORT_KEYS), default="updated", show_default=True)
@click.option(
    "--asc/--desc", "ascending", default=None, help="Direction (default: A-Z, or highest first)."
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N")
@json_option
def list_(
    where: PromptFilter,
    sort: str,
    ascending: bool | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List prompts, filtered and sorted.

    Shows short ids (the end of the id), which work as references."""
    if ascending is None:
        ascending = sort in _ASCENDING_BY_DEFAULT
    found = library().prompts.list_prompts(where, sort=sort, descending=not ascending, limit=limit)
    if as_json:
        emit_json([p.to_dict() for p in found])
        return
    if not found:
        click.echo("(no prompts)")
        return
    headers = ("ID", "NAME", "FOLDER", "TAGS", "MODEL", "USES", "RATING", "UPDATED")
    rows = [
        (short_id(p.id), p.name, p.folder, p.tags, p.model, p.uses, rating(p.rating), p.updated_at)
        for p in found
    ]
    widths = {"NAME": 32, "FOLDER": 20, "TAGS": 24, "MODEL": 18}
    click.echo(table(headers, rows, widths=widths, right=("USES", "RATING")))


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@content_option
@click.option("--name", help="New name.")
@field_options
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@click.option("-m", "--message", default="edited", show_default=True, help="Change message.")
@json_option
def edit(
    ref: str,
    file: str | None,
    name: str | None,
    clear_tags: bool,
    message: str,
    as_json: bool,
    **options: Any,
) -> None:
    """Save a new version of a prompt.

    New content comes from --file or piped stdin; only the flags given change fields.
    A save that changes nothing is refused."""
    changes = collect_fields(options, clear_tags=clear_tags)
    if name is not None:
        changes["name"] = name
    content = read_new_content(file)
    if content is not None:
        changes["content"] = content
    lib = library()
    prompt = lib.prompts.update(ref, changes, message)
    embed_saved(lib, prompt)
    if as_json:
        emit_json(prompt.to_dict())
    else:
        click.echo(f"{prompt.name} ({short_id(prompt.id)}): saved version {prompt.current_version}")


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@json_option
def versions(ref: str, as_json: bool) -> None:
    """List a prompt's versions, oldest first.

    * marks the current version; LABELS shows the labels pointing at each."""
    lib = library()
    prompt = lib.prompts.get(ref)
    found = lib.versions.history(prompt.id)
    if as_json:
        emit_json([v.to_dict() for v in found])
        return
    labels: dict[int, list[str]] = {}
    for label in lib.versions.labels(prompt.id):
        labels.setdefault(label.version, []).append(label.label)
    rows = [
        (
            f"{v.version}{'*' if v.version == prompt.current_version else ''}",
            v.created_at,
            v.name,
            v.change_message,
            labels.get(v.version, []),
        )
        for v in found
    ]
    headers = ("VERSION", "CREATED", "NAME", "MESSAGE", "LABELS")
    click.echo(table(headers, rows, widths={"NAME": 32, "MESSAGE": 48}, right=("VERSION",)))


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("old", type=int, required=False)
@click.argument("new", type=int, required=False)
@json_option
def diff(ref: str, old: int | None, new: int | None, as_json: bool) -> None:
    """Diff two versions of a prompt.

    OLD and NEW default to the previous and the current version;
    `diff REF@production` compares the labelled version with the current one."""
    lib = library()
    resolved = lib.prompts.resolve(ref)
    if old is None and resolved.version is not None:
        old = resolved.version.version
    result = lib.versions.diff(resolved.prompt.id, old, new)
    if as_json:
        emit_json(
            {
                "old": result.old.version,
                "new": result.new.version,
                "unified": result.unified,
                "changed_fields": {k: list(v) for k, v in result.changed_fields.items()},
            }
        )
    elif result.unified or result.changed_fields:
        click.echo(result.as_text(), nl=False)
    else:
        click.echo(f"versions {result.old.version} and {result.new.version} are the same")


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("version", type=int)
@click.option("-m", "--message", help="Change message (default: 'restored version N').")
def revert(ref: str, version: int, message: str | None) -> None:
    """Restore an old version (saved as a new version)."""
    prompt = library().versions.restore(ref, version, message)
    click.echo(
        f"{prompt.name} ({short_id(prompt.id)}): version {version} restored "
        f"as version {prompt.current_version}"
    )


COMMANDS = (add, list_, edit, versions, diff, revert)
