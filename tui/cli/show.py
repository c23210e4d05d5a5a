"""`show`: one prompt's fields, labels, lineage, links, usage and content."""

from __future__ import annotations

from typing import Any

import click

from storage import Analysis, Library, Prompt, templates
from storage.errors import NotFound
from storage.models import SNAPSHOT_FIELDS, PromptVersion, Relationship, short_id
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.output import cell, echo_text, emit_json, fields_block
from tui.shared.formatting import date_time


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option("--version", "number", type=int, metavar="N", help="Show version N.")
@click.option("--content-only", is_flag=True, help="Print only the content (for scripts).")
@json_option
def show(ref: str, number: int | None, content_only: bool, as_json: bool) -> None:
    """Show a prompt's fields, links and content.

    REF@label or REF@N (or --version N) shows that version."""
    lib = library()
    resolved = lib.prompts.resolve(ref)
    prompt, version = resolved.prompt, resolved.version
    if number is not None:
        if version is not None:
            raise click.UsageError("give a version either as REF@N or as --version, not both")
        version = lib.versions.get(prompt.id, number)
    if content_only:
        echo_text(version.content if version else prompt.content)
        return
    labels = lib.versions.labels(prompt.id)
    links = lib.lineage.relationships(prompt.id)
    average, count = lib.usage.rating(prompt.id)
    content = version.content if version else prompt.content
    analysis = lib.analysis.get(f"{prompt.id}@{version.version if version else 'latest'}")
    if as_json:
        emit_json(
            {
                "prompt": prompt.to_dict(),
                "version": version.to_dict() if version else None,
                "labels": [label.to_dict() for label in labels],
                "relationships": [link.to_dict() for link in links],
                "rating": {"average": average, "count": count},
                "variables": templates.variables(content),
                "analysis": analysis.to_dict(),
            }
        )
        return
    label_text = ", ".join(f"{label.label}={label.version}" for label in labels)
    shown = version.version if version else prompt.current_version
    fields = _fields_at(prompt, version)
    pairs: list[tuple[str, Any]] = [
        ("name", fields["name"]),
        ("id", prompt.id),
        ("version", f"{shown} of {prompt.current_version}" + (" (pinned)" if version else "")),
        ("labels", label_text),
        ("description", fields["description"]),
        ("folder", fields["folder"]),
        ("tags", fields["tags"]),
        ("phase", fields["phase"]),
        ("provider", fields["provider"]),
        ("model", fields["model"]),
        ("temperature", fields["temperature"]),
        ("max tokens", fields["max_tokens"]),
        ("persona", fields["persona"]),
        ("target family", fields["target_model_family"]),
        ("format", fields["format_type"]),
        ("language", fields["language"]),
        ("metadata", fields["metadata"] or None),
        ("source", _source(prompt)),
        ("parent", _name_of(lib, prompt.parent_id) if prompt.parent_id else ""),
        ("links", "\n".join(_link_line(lib, prompt, link) for link in links)),
        ("uses", _uses(prompt)),
        ("rating", f"{average:.1f} from {count}" if count else ""),
        ("variables", templates.variables(content)),
        ("analysis", analysis_line(analysis)),
        ("created", prompt.created_at),
        ("updated", prompt.updated_at),
        ("archived", prompt.archived_at),
    ]
    click.echo(fields_block(pairs))
    click.echo()
    click.echo(content, nl=not content.endswith("\n"), color=True)


def _fields_at(prompt: Prompt, version: PromptVersion | None) -> dict[str, Any]:
    """The prompt's editable fields as they were at the pinned version (else as they are)."""
    fields = prompt.editable()
    if version is not None:
        fields.update({f: version.metadata[f] for f in SNAPSHOT_FIELDS if f in version.metadata})
        fields["name"] = version.name
    return fields


def _uses(prompt: Prompt) -> str:
    last = f", last {date_time(prompt.last_used_at)}" if prompt.last_used_at else ""
    return f"{prompt.usage_count}{last}"


def _source(prompt: Prompt) -> str:
    method = f" ({prompt.enhancement_method})" if prompt.enhancement_method else ""
    return f"{prompt.source_type}{method}"


def _name_of(lib: Library, prompt_id: str) -> str:
    try:
        return f"{lib.prompts.get(prompt_id).name} ({short_id(prompt_id)})"
    except NotFound:
        return short_id(prompt_id)


def _link_line(lib: Library, prompt: Prompt, link: Relationship) -> str:
    if link.source_id == prompt.id:
        text = f"{link.type} -> {_name_of(lib, link.target_id)}"
    else:
        text = f"{link.type} <- {_name_of(lib, link.source_id)}"
    if link.strength != 1.0:
        text += f" strength {link.strength:g}"
    return text + (f": {cell(link.context)}" if link.context else "")


def analysis_line(found: Analysis) -> str:
    """The analysis in one line, as `show` prints it."""
    language = f"language {found.language}" if found.language else "language unknown"
    valid = "well formed" if found.valid else f"not well formed: {found.problem}"
    return f"~{found.tokens_estimated:,} tokens, {language}, {found.format} {valid}"


COMMANDS = (show,)
