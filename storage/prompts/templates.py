"""`{{name}}` template variables: listing and rendering."""

from __future__ import annotations

import re
from collections.abc import Mapping

from storage.errors import TemplateError

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


def variables(content: str) -> list[str]:
    """Variable names in order of first appearance, each once."""
    return list(dict.fromkeys(m.group(1) for m in _VARIABLE.finditer(content)))


def render(content: str, values: Mapping[str, str]) -> str:
    """Substitute every variable; a variable with no value is an error naming it."""
    missing = [name for name in variables(content) if name not in values]
    if missing:
        names = ", ".join(missing)
        raise TemplateError(f"missing template variable: {names}", field=missing[0])
    return _VARIABLE.sub(lambda m: str(values[m.group(1)]), content)


def split(content: str) -> list[tuple[str, str | None]]:
    """The content as pieces: (literal text, None) and (placeholder text, variable name)."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for match in _VARIABLE.finditer(content):
        if match.start() > position:
            pieces.append((content[position : match.start()], None))
        pieces.append((match.group(0), match.group(1)))
        position = match.end()
    if position < len(content):
        pieces.append((content[position:], None))
    return pieces
