"""Rendering a template for display: filled values shown plainly, missing ones highlighted,
role markers marked."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from storage import templates

ROLE_MARKER = r'\{\{\s*role\s+"[a-z]+"\s*\}\}'  # a chat prompt's message boundary


def rendered_text(content: str, values: Mapping[str, str]) -> Text:
    """The content with values substituted; a variable with no value stays, highlighted."""
    text = Text()
    for piece, name in templates.split(content):
        if name is None:
            text.append(piece)
        elif values.get(name):
            text.append(values[name], style="bold green")
        else:
            text.append(piece, style="bold reverse yellow")
    text.highlight_regex(ROLE_MARKER, "bold magenta")
    return text
