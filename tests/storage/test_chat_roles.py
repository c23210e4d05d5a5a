"""Chat prompts: role sections in dotprompt's syntax, read, rendered, checked on every save
path, and kept through export and import."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Library
from storage.errors import ImportRejected, TemplateError, ValidationError
from storage.prompts import roles
from storage.prompts.roles import ChatMessage, Section

REVIEW = """{{role "system"}}
You review {{language}} code tersely.

{{role "user"}}
Review this:
{{code}}
{{role "assistant"}}
Verdict:"""


def test_sections_split_by_role_markers() -> None:
    assert roles.sections(REVIEW) == (
        Section("system", "You review {{language}} code tersely.", 1),
        Section("user", "Review this:\n{{code}}", 4),
        Section("assistant", "Verdict:", 7),
    )


def test_content_without_markers_is_one_user_message() -> None:
    assert not roles.has_roles("Summarise {{text}}")
    assert roles.messages("  Summarise {{text}}\n", {"text": "it"}) == (
        ChatMessage("user", "Summarise it"),
    )


def test_text_before_the_first_marker_is_a_user_message() -> None:
    content = 'Context first.\n{{role "user"}}\nThen the question.'
    assert [(s.role, s.text) for s in roles.sections(content)] == [
        ("user", "Context first."),
        ("user", "Then the question."),
    ]


def test_markers_may_space_their_braces() -> None:
    content = '{{ role "system" }}\nBe brief.\n{{role   "user"}}\nHi'
    assert [s.role for s in roles.sections(content)] == ["system", "user"]


def test_messages_render_variables_inside_every_message() -> None:
    values = {"language": "Python", "code": "x = 1"}
    assert roles.messages(REVIEW, values) == (
        ChatMessage("system", "You review Python code tersely."),
        ChatMessage("user", "Review this:\nx = 1"),
        ChatMessage("assistant", "Verdict:"),
    )


def test_a_missing_variable_names_every_one_missing() -> None:
    with pytest.raises(TemplateError, match="language, code"):
        roles.messages(REVIEW, {})


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{{role system}}\nhi", 'line 1: a role marker is written {{role "user"}}'),
        ('hi\n{{role "bot"}}\nthere', "line 2: unknown role 'bot'; use system, user, assistant"),
        ('{{role "system"}}\nBe brief.', "line 1: a chat prompt needs a user message"),
        ('{{role "user"}}\n\n{{role "assistant"}}\nok', "line 1: the user message is empty"),
        (
            '{{role "user"}}\nq\n{{role "system"}}\nlate',
            "line 3: the system message must come before the others",
        ),
    ],
)
def test_unreadable_sections_are_refused_naming_the_line(content: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="^content: " + re.escape(reason)):
        roles.check(content)


def test_a_save_refuses_bad_sections_and_changes_nothing(library: Library) -> None:
    prompt = library.prompts.create("Review", REVIEW)
    with pytest.raises(ValidationError, match="line 1: unknown role 'robot'"):
        library.prompts.create("Bad", '{{role "robot"}}\nhi')
    with pytest.raises(ValidationError, match="line 3: the system message must come"):
        library.prompts.update(prompt.id, {"content": '{{role "user"}}\nq\n{{role "system"}}\nx'})
    assert library.prompts.count_prompts() == 1
    assert library.prompts.get(prompt.id).content == REVIEW
    assert library.prompts.get(prompt.id).current_version == 1


def test_render_keeps_the_markers_and_fills_every_message(library: Library) -> None:
    prompt = library.prompts.create("Review", REVIEW)
    text = library.usage.render(prompt.id, {"language": "Go", "code": "x := 1"})
    assert text.startswith('{{role "system"}}\nYou review Go code tersely.')
    assert roles.messages(library.prompts.get(prompt.id).content, {"language": "Go", "code": "1"})


def test_an_import_refuses_a_bad_section_naming_its_line_and_imports_nothing(
    library: Library, tmp_path: Path
) -> None:
    good = {"name": "Good", "content": REVIEW}
    bad = {"name": "Bad", "content": 'Hello\n{{role "narrator"}}\nOnce'}
    source = tmp_path / "chat.jsonl"
    source.write_text("\n".join(json.dumps(row) for row in (good, bad)) + "\n", "utf-8")
    with pytest.raises(ImportRejected, match="unknown role 'narrator'") as refused:
        library.imports.run(source)
    assert refused.value.row == 2
    assert library.prompts.count_prompts() == 0


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv", "md"])
def test_export_and_import_keep_the_roles(
    library: Library, new_library: Callable[..., Library], tmp_path: Path, fmt: str
) -> None:
    library.prompts.create("Review", REVIEW)
    target = tmp_path / ("out" if fmt == "md" else f"out.{fmt}")
    library.exports.write(target, fmt)
    fresh = new_library(tmp_path / "fresh.duckdb")
    fresh.imports.run(target)
    (copy,) = fresh.prompts.list_prompts()
    assert roles.sections(fresh.prompts.get(copy.id).content) == roles.sections(REVIEW)
