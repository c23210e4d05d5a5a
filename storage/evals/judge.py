"""The judge: what a chat model is asked to score an answer by a rubric (1..5 per criterion,
with a reason), and reading its answer back. An answer that cannot be read is a failed
assertion saying why, never a crash. No httpx here: the runner sends the request."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from storage.evals.models import Assertion, AssertionResult, CriterionScore, Rubric
from storage.prompts.roles import ChatMessage

INSTRUCTIONS = (
    "You are a strict evaluator. You are given a task between <task> tags, the answer a model "
    "gave between <answer> tags, and a rubric of criteria. Score the answer on each criterion "
    "with a whole number from 1 (poor) to 5 (excellent) and give a one-sentence reason. "
    'Answer with JSON only, in this form: {"scores": [{"criterion": "<name>", "score": <1-5>, '
    '"reason": "<why>"}]}'
)
_FENCE = re.compile(r"^```[\w-]*\n(.*)\n```$", re.DOTALL)


class Unreadable(ValueError):
    """A judge's answer that does not score the rubric (its str() says why)."""


def messages(rubric: Rubric, task: Sequence[ChatMessage], output: str) -> tuple[ChatMessage, ...]:
    """The judge's conversation: its instructions, then the rubric, the task and the answer."""
    lines = [f"Rubric: {rubric.name}" + (f": {rubric.description}" if rubric.description else "")]
    for criterion in rubric.criteria:
        about = f": {criterion.description}" if criterion.description else ""
        lines.append(f"- {criterion.name} (weight {criterion.weight:g}){about}")
    asked = "\n\n".join(f"[{m.role}]\n{m.content}" for m in task)
    body = "\n".join(lines) + f"\n\n<task>\n{asked}\n</task>\n\n<answer>\n{output}\n</answer>"
    return ChatMessage("system", INSTRUCTIONS), ChatMessage("user", body)


def scores(rubric: Rubric, answer: str) -> tuple[CriterionScore, ...]:
    """Each criterion's score and reason from the judge's answer; Unreadable when the answer is
    not JSON of that shape, or misses a criterion, or scores outside 1..5."""
    given = _by_name(_parse(answer))
    found = []
    for criterion in rubric.criteria:
        entry = given.get(criterion.name.casefold())
        if entry is None:
            raise Unreadable(f"the judge did not score {criterion.name!r}")
        score, reason = entry
        found.append(CriterionScore(criterion.name, criterion.weight, score, reason))
    return tuple(found)


def weighted(found: Sequence[CriterionScore]) -> float:
    total = sum(c.weight for c in found)
    return round(sum(c.score * c.weight for c in found) / total, 4) if total else 0.0


def result(assertion: Assertion, rubric: Rubric, answer: str) -> AssertionResult:
    """The judge assertion's result from the judge's answer."""
    threshold = assertion.threshold or 0.0
    try:
        found = scores(rubric, answer)
    except Unreadable as error:
        why = f"judge answer could not be read: {error}"
        return AssertionResult("judge", False, why, spec=assertion.spec())
    score = weighted(found)
    low = min(found, key=lambda c: (c.score, c.name))
    lowest = f"{low.name} {low.score}: {low.reason}"
    reason = "" if score >= threshold else f"{rubric.name} scored {score:g}, below {threshold:g} "
    reason += f"({lowest})" if reason else ""
    return AssertionResult("judge", score >= threshold, reason, score, found, assertion.spec())


def _parse(answer: str) -> Any:
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise Unreadable(f"no JSON object in {_short(answer)}")
    try:
        return json.loads(text[start : end + 1])
    except ValueError as error:
        raise Unreadable(f"not JSON ({str(error).splitlines()[0]}) in {_short(answer)}") from None


def _by_name(data: Any) -> dict[str, tuple[int, str]]:
    """{criterion (casefolded): (score, reason)} from {"scores": [...]} or {name: score|{...}}."""
    if isinstance(data, dict) and isinstance(data.get("scores"), list | dict):
        data = data["scores"]
    items: list[tuple[Any, Any]]
    if isinstance(data, list):
        items = [(e.get("criterion", e.get("name")), e) for e in data if isinstance(e, dict)]
    elif isinstance(data, dict):
        items = list(data.items())
    else:
        raise Unreadable("the JSON holds no scores")
    found: dict[str, tuple[int, str]] = {}
    for name, entry in items:
        if not isinstance(name, str):
            raise Unreadable("a score names no criterion")
        raw = entry.get("score") if isinstance(entry, dict) else entry
        reason = entry.get("reason", "") if isinstance(entry, dict) else ""
        found[name.strip().casefold()] = (_score(name, raw), str(reason or "").strip())
    return found


def _score(name: str, raw: Any) -> int:
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
    if not numeric or raw != int(raw) or not 1 <= raw <= 5:
        raise Unreadable(f"{name!r} scored {raw!r}, not a whole number from 1 to 5")
    return int(raw)


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")
