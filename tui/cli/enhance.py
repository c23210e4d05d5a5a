"""`promptdeck enhance REF`: a chat model rewrites the prompt for a phase (idea, human,
precision); the answer streams to stdout and is kept as a derived prompt (or a new version, or
nothing with --dry-run), tied to its run in the lineage."""

from __future__ import annotations

import sys

import click

import storage
from storage import METHODS, PHASES, Prompt, Run
from storage.models import short_id
from tui.cli import chat
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.output import emit_json
from tui.cli.search import embed_saved


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option(
    "--phase",
    type=click.Choice(tuple(PHASES)),
    help="What to do (default: the phase after the prompt's own, else idea).",
)
@click.option("--method", type=click.Choice(tuple(METHODS)), default="rewrite", show_default=True)
@click.option("--model", help="Model that rewrites it (default: [llm] model).")
@click.option("--provider", metavar="NAME", help="openai, anthropic or ollama (default: [llm]).")
@click.option(
    "--as",
    "keep_as",
    type=click.Choice(("prompt", "version")),
    default="prompt",
    show_default=True,
    help="Keep the answer as a new prompt derived from REF, or as REF's next version.",
)
@click.option("--name", help='Name of the new prompt (default: "NAME (PHASE)").')
@click.option("--dry-run", is_flag=True, help="Show the answer; keep nothing but the run.")
@json_option
def enhance(
    ref: str,
    phase: str | None,
    method: str,
    model: str | None,
    provider: str | None,
    keep_as: str,
    name: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Ask a chat model to rewrite a prompt for a phase, and keep its answer.

    The phases go idea -> human -> precision (their instructions are in the README). The run is
    recorded like any other (`promptdeck runs`); the prompt it keeps is `enhanced`, derived from
    REF, with the phase and method in its history, so `lineage` shows it. An answer that drops a
    {{variable}} of REF is refused (exit 1; the run stays recorded)."""
    lib = library()
    source = lib.prompts.get(ref.split("@", 1)[0])
    enhancement = storage.Enhancement(phase or storage.next_phase(source.phase), method)
    provider_ = chat.chat_provider(provider)
    try:
        prepared = lib.enhance.prepare(
            ref,
            enhancement,
            provider=provider_.name,
            model=model or provider_.model,
            stream=provider_.streaming,
        )
        run, text = chat.send(lib, prepared, provider_, live=not as_json)
        chat.end_line(bool(text) and not text.endswith("\n"))
    finally:
        provider_.close()
    kept = None if dry_run else lib.enhance.keep(run, keep_as=keep_as, name=name)
    if kept is not None:
        embed_saved(lib, kept)  # as every save: its vector, and a near twin said
    if as_json:
        emit_json({"run": run.to_dict(), "prompt": kept.to_dict() if kept else None})
    elif sys.stderr.isatty():
        click.echo(f"promptdeck: {_said(run, kept, keep_as)}", err=True)


def _said(run: Run, kept: Prompt | None, keep_as: str) -> str:
    figures = chat.summary(run)
    if kept is None:
        return f"not kept (--dry-run); {figures}"
    if keep_as == "version":
        return f"kept as v{kept.current_version} of {kept.name} ({short_id(kept.id)}); {figures}"
    return f"kept as {kept.name} ({short_id(kept.id)}); {figures}"


COMMANDS = (enhance,)
