"""Local analysis without a model: length, tokens, variables, language, format validity; made on
demand, kept when asked (and for each version an eval runs), removed with its prompt."""

from __future__ import annotations

import pytest

from storage import Library
from storage.prompts.analysis import analyse, language


@pytest.mark.parametrize(
    ("content", "declared", "fmt", "problem"),
    [
        ('{"task": "{{task}}", "n": {{n}}}', "auto", "json", None),
        ('{"task": "x",\n "n": }', "auto", "json", "line 2: Expecting value"),
        ("<context>{{doc}}</context>\n<task>Sum it up</task>", "auto", "xml", None),
        ("<context>{{doc}}</contxt>", "auto", "xml", "line 1: mismatched tag"),
        ("# Review\n\n- be terse\n\n```python\nx = 1\n", "auto", "markdown", "line 5: code fence"),
        ("Just say hi to {{who}}.", "auto", "text", None),
        ("plain words <b>", "xml", "xml", "line 1:"),
    ],
)
def test_the_format_and_whether_it_is_well_formed(
    content: str, declared: str, fmt: str, problem: str | None
) -> None:
    found = analyse(content, declared)
    assert found["format"] == fmt
    if problem is None:
        assert (found["valid"], found["problem"]) == (True, None)
    else:
        assert not found["valid"] and found["problem"].startswith(problem)


def test_language_by_script_then_by_common_words() -> None:
    assert language("Summarise the report for the board and keep it short") == "en"
    assert language("Résume le rapport pour le conseil et garde le texte court") == "fr"
    assert language("Fasse den Bericht für die Leitung zusammen und halte es kurz") == "de"
    assert language("Резюмируй отчёт для совета директоров") == "ru"
    assert language("レポートを要約してください") == "ja"
    assert language("hi {{who}}") is None


def test_a_version_is_analysed_on_demand_and_kept_when_asked(library: Library) -> None:
    prompt = library.prompts.create(
        "Review", '{{role "system"}}\nBe terse.\n{{role "user"}}\n{{code}}'
    )
    made = library.analysis.get("Review")
    assert not made.stored and made.variables == ("code",) and made.format == "text"
    assert (made.length, made.tokens_estimated) == (52, 13)
    kept = library.analysis.store("Review")
    assert kept.stored and library.analysis.get("Review@1") == kept
    library.prompts.delete(prompt.id)
    _, rows = library.db.query("SELECT count(*) FROM analysis_results")
    assert rows == [(0,)]
