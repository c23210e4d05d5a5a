"""Prompt input on the command line: metadata flags, content from a file or stdin, NAME=VALUE."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from storage.errors import PromptdeckError, ValidationError
from storage.models import PromptFilter

F = TypeVar("F", bound=Callable[..., Any])

# Option name -> prompt field. Values go to storage unconverted (as text), so that a bad
# value (a temperature of 7, max tokens of "many") is storage's one-line error, exit 1.
FIELD_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("--description", "description", "TEXT", "What the prompt is for."),
    ("--folder", "folder", "PATH", 'Folder, e.g. "marketing/social".'),
    ("--phase", "phase", "TEXT", "Workflow phase, e.g. draft."),
    ("--provider", "provider", "TEXT", "LLM provider, e.g. openai."),
    ("--model", "model", "TEXT", "Model, e.g. gpt-4o."),
    ("--temperature", "temperature", "0..2", "Sampling temperature."),
    ("--max-tokens", "max_tokens", "N", "Maximum output tokens."),
    ("--persona", "persona", "TEXT", "Persona the prompt speaks as."),
    ("--target-model-family", "target_model_family", "TEXT", "Model family it is written for."),
    ("--format", "format_type", "FORMAT", "auto, text, markdown or xml."),
    ("--language", "language", "TEXT", "Language, e.g. en."),
    ("--metadata", "metadata", "JSON", "A JSON object of extra metadata."),
)
_NUMBERS = ("temperature", "max_tokens")


def field_options(func: F) -> F:
    """The metadata flags shared by add, edit and derive (only flags given are applied)."""
    for flag, name, metavar, help_text in reversed(FIELD_OPTIONS):
        func = click.option(flag, name, metavar=metavar, help=help_text)(func)
    tag_help = "A tag (repeat for several; edit replaces the tags)."
    return click.option("--tag", "tags", multiple=True, metavar="TAG", help=tag_help)(func)


def filter_options(
    archived_help: str, *, model: bool = True, words: bool = True, provider_help: str | None = None
) -> Callable[[F], F]:
    """The prompt filters of list, export and search (--folder --tag --phase --provider, with
    `model` --model, --archived, with `words` --search), handed to the verb as `where`."""
    options = [
        click.option("--folder", help="This folder and its subfolders."),
        click.option(
            "--tag", "tags", multiple=True, help="Has this tag (repeat: has all of them)."
        ),
        click.option("--phase"),
        click.option("--provider", help=provider_help),
    ]
    if model:
        options.append(click.option("--model"))
    options.append(click.option("--archived", is_flag=True, help=archived_help))
    if words:
        options.append(
            click.option(
                "--search",
                metavar="WORDS",
                help="Words in the name, description, folder or content.",
            )
        )

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def verb(**kwargs: Any) -> Any:
            kwargs["where"] = PromptFilter(
                kwargs.pop("folder"),
                kwargs.pop("tags"),
                kwargs.pop("phase"),
                kwargs.pop("provider"),
                kwargs.pop("model", None),
                kwargs.pop("archived"),
                kwargs.pop("search", None),
            )
            return func(**kwargs)

        for option in reversed(options):
            verb = option(verb)
        return verb  # type: ignore[return-value]

    return decorate


def collect_fields(options: Mapping[str, Any], *, clear_tags: bool = False) -> dict[str, Any]:
    """The prompt fields given on the command line; `""` clears an optional number."""
    fields: dict[str, Any] = {}
    for _, name, _, _ in FIELD_OPTIONS:
        value = options.get(name)
        if value is None:
            continue
        if name in _NUMBERS and value.strip() == "":
            value = None
        elif name == "metadata":
            value = parse_metadata(value)
        fields[name] = value
    tags = tuple(options.get("tags") or ())
    if clear_tags and tags:
        raise click.UsageError("--clear-tags and --tag cannot be combined")
    if tags or clear_tags:
        fields["tags"] = tags
    return fields


def parse_metadata(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            "metadata", _short(text), f"is not valid JSON ({error.msg} at column {error.colno})"
        ) from error
    except RecursionError as error:  # far past the depth storage refuses anyway
        raise ValidationError(
            "metadata", _short(text), "nests too many levels of objects and lists"
        ) from error


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


content_option = click.option(
    "--file",
    "file",
    metavar="PATH",
    help="Read the content from PATH ('-' for stdin; default: stdin when it is not a terminal).",
)


def read_content(file: str | None) -> str:
    """The content of a new prompt: from --file, else from stdin (which must not be a terminal)."""
    if file is None and sys.stdin.isatty():
        raise PromptdeckError("content: give --file PATH or pipe the content on stdin")
    return _read(file)


def read_new_content(file: str | None) -> str | None:
    """New content for an edit, if any: from --file, else from piped stdin (empty: none)."""
    if file is None:
        if sys.stdin.isatty():
            return None
        return _read(None) or None
    return _read(file)


def _read(file: str | None) -> str:
    if file is None or file == "-":
        return _decode(sys.stdin.buffer.read(), "stdin")
    try:
        data = Path(file).expanduser().read_bytes()
    except OSError as error:
        raise PromptdeckError(f"{file}: cannot read: {error.strerror or error}") from error
    return _decode(data, file)


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            "content", where, f"is not UTF-8 text (bad byte at offset {error.start})"
        ) from error


def parse_values(pairs: Iterable[str]) -> dict[str, str]:
    """Template values given as NAME=VALUE arguments."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="VALUES")
        values[name.strip()] = value
    return values
