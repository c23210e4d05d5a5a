"""search verbs: search, similar, embed, reembed (and the save notices other verbs print)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

import storage
from storage import MODES, PROVIDERS, Library, Prompt, PromptFilter
from tui.cli.common import State, UserError, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import filter_options
from tui.cli.output import clip, emit_json, table
from tui.shared.settings import ConfigError, Settings

if TYPE_CHECKING:
    from storage import EmbeddingProvider, Progress, SearchHit

_SNIPPET_WIDTH = 70


def embed_saved(lib: Library, prompt: Prompt) -> None:
    """The step after a save: embed the prompt (when an embedder is set) and print what that
    found (a near twin, a vector that could not be made) on stderr."""
    for notice in lib.embeddings.after_save(prompt):
        click.echo(f"promptdeck: warning: {notice.message}", err=True)
    state = click.get_current_context().find_object(State)
    if state is not None and state.embedder_error:
        click.echo(f"promptdeck: warning: saved, not embedded: {state.embedder_error}", err=True)


@click.command()
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, metavar="N")
@filter_options(
    "Search archived prompts instead of live ones.",
    model=False,
    words=False,
    provider_help="Prompts for this LLM provider (a filter, not the embedder).",
)
@click.option(
    "--min-score",
    type=float,
    metavar="X",
    help="Drop hits scoring below X (BM25 for text, cosine for semantic, RRF for hybrid).",
)
@json_option
def search(
    query: str,
    mode: str,
    limit: int,
    where: PromptFilter,
    min_score: float | None,
    as_json: bool,
) -> None:
    """Search prompts: text (BM25 with snippets), semantic (embeddings) or hybrid (both,
    fused by reciprocal rank). The last word also matches longer words ("linu" finds Linux)."""
    result = library().search.search(query, mode, where, limit, min_score)
    if result.notice:
        click.echo(f"promptdeck: note: {result.notice}", err=True)
    if as_json:
        emit_json(
            {
                "mode": result.mode,
                "notice": result.notice,
                "total": result.total,
                "hits": [_hit_json(rank, hit) for rank, hit in enumerate(result.hits, 1)],
            }
        )
        return
    if not result.hits:
        click.echo("(no matches)")
        return
    rows = [
        (rank, f"{hit.score:.3f}", hit.short_id, hit.name, _marked(hit))
        for rank, hit in enumerate(result.hits, 1)
    ]
    headers = ("RANK", "SCORE", "ID", "NAME", "SNIPPET")
    click.echo(table(headers, rows, widths={"NAME": 32, "SNIPPET": 10**6}, right=("RANK", "SCORE")))


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, metavar="N")
@json_option
def similar(ref: str, limit: int, as_json: bool) -> None:
    """The prompts most similar to REF, by the embedding model search uses."""
    result = library().search.similar(ref, limit)
    if result.notice:
        click.echo(f"promptdeck: note: {result.notice}", err=True)
    hits = result.hits
    if as_json:
        emit_json([_hit_json(rank, hit) for rank, hit in enumerate(hits, 1)])
        return
    if not hits:
        click.echo("(no similar prompts: embed the library first)")
        return
    rows = [
        (rank, f"{hit.score:.3f}", hit.short_id, hit.name, hit.folder)
        for rank, hit in enumerate(hits, 1)
    ]
    headers = ("RANK", "SCORE", "ID", "NAME", "FOLDER")
    click.echo(table(headers, rows, widths={"NAME": 40}, right=("RANK", "SCORE")))


_provider_options = [
    click.option(
        "--provider",
        type=click.Choice(PROVIDERS),
        help="Embedding provider (default: [embedding] in the config, else wordllama).",
    ),
    click.option("--model", help="Embedding model (default: the provider's)."),
    click.option("--batch-size", type=click.IntRange(min=1), metavar="N", help="Texts per batch."),
]


def provider_options(command: Any) -> Any:
    for option in reversed(_provider_options):
        command = option(command)
    return command


@click.command()
@provider_options
@click.option("--status", is_flag=True, help="Show the vectors per model instead of embedding.")
@json_option
def embed(
    provider: str | None, model: str | None, batch_size: int | None, status: bool, as_json: bool
) -> None:
    """Embed the prompts whose vector is missing or stale (name, description and content).

    One transaction per batch: an interrupted run keeps what it embedded and a rerun resumes."""
    lib = library()
    if status:
        _print_status(lib, as_json)
        return
    chosen, size = _provider(provider, model, batch_size)
    with _progress(as_json) as progress:
        report = lib.embeddings.embed_missing(chosen, size, progress)
    if as_json:
        emit_json(report.to_dict())
        return
    click.echo(
        f"embedded {report.embedded} prompt(s) with {report.model} ({report.provider}) in "
        f"{report.batches} batch(es); {report.up_to_date} already current; "
        f"search uses {report.active_model}"
    )


@click.command()
@provider_options
@json_option
def reembed(provider: str | None, model: str | None, batch_size: int | None, as_json: bool) -> None:
    """Move search to a new embedding model (default: the configured one, else the bundled
    wordllama): embed every prompt with it while the current model keeps serving search, then
    switch once the new set is complete. An interrupted run resumes where it stopped."""
    lib = library()
    chosen, size = _provider(provider, model, batch_size)
    with _progress(as_json) as progress:
        report = lib.embeddings.reembed(chosen, size, progress)
    if as_json:
        emit_json(report.to_dict())
        return
    if report.switched:
        outcome = f"search now uses {report.model}"
    elif report.active_model == report.model:
        outcome = f"search already uses {report.model}"
    else:
        outcome = f"search uses {report.active_model}"
    click.echo(f"embedded {report.embedded} prompt(s) with {report.model}; {outcome}")


def _provider(
    provider: str | None, model: str | None, batch_size: int | None
) -> tuple[EmbeddingProvider, int]:
    try:
        settings = Settings.load().provider_settings(
            provider=provider, model=model, batch_size=batch_size
        )
    except ConfigError as error:
        raise UserError(str(error)) from error
    return storage.make_provider(settings), settings.batch_size


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """A click progress bar on stderr, when it is a terminal, fed by embed_missing."""
    stream = sys.stderr
    if quiet or not stream.isatty():
        yield None
        return
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label="embedding", file=stream))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _print_status(lib: Library, as_json: bool) -> None:
    statuses = lib.embeddings.status()
    if as_json:
        emit_json([s.to_dict() for s in statuses])
        return
    if not statuses:
        click.echo("(no embeddings yet: run promptdeck embed)")
        return
    rows = [
        (
            s.model + (" *" if s.active else ""),
            s.provider,
            s.dims,
            s.vectors,
            s.current,
            s.stale,
            s.missing,
            f"{s.threshold:.2f}",
        )
        for s in statuses
    ]
    headers = ("MODEL", "PROVIDER", "DIMS", "VECTORS", "CURRENT", "STALE", "MISSING", "THRESHOLD")
    right = ("DIMS", "VECTORS", "CURRENT", "STALE", "MISSING", "THRESHOLD")
    click.echo(table(headers, rows, right=right))
    click.echo("* the model search uses")


def _hit_json(rank: int, hit: SearchHit) -> dict[str, Any]:
    return {"rank": rank, "short_id": hit.short_id, **hit.to_dict()}


def _marked(hit: SearchHit) -> str:
    """The snippet clipped to the column, hits in bold (plain when not on a terminal)."""
    text = clip(hit.snippet, _SNIPPET_WIDTH)
    out, at = [], 0
    for start, end in hit.marks:
        if end > len(text):
            break
        out += [text[at:start], click.style(text[start:end], bold=True)]
        at = end
    return "".join([*out, text[at:]])


COMMANDS: list[click.Command] = [search, similar, embed, reembed]
