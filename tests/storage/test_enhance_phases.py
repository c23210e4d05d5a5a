"""Enhancement phases: what a model is asked in each phase and by each method, and how its
answer is read back as new content."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import ValidationError
from storage.runs.phases import METHODS, PHASES, RULES, Enhancement, enhanced_content


@pytest.mark.parametrize("phase", list(PHASES))
def test_each_phase_asks_with_its_own_instructions(phase: str) -> None:
    system, user = Enhancement(phase, "concise").messages("Summarise {{text}}")
    assert (system.role, user.role) == ("system", "user")
    assert PHASES[phase] in system.content and METHODS["concise"] in system.content
    assert "{{variable}}" in system.content
    assert user.content == "<prompt>\nSummarise {{text}}\n</prompt>"


@pytest.mark.parametrize(
    ("phase", "method", "field"), [("ideas", "rewrite", "phase"), ("idea", "poem", "method")]
)
def test_an_unknown_phase_or_method_names_itself(phase: str, method: str, field: str) -> None:
    with pytest.raises(ValidationError, match=f"^{field}: must be one of"):
        Enhancement(phase, method)


@pytest.mark.parametrize(
    "answer",
    [
        "Summarise {{text}} in three bullets.",
        "```markdown\nSummarise {{text}} in three bullets.\n```",
        "```\nSummarise {{text}} in three bullets.\n```\n",
        "<prompt>\nSummarise {{text}} in three bullets.\n</prompt>",
    ],
)
def test_a_wrapper_around_the_whole_answer_is_taken_off(answer: str) -> None:
    assert enhanced_content(answer, "Summarise {{text}}") == "Summarise {{text}} in three bullets."


def test_a_fence_inside_the_answer_stays() -> None:
    answer = "Reply with JSON like:\n```json\n{}\n```\nfor {{text}}"
    assert enhanced_content(answer, "{{text}}") == answer


def test_an_answer_that_drops_a_variable_is_not_kept() -> None:
    with pytest.raises(ValidationError, match="dropped the variable.s. audience; not kept"):
        enhanced_content("Summarise {{text}}", "Summarise {{text}} for {{audience}}")


def test_an_empty_answer_is_not_kept() -> None:
    with pytest.raises(ValidationError, match="answered with no prompt"):
        enhanced_content(" \n```\n\n```", "x")


def test_the_readme_shows_what_the_model_is_told() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    quoted = " ".join(line.removeprefix("> ") for line in readme.splitlines())
    assert " ".join(RULES.split()) in " ".join(quoted.split())
    for phase, said in PHASES.items():
        assert f"| `{phase}` | {said} |" in readme
    for method, said in METHODS.items():
        assert f"| {said} |" in readme and f"`{method}`" in readme
