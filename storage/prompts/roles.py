"""Chat prompts: a prompt's content split into messages by role markers, in dotprompt's syntax:

    {{role "system"}}
    You review code tersely.
    {{role "user"}}
    Review this: {{code}}

A marker starts a message with its role (system, user or assistant) and runs to the next one.
Content without markers is one user message; text before the first marker is a user message
too, as in dotprompt. Each message's text is stripped of the blank space around it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from storage.errors import ValidationError
from storage.prompts import templates

ROLES = ("system", "user", "assistant")
_MARKER = re.compile(r'\{\{\s*role\s+"([^"\n]*)"\s*\}\}')
_LOOKS_LIKE_MARKER = re.compile(r"\{\{\s*role\b[^}\n]*\}\}")


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValidationError("role", self.role, f"must be one of {', '.join(ROLES)}")
        if not isinstance(self.content, str):
            raise ValidationError("content", self.content, "must be text")


@dataclass(frozen=True)
class Section:
    """One message of a chat prompt as written: its role, its text (variables unfilled) and
    the line its marker is on (0 for text before any marker)."""

    role: str
    text: str
    line: int


def has_roles(content: str) -> bool:
    """Whether the content is written as role sections."""
    return _LOOKS_LIKE_MARKER.search(content) is not None


def sections(content: str) -> tuple[Section, ...]:
    """The content's messages as written; raises ValidationError (field `content`, naming the
    line) for a marker it cannot read, an unknown role, an empty message, a system message
    after another role's, or no message but system ones."""
    if not has_roles(content):
        return (Section("user", content.strip(), 0),)
    found: list[Section] = []
    role, start, line = "user", 0, 0
    for match in _LOOKS_LIKE_MARKER.finditer(content):
        at = _line_of(content, match.start())
        strict = _MARKER.fullmatch(match.group(0))
        if strict is None:
            _refuse(match.group(0), at, 'a role marker is written {{role "user"}}')
        _add(found, role, content[start : match.start()], line, before_first=line == 0)
        role, start, line = strict.group(1) if strict else "", match.end(), at
        if role not in ROLES:
            _refuse(match.group(0), at, f"unknown role {role!r}; use {', '.join(ROLES)}")
    _add(found, role, content[start:], line, before_first=False)
    _check_order(found)
    return tuple(found)


def check(content: str) -> None:
    """Refuse content whose role sections cannot be read (see `sections`)."""
    if has_roles(content):
        sections(content)


def messages(content: str, values: Mapping[str, str]) -> tuple[ChatMessage, ...]:
    """The messages to send: each section with its variables filled in. A missing variable is
    a TemplateError naming every one missing, as `templates.render` does."""
    templates.render(content, values)  # one error naming every missing variable
    return tuple(
        ChatMessage(section.role, templates.render(section.text, values))
        for section in sections(content)
    )


def _add(found: list[Section], role: str, text: str, line: int, *, before_first: bool) -> None:
    text = text.strip()
    if before_first and not text:
        return  # nothing before the first marker
    if not text:
        _refuse(f'{{{{role "{role}"}}}}', line, f"the {role} message is empty")
    found.append(Section(role, text, line))


def _check_order(found: list[Section]) -> None:
    others = [section for section in found if section.role != "system"]
    if not others:
        line = found[0].line if found else 1
        _refuse(
            '{{role "system"}}', line, "a chat prompt needs a user message after its system message"
        )
    first_other = others[0]
    for section in found:
        if section.role == "system" and section.line > first_other.line:
            _refuse(
                '{{role "system"}}', section.line, "the system message must come before the others"
            )


def _line_of(content: str, offset: int) -> int:
    return content.count("\n", 0, offset) + 1


def _refuse(marker: str, line: int, reason: str) -> None:
    raise ValidationError("content", marker, f"line {line}: {reason}")
