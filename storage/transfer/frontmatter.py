"""Markdown with front matter: the `key: value` subset of YAML that prompt files use.

Reads `---` / `key: value` lines / `---` then the body. Values: JSON-style double-quoted
strings, single-quoted strings, `[a, b]` flow lists (or JSON arrays), `{...}` JSON objects,
block lists (`key:` then `- item` lines), null/~ and bare text. Writes only JSON-encoded values,
which are valid YAML, so that every file written here reads back to the same values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storage.errors import TransferError

FENCE = "---"


def split(text: str, file: str) -> tuple[dict[str, Any], str]:
    """(front matter, body); a file without front matter is all body."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != FENCE:
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].rstrip("\r") == FENCE:
            return _parse(lines[1:end], file), "\n".join(lines[end + 1 :])
    raise TransferError(f"{file}: line 1: front matter is not closed by a '---' line", file=file)


def _parse(lines: list[str], file: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    current: str | None = None  # a `key:` with nothing after it: null, or a block list
    for number, raw in enumerate(lines, 2):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped == "-" or stripped.startswith("- "):
            if current is None:
                raise TransferError(f"{file}: line {number}: list item outside a list", file=file)
            values[current] = [
                *(values[current] or []),
                _scalar(stripped[1:].strip(), file, number),
            ]
            continue
        key, colon, rest = line.partition(":")
        if not colon or line[0].isspace() or not key.strip():
            raise TransferError(f"{file}: line {number}: expected 'key: value'", file=file)
        rest = rest.strip()
        values[key.strip()] = _value(rest, file, number) if rest else None
        current = key.strip() if not rest else None
    return values


def _value(text: str, file: str, number: int) -> Any:
    if text[0] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            if text[0] == "[" and text.endswith("]"):
                return [_scalar(part.strip(), file, number) for part in text[1:-1].split(",")]
            raise TransferError(
                f"{file}: line {number}: cannot read {text[:40]!r}", file=file
            ) from error
    return _scalar(text, file, number)


def _scalar(text: str, file: str, number: int) -> Any:
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text.startswith('"'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise TransferError(
                f"{file}: line {number}: bad quoted text: {error}", file=file
            ) from error
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    return text


def render(values: Mapping[str, Any], body: str) -> str:
    """Front matter (null values left out) and the body, byte for byte."""
    lines = [FENCE]
    for key, value in values.items():
        if value is not None:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append(FENCE)
    return "\n".join(lines) + "\n" + body
