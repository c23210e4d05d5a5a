"""RolesStrip: under the editor, the chat prompt's messages as the text now reads (role and
line), or why its role markers cannot be read; hidden for a prompt without roles."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from storage import roles
from storage.errors import ValidationError

ROLE_STYLES = {"system": "bold magenta", "user": "bold cyan", "assistant": "bold green"}


def roles_line(content: str) -> Text | ValidationError | None:
    """`chat  system L1 · user L4`, why the markers cannot be read, or None without roles."""
    if not roles.has_roles(content):
        return None
    try:
        found = roles.sections(content)
    except ValidationError as error:
        return error
    line = Text("chat  ", style="dim")
    for number, section in enumerate(found):
        if number:
            line.append(" · ", style="dim")
        line.append(section.role, style=ROLE_STYLES[section.role])
        line.append(f" L{section.line}" if section.line else " (before the first marker)")
    return line


class RolesStrip(Static):
    DEFAULT_CSS = """
    RolesStrip { height: auto; padding: 0 1; display: none; }
    RolesStrip.-shown { display: block; }
    RolesStrip.-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.error: str | None = None  # why the markers cannot be read, while it is shown

    def follow(self, content: str) -> None:
        line = roles_line(content)
        self.error = str(line) if isinstance(line, ValidationError) else None
        self.set_class(line is not None, "-shown")
        self.set_class(self.error is not None, "-error")
        self.update(line if isinstance(line, Text) else Text(self.error or ""))
