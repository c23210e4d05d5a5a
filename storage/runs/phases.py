"""Enhancing a prompt through phases (idea -> human -> precision, as Prompt Alchemy does): what a
model is told to do with the prompt in each phase and by each method, and how its answer is
read back as the new content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.errors import ValidationError
from storage.prompts import templates
from storage.prompts.roles import ChatMessage

PHASES: dict[str, str] = {
    "idea": (
        "Phase: idea. Find what the prompt is for and state it plainly. Open with the goal in "
        "one sentence, then the inputs it works on, then what a good answer contains. Keep "
        "every requirement the prompt has; drop filler, repetition and hedging."
    ),
    "human": (
        "Phase: human. Make the prompt read as a clear request from one person to an expert "
        "colleague: plain words, short sentences, the reason behind each requirement where it "
        "helps, in the order someone would do the work. Keep every requirement the prompt has."
    ),
    "precision": (
        "Phase: precision. Make the prompt exact for a model: a role, the task as numbered "
        "steps, explicit constraints, the output's format and length, and what to do when the "
        "input is missing or ambiguous. Remove every vague word. Keep every requirement."
    ),
}
METHODS: dict[str, str] = {
    "rewrite": "Rewrite the whole prompt.",
    "concise": "Make it as short as it can be without losing a requirement.",
    "structured": "Organise it under short headed sections.",
    "examples": "Add one short example of an input and the answer it should get.",
}
DEFAULT_METHOD = "rewrite"

RULES = (
    "You improve prompts for large language models. You are given one prompt between "
    "<prompt> tags. Answer with the improved prompt only: no preface, no explanation, no "
    "tags, no code fence. Keep every {{variable}} placeholder exactly as written, and keep "
    'role markers such as {{role "system"}} on their own lines when the prompt has them.'
)

_FENCED = re.compile(r"\A```[\w-]*\n(?P<body>.*)\n```\Z", re.DOTALL)
_TAGGED = re.compile(r"\A<prompt>\s*(?P<body>.*?)\s*</prompt>\Z", re.DOTALL)


@dataclass(frozen=True)
class Enhancement:
    """What to ask for: the phase and method, checked."""

    phase: str
    method: str = DEFAULT_METHOD

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValidationError("phase", self.phase, f"must be one of {', '.join(PHASES)}")
        if self.method not in METHODS:
            raise ValidationError("method", self.method, f"must be one of {', '.join(METHODS)}")

    def messages(self, content: str) -> tuple[ChatMessage, ...]:
        """The conversation that asks a model for the enhanced content."""
        system = f"{RULES}\n\n{PHASES[self.phase]}\n{METHODS[self.method]}"
        return (
            ChatMessage("system", system),
            ChatMessage("user", f"<prompt>\n{content}\n</prompt>"),
        )


def next_phase(current: str | None) -> str:
    """The phase after `current` (idea -> human -> precision, which stays), else the first."""
    order = list(PHASES)
    if current in order:
        return order[min(order.index(current) + 1, len(order) - 1)]
    return order[0]


def enhanced_content(answer: str, original: str) -> str:
    """The new content in a model's answer: without a code fence or <prompt> tags wrapped
    around all of it. An empty answer, or one that drops a {{variable}} of the original, is a
    ValidationError naming what is wrong."""
    text = answer.strip()
    for wrapper in (_FENCED, _TAGGED):
        found = wrapper.match(text)
        if found:
            text = found.group("body").strip()
    if not text:
        raise ValidationError("answer", answer, "the model answered with no prompt")
    lost = [name for name in templates.variables(original) if name not in templates.variables(text)]
    if lost:
        raise ValidationError(
            "answer", text, f"the model dropped the variable(s) {', '.join(lost)}; not kept"
        )
    return text
