"""Assertions: reading one from a case (its type, value and options checked, an unknown type or
a bad value refused naming it), and checking an answer against those that need no model. The
two that do (`similar`: the embedding model; `judge`: a chat model) are the runner's, with the
help of judge.py."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container
from typing import Any

from storage.errors import ValidationError
from storage.evals.models import ASSERTION_TYPES, Assertion, AssertionResult
from storage.evals.schema_check import check_schema, problems

_TEXT_TYPES = ("contains", "not-contains", "icontains", "starts-with")
_KEYS = frozenset({"type", "value", "threshold", "rubric"})
SIMILAR_THRESHOLD = 0.75  # least cosine to the reference text, when a case gives none
JUDGE_THRESHOLD = 4.0  # least weighted judge score (1..5), when a case gives none


def parse(raw: Any, field: str = "assert", rubrics: Container[str] | None = None) -> Assertion:
    """An assertion from a case's JSON. `field` names it in errors (`assert[2]`); `rubrics`,
    when given, are the rubric names a judge assertion may use."""
    if not isinstance(raw, dict):
        raise ValidationError(field, raw, 'must be an object like {"type": "contains", ...}')
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", raw[unknown[0]], "is not an assertion key")
    kind = raw.get("type")
    if kind not in ASSERTION_TYPES:
        raise ValidationError(
            f"{field}.type", kind, f"unknown assertion type; one of {', '.join(ASSERTION_TYPES)}"
        )
    value, threshold, rubric = raw.get("value"), raw.get("threshold"), raw.get("rubric")
    where = f"{field}.value"
    if kind in (*_TEXT_TYPES, "similar") and not (isinstance(value, str) and value):
        raise ValidationError(where, value, f"{kind} needs a text value")
    if kind == "regex":
        _regex(value, where)
    if kind in ("max-length", "min-length") and not _whole(value):
        raise ValidationError(where, value, f"{kind} needs a whole number of characters")
    if kind == "json-schema" or (kind == "is-json" and value is not None):
        check_schema(value, where)
    if kind == "equals" and value is None:
        raise ValidationError(where, value, "equals needs a value (text, or JSON to compare)")
    if kind == "cost" and not _number(value, 0.0):
        raise ValidationError(where, value, "cost needs the most USD an answer may cost (>= 0)")
    if kind == "latency" and not (_number(value, 0.0) and value != 0):
        raise ValidationError(where, value, "latency needs the most milliseconds (> 0)")
    if kind == "judge":
        rubric = rubric if rubric is not None else value
        value = None
        if not isinstance(rubric, str) or not rubric.strip():
            raise ValidationError(f"{field}.rubric", rubric, "judge needs a rubric's name")
        if rubrics is not None and rubric not in rubrics:
            raise ValidationError(f"{field}.rubric", rubric, "no such rubric (see `rubrics`)")
    elif rubric is not None:
        raise ValidationError(f"{field}.rubric", rubric, "only a judge assertion names a rubric")
    threshold = _threshold(kind, threshold, f"{field}.threshold")
    return Assertion(kind, value, threshold, rubric)


def parse_all(raw: Any, rubrics: Container[str] | None = None) -> tuple[Assertion, ...]:
    """A case's `assert` list (one object is taken as a list of one)."""
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ValidationError("assert", raw, "must be a list of assertions")
    return tuple(parse(item, f"assert[{i}]", rubrics) for i, item in enumerate(items, 1))


def check(
    assertion: Assertion, output: str, cost_usd: float | None, latency_ms: int | None
) -> AssertionResult:
    """An answer checked by an assertion that needs no model (not similar, not judge)."""
    kind, value = assertion.type, assertion.value
    passed, reason, score = _checked(kind, value, output, cost_usd, latency_ms)
    return AssertionResult(kind, passed, "" if passed else reason, score, spec=assertion.spec())


def _checked(
    kind: str, value: Any, output: str, cost: float | None, latency: int | None
) -> tuple[bool, str, float | None]:
    if kind == "contains":
        return value in output, f"does not contain {_quote(value)}", None
    if kind == "icontains":
        return value.casefold() in output.casefold(), f"does not contain {_quote(value)}", None
    if kind == "not-contains":
        at = output.find(value)
        return at < 0, f"contains {_quote(value)} at character {at + 1}", None
    if kind == "starts-with":
        begins = _quote(output.lstrip()[:30])
        return output.lstrip().startswith(value), f"starts with {begins}", None
    if kind == "regex":
        return bool(re.search(value, output)), f"no match for /{value}/", None
    if kind == "equals":
        return _equals(value, output)
    if kind in ("is-json", "json-schema"):
        return _json(value, output)
    if kind in ("max-length", "min-length"):
        length = len(output)
        holds = length <= value if kind == "max-length" else length >= value
        side = "more" if kind == "max-length" else "fewer"
        return holds, f"{length} characters, {side} than {value}", float(length)
    if kind == "cost":
        if cost is None:
            return False, "the run has no cost: no price for its model (see `price`)", None
        return cost <= value, f"cost ${cost:.6f}, more than ${value}", cost
    if kind == "latency":
        if latency is None:
            return False, "the run was not timed", None
        return latency <= value, f"took {latency} ms, more than {value:g} ms", float(latency)
    raise ValueError(f"{kind} needs a model; the runner checks it")  # pragma: no cover


def _equals(value: Any, output: str) -> tuple[bool, str, None]:
    if isinstance(value, str):
        return output.strip() == value.strip(), f"is {_quote(output.strip())}", None
    try:
        parsed = json.loads(output)
    except ValueError:
        return False, f"is not JSON, so not equal to {_quote(json.dumps(value))}", None
    return parsed == value, f"is {_quote(json.dumps(parsed))}", None


def _json(schema: Any, output: str) -> tuple[bool, str, None]:
    try:
        parsed = json.loads(output)
    except ValueError as error:
        return False, f"is not JSON: {str(error).splitlines()[0]}", None
    if schema is None:
        return True, "", None
    found = problems(parsed, schema)
    return not found, "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" * (len(found) > 3)), None


def _regex(value: Any, field: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(field, value, "regex needs a regular expression")
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(field, value, f"is not a regular expression: {error}") from None


def _threshold(kind: str, value: Any, field: str) -> float | None:
    if kind == "similar":
        if value is None:
            return SIMILAR_THRESHOLD
        if not (_number(value, -1.0) and value <= 1):
            raise ValidationError(field, value, "similar's threshold is a cosine from -1 to 1")
        return float(value)
    if kind == "judge":
        if value is None:
            return JUDGE_THRESHOLD
        if not (_number(value, 1.0) and value <= 5):
            raise ValidationError(field, value, "judge's threshold is a score from 1 to 5")
        return float(value)
    if value is not None:
        raise ValidationError(field, value, f"{kind} takes no threshold")
    return None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any, low: float) -> bool:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return numeric and math.isfinite(value) and value >= low


def _quote(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")
