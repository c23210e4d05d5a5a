"""Case files: JSONL, one case a line (`{"vars": {...}, "assert": [...], "description": ...}`),
or CSV whose `assert` column holds the same JSON, `description` column the description and
every other column a variable. Every line is read and checked before anything is kept; the
first bad one is refused with its line number."""

from __future__ import annotations

import csv
import json
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.errors import ImportRejected, PromptdeckError, TransferError, ValidationError
from storage.evals import assertions
from storage.evals.models import Assertion

CASE_FORMATS = ("jsonl", "csv")
_KEYS = frozenset({"vars", "assert", "description"})
MAX_CASES = 100_000


@dataclass(frozen=True, slots=True)
class CaseSpec:
    """A case as read (not yet kept): its variables, assertions and description."""

    vars: dict[str, str]
    asserts: tuple[Assertion, ...]
    description: str = ""
    line: int = 0


def read(path: Path, rubrics: Container[str]) -> list[CaseSpec]:
    """Every case of the file (JSONL, else CSV by its suffix); ImportRejected names the first
    bad line, and how many lines were bad."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TransferError(f"{path}: not UTF-8 text", file=str(path)) from None
    except OSError as error:
        raise TransferError(f"{path}: {error.strerror or error}", file=str(path)) from None
    rows = _csv_rows(path, text) if fmt == "csv" else _jsonl_rows(text)
    cases: list[CaseSpec] = []
    bad: list[tuple[int, str]] = []
    for line, raw in rows:
        if isinstance(raw, str):  # why the line could not be read
            bad.append((line, raw))
            continue
        try:
            cases.append(spec(raw, rubrics, line))
        except PromptdeckError as error:
            bad.append((line, str(error)))
    if bad:
        line, why = bad[0]
        more = f"{len(bad)} bad lines; " if len(bad) > 1 else ""
        raise ImportRejected(
            f"{path}: line {line}: {why} ({more}nothing was imported)",
            file=str(path),
            row=line,
            rejected=len(bad),
        )
    if not cases:
        raise TransferError(f"{path}: holds no cases", file=str(path))
    if len(cases) > MAX_CASES:
        raise TransferError(f"{path}: more than {MAX_CASES:,} cases", file=str(path))
    return cases


def spec(raw: Any, rubrics: Container[str] | None, line: int = 0) -> CaseSpec:
    """A case from its JSON object: `vars` (text values; numbers and booleans are written as
    text), `assert`, `description`."""
    if not isinstance(raw, dict):
        raise ValidationError("case", raw, 'must be an object like {"vars": {}, "assert": []}')
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        keys = "vars, assert, description"
        raise ValidationError(unknown[0], raw[unknown[0]], f"is not a case key ({keys})")
    description = raw.get("description", "")
    if not isinstance(description, str) or "\n" in description:
        raise ValidationError("description", description, "must be one line of text")
    return CaseSpec(
        clean_vars(raw.get("vars", {})),
        assertions.parse_all(raw.get("assert", []), rubrics),
        description.strip(),
        line,
    )


def clean_vars(given: Any) -> dict[str, str]:
    if not isinstance(given, dict):
        raise ValidationError("vars", given, "must be an object of NAME: value")
    kept: dict[str, str] = {}
    for name, value in given.items():
        if isinstance(value, str):
            kept[name] = value
        elif isinstance(value, int | float | bool):
            kept[name] = json.dumps(value)
        elif isinstance(value, dict | list):
            kept[name] = json.dumps(value, ensure_ascii=False)
        else:
            raise ValidationError(f"vars.{name}", value, "must be text, a number or JSON")
    return kept


def _jsonl_rows(text: str) -> list[tuple[int, Any]]:
    """(line number, the object or why it is not one) for each line that is not blank."""
    found: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line)))
        except ValueError as error:
            found.append((number, f"not JSON: {str(error).splitlines()[0]}"))
    return found


def _csv_rows(path: Path, text: str) -> list[tuple[int, Any]]:
    """(line number, a case object or why not) per record; the `assert` cell is JSON."""
    reader = csv.DictReader(text.splitlines(keepends=True))
    if reader.fieldnames is None or "assert" not in reader.fieldnames:
        raise TransferError(f"{path}: a CSV of cases needs an `assert` column", file=str(path))
    found: list[tuple[int, Any]] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if None in record:
                found.append((line, "more cells than the header has columns"))
                continue
            cell = (record.pop("assert") or "").strip()
            description = (record.pop("description", "") or "").strip()
            try:
                checks = json.loads(cell) if cell else []
            except ValueError as error:
                found.append((line, f"assert: not JSON: {str(error).splitlines()[0]}"))
                continue
            found.append((line, {"vars": record, "assert": checks, "description": description}))
    except csv.Error as error:
        raise TransferError(f"{path}: line {reader.line_num}: {error}", file=str(path)) from None
    return found
