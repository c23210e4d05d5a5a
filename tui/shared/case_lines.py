"""A case's assertions as the TUI's case form writes them: one a line, either JSON as a case file
has it (`{"type": "contains", "value": "HELLO"}`) or the short form `TYPE VALUE` (`contains
HELLO`, `max-length 200`, `is-json`, `judge Warm`). Read into the dicts storage checks (storage
names a bad type or value); written back one JSON object a line. No Textual here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage import Assertion
from storage.errors import ValidationError

NUMBER_TYPES = ("max-length", "min-length", "cost", "latency")  # the value is a number
JSON_TYPES = ("is-json", "json-schema")  # the value, if any, is a JSON Schema


def read(text: str) -> list[dict[str, Any]]:
    """Every line that is not blank, as an assertion's JSON object (not yet checked)."""
    found: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            found.append(_line(line.strip(), number))
    return found


def write(asserts: Sequence[Assertion]) -> str:
    """Assertions one JSON object a line, as `read` reads them back."""
    return "\n".join(json.dumps(a.spec(), ensure_ascii=False) for a in asserts)


def from_output(output: str) -> str:
    """The check a run's answer offers as a case: it equals this output."""
    return json.dumps({"type": "equals", "value": output.strip()}, ensure_ascii=False)


def _line(line: str, number: int) -> dict[str, Any]:
    field = f"assertion line {number}"
    if line.startswith("{"):
        try:
            parsed = json.loads(line)
        except ValueError as error:
            raise ValidationError(field, line, f"not JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise ValidationError(field, line, "must be one JSON object")
        return parsed
    kind, _, rest = line.partition(" ")
    rest = rest.strip()
    if not rest:
        return {"type": kind}
    if kind == "judge":
        return {"type": kind, "rubric": rest}
    if kind in NUMBER_TYPES or kind in JSON_TYPES:
        try:
            return {"type": kind, "value": json.loads(rest)}
        except ValueError:
            why = "a number" if kind in NUMBER_TYPES else "a JSON Schema"
            raise ValidationError(field, rest, f"{kind} takes {why}") from None
    return {"type": kind, "value": rest}
