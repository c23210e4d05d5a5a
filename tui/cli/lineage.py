"""Derivation and relationships: derive, link, unlink, and the lineage graph."""

from __future__ import annotations

from typing import Any

import click

from storage.models import RELATIONSHIP_TYPES, short_id
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import collect_fields, content_option, field_options, read_content
from tui.cli.output import emit_json
from tui.cli.search import embed_saved
from tui.shared.graph_layout import as_text, layout

type_option = click.option(
    "--type",
    "kind",
    type=click.Choice(RELATIONSHIP_TYPES),
    required=True,
    help="SOURCE <type> TARGET, e.g. A depends_on B.",
)


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option(
    "--child",
    metavar="OTHER",
    shell_complete=prompt_refs,
    help="Mark the existing prompt OTHER as derived from REF.",
)
@content_option
@click.option("--name", help="Name of the new prompt (default: REF's name + ' (derived)').")
@field_options
@click.option("-m", "--message", default="derived", show_default=True, help="Change message.")
@click.option("--method", default="manual", show_default=True, help="How it was derived.")
@click.option(
    "--improvement-score", type=float, metavar="0..1", help="How much better it is than REF."
)
@json_option
def derive(
    ref: str,
    child: str | None,
    file: str | None,
    name: str | None,
    message: str,
    method: str,
    improvement_score: float | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Derive a new prompt from REF, or mark a child.

    The new prompt's content comes from --file or stdin; its other fields are inherited from
    REF unless given. With --child OTHER, record that an existing prompt derives from REF
    (refused if that would make a cycle)."""
    fields = collect_fields(options)
    if child is not None:
        if fields or file is not None or name is not None or improvement_score is not None:
            raise click.UsageError("--child takes no content, name or field flags")
        prompt = library().lineage.set_parent(child, ref, method=method)
        if as_json:
            emit_json(prompt.to_dict())
        else:
            click.echo(f"{prompt.name} ({short_id(prompt.id)}) now derives from {ref}")
        return
    content = read_content(file)
    if name is not None:
        fields["name"] = name
    lib = library()
    prompt = lib.lineage.derive(
        ref,
        message=message,
        method=method,
        improvement_score=improvement_score,
        content=content,
        **fields,
    )
    embed_saved(lib, prompt)
    if as_json:
        emit_json(prompt.to_dict())
    else:
        click.echo(prompt.id)


@click.command()
@click.argument("source", shell_complete=prompt_refs)
@click.argument("target", shell_complete=prompt_refs)
@type_option
@click.option("--strength", type=float, default=1.0, show_default=True, metavar="0..1")
@click.option("--context", help="Why they are related.")
@json_option
def link(
    source: str, target: str, kind: str, strength: float, context: str | None, as_json: bool
) -> None:
    """Relate two prompts: SOURCE --type TARGET."""
    lib = library()
    relationship = lib.lineage.link(source, target, kind, strength=strength, context=context)
    if as_json:
        emit_json(relationship.to_dict())
        return
    source_name = lib.prompts.get(relationship.source_id).name
    target_name = lib.prompts.get(relationship.target_id).name
    click.echo(f"linked {source_name!r} {kind} {target_name!r}")


@click.command()
@click.argument("source", shell_complete=prompt_refs)
@click.argument("target", shell_complete=prompt_refs)
@type_option
def unlink(source: str, target: str, kind: str) -> None:
    """Remove a relationship: SOURCE --type TARGET."""
    library().lineage.unlink(source, target, kind)
    click.echo(f"unlinked {source} {kind} {target}")


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    metavar="N",
    help="Only N generations above and below REF (default: the whole tree).",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="Cut a bigger tree (the path to REF and its descendants are kept first).",
)
@json_option
def lineage(ref: str, depth: int | None, max_nodes: int, as_json: bool) -> None:
    """The derivation tree around REF, with its other relationships.

    The tree is drawn from REF's root (● marks REF, ○ the others, each with its version, uses
    and rating); `┄ TYPE → NAME` lines under a prompt are its relationships that are not
    derivations (→ from it, ← to it). --json prints the nodes, links and enhancement history."""
    graph = library().lineage.graph(ref, depth=depth, max_nodes=max_nodes)
    if as_json:
        emit_json({**graph.to_dict(), "truncated": graph.truncated})
        return
    for line in as_text(graph, layout(graph)):
        click.echo(line)


COMMANDS = (derive, link, unlink, lineage)
