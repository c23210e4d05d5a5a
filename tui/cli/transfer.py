"""Backup, verify, restore, export and import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

import storage
from storage import EXPORT_FORMATS, GENERATION_FIELDS, IMPORT_FORMATS, Library, PromptFilter
from tui.cli.common import State, UserError, json_option, library
from tui.cli.fields import filter_options
from tui.cli.output import count, emit_json, table
from tui.shared.formatting import byte_size

if TYPE_CHECKING:
    from storage import Manifest


def manifest_table(manifest: Manifest) -> str:
    rows = [
        (name, entry.rows, byte_size(entry.bytes), entry.file)
        for name, entry in manifest.tables.items()
    ]
    rows.append(("total", manifest.rows, byte_size(manifest.size), ""))
    return table(("TABLE", "ROWS", "SIZE", "FILE"), rows, right=("ROWS", "SIZE"))


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@json_option
def backup(folder: Path, as_json: bool) -> None:
    """Back the library up to FOLDER (new or empty): a Parquet file per table and a
    manifest.json with each file's sha256 and row checksum. Safe while the library is in use."""
    manifest = library().backups.write(folder)
    if as_json:
        emit_json({"folder": str(folder), **manifest.to_dict()})
        return
    click.echo(manifest_table(manifest))
    click.echo(f"backup of {len(manifest.tables)} tables written to {folder}")


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@json_option
def verify(folder: Path, as_json: bool) -> None:
    """Check a backup FOLDER: every file present, its sha256, rows and row checksum."""
    manifest = storage.verify_backup(folder)
    if as_json:
        emit_json({"folder": str(folder), "ok": True, **manifest.to_dict()})
        return
    click.echo(
        f"{folder}: ok, {len(manifest.tables)} tables, {manifest.rows:,} rows, "
        f"{byte_size(manifest.size)}, schema version {manifest.schema_version}, "
        f"made {manifest.created_at}"
    )


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--db",
    "new_db",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="NEW",
    help="The library file to create (default: the global --db). Must not exist.",
)
@json_option
def restore(folder: Path, new_db: Path | None, as_json: bool) -> None:
    """Restore a backup FOLDER into a new library file NEW.

    Verifies the backup first, refuses a NEW that exists, writes beside it and renames at the
    end, and checks every table's row checksum against the manifest. Both
    `promptdeck restore DIR --db NEW` and `promptdeck --db NEW restore DIR` work."""
    state = click.get_current_context().find_object(State)
    assert state is not None
    if new_db is None and isinstance(state.path, str):
        raise UserError("restore writes a new library file, not a team library: give --db FILE")
    target = (new_db or Path(state.path)).expanduser()
    manifest = storage.restore_backup(folder, target)
    if as_json:
        emit_json({"folder": str(folder), "library": str(target), **manifest.to_dict()})
        return
    click.echo(
        f"restored {len(manifest.tables)} tables, {manifest.rows:,} rows, from {folder} "
        f"into {target}; row checksums match the manifest"
    )


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    help="Default: from PATH's suffix (.parquet .jsonl .csv); md writes a folder.",
)
@filter_options("Export archived prompts instead of live ones.")
@json_option
def export(path: Path, fmt: str | None, where: PromptFilter, as_json: bool) -> None:
    """Export prompts (the filters of `list`) to PATH, which must not exist.

    md writes one file per prompt, with front matter, under PATH/<folder>/. Parquet and
    JSONL exports import back losslessly."""
    result = library().exports.write(path, fmt, where)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(f"exported {count(result.prompts, 'prompt')} to {result.path} ({result.format})")


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--generations",
    is_flag=True,
    help="Import generation logs (LLM calls made with prompts, e.g. a gateway's export) "
    f"instead of prompts; their fields: {', '.join(GENERATION_FIELDS)}.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    help="Default: from PATH's suffix; a folder is read as markdown files.",
)
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Fill FIELD from COLUMN (repeatable), e.g. --map name=act --map content=prompt. "
    "Unmapped fields come from columns named like them.",
)
@json_option
def import_(
    path: Path, generations: bool, fmt: str | None, pairs: tuple[str, ...], as_json: bool
) -> None:
    """Import prompts from a csv, json, jsonl or Parquet file, or a folder of markdown files
    with front matter; with --generations, generation logs from a csv, json, jsonl or
    Parquet file.

    All rows are imported or none: an invalid row is reported with its line and nothing is
    written. Content identical to an existing prompt (or an earlier row) is skipped.

    A generation row names its prompt (id, id part, name, REF@N), provider, model, tokens_in
    and tokens_out; cost_usd (else priced from the price table), latency_ms, created_at (UTC;
    default now) and id (a row whose id is already imported is skipped) are optional."""
    lib = library()
    if generations:
        summary = lib.generation_imports.run(path, fmt, storage.parse_generation_mapping(pairs))
    else:
        summary = lib.imports.run(path, fmt, storage.parse_mapping(pairs))
    embedded = _embed_imported(lib) if summary.imported and not generations else None
    if as_json:
        emit_json(summary.to_dict() | ({"embedded": embedded} if embedded is not None else {}))
        return
    renamed = [f"{field}={column}" for field, column in summary.mapping.items() if field != column]
    mapping = f"; {', '.join(renamed)}" if renamed else ""
    what = (
        f"{count(summary.imported, 'generation')}, skipped {summary.skipped:,} already imported"
        if generations
        else f"{summary.imported}, skipped {summary.skipped} as duplicates"
    )
    click.echo(
        f"imported {what}, rejected {summary.rejected} from {summary.file} "
        f"({summary.source}{mapping})"
    )
    if summary.ignored_columns:
        click.echo(f"ignored columns: {', '.join(summary.ignored_columns)}")
    if embedded is not None:
        click.echo(f"embedded {count(embedded, 'prompt')} for semantic search")


def _embed_imported(lib: Library) -> int | None:
    """New prompts join semantic search at once when embedding is offline (as saves do); with a
    remote provider, say how to embed them instead of calling it for a whole file unasked.
    Returns how many were embedded (None: none were)."""
    embedder = lib.embeddings.embedder
    if embedder is not None and embedder.offline:
        return lib.embeddings.embed_missing(embedder).embedded
    click.echo(
        "promptdeck: warning: the imported prompts have no vectors yet: "
        "run `promptdeck embed` for semantic search",
        err=True,
    )
    return None


COMMANDS: list[click.Command] = [backup, verify, restore, export, import_]
