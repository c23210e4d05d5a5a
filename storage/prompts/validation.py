"""Validation and normalisation of prompt fields, before anything touches the database."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from storage.errors import ValidationError
from storage.models import EDITABLE_FIELDS, FORMAT_TYPES, ORIGIN_FIELDS, SOURCE_TYPES
from storage.prompts import roles

MAX_CONTENT_BYTES = 1024 * 1024
MAX_NAME = 200
MAX_TAG = 64
MAX_NESTING = 64  # JSON (metadata, requests) and config nested deeper than this is refused
_OPTIONAL_TEXT = (
    "phase",
    "provider",
    "model",
    "persona",
    "target_model_family",
    "language",
    "enhancement_method",
    "original_input",
)
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-z_]{3,20})$")


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _text(field: str, value: Any, *, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be text")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(field, value[:40], "is not valid unicode") from error
    if "\x00" in value:
        raise ValidationError(field, value[:40], "must not contain NUL characters")
    if limit is not None and len(encoded) > limit:
        raise ValidationError(field, f"{len(encoded)} bytes", f"must be at most {limit} bytes")
    return value


def clean_name(value: Any) -> str:
    name = _text("name", value, limit=MAX_NAME * 4).strip()
    if not name:
        raise ValidationError("name", value, "must not be empty")
    if len(name) > MAX_NAME:
        raise ValidationError("name", name[:40] + "…", f"must be at most {MAX_NAME} characters")
    if "\n" in name or "\r" in name:
        raise ValidationError("name", name, "must be one line")
    return name


def clean_content(value: Any) -> str:
    content = _text("content", value, limit=MAX_CONTENT_BYTES)
    if not content.strip():
        raise ValidationError("content", value, "must not be empty")
    roles.check(content)
    return content


# Why a folder is refused: it would name a path outside its place (an export writes
# EXPORT/<folder>/...), or an ambiguous one. The import checks (cleaning.py) word them alike.
FOLDER_BACKSLASH = "must separate folders with /, not \\"
FOLDER_ABSOLUTE = "must be relative, not start with /"
FOLDER_EMPTY = "must not have empty segments"
FOLDER_DOTS = "must not have . or .. segments"


def clean_folder(value: Any) -> str:
    """Names joined by /, each stripped; one trailing / is dropped ("eng/" is "eng")."""
    if value is None:
        return ""
    text = _text("folder", value, limit=400).strip()
    if "\n" in text:
        raise ValidationError("folder", value, "must be one line")
    if "\\" in text:
        raise ValidationError("folder", value, FOLDER_BACKSLASH)
    if text.startswith("/"):
        raise ValidationError("folder", value, FOLDER_ABSOLUTE)
    parts = [part.strip() for part in text.removesuffix("/").split("/")]
    if parts == [""]:
        return ""
    if "" in parts:
        raise ValidationError("folder", value, FOLDER_EMPTY)
    if "." in parts or ".." in parts:
        raise ValidationError("folder", value, FOLDER_DOTS)
    return "/".join(parts)


def clean_tag(value: Any) -> str:
    tag = _text("tag", value, limit=MAX_TAG * 4).strip()
    if not tag:
        raise ValidationError("tag", value, "must not be empty")
    if len(tag) > MAX_TAG or "," in tag or any(ch.isspace() and ch != " " for ch in tag):
        raise ValidationError(
            "tag", tag, f"must be one line of at most {MAX_TAG} characters, no commas"
        )
    return tag


def clean_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("tags", value, "must be a list of tags")
    return tuple(dict.fromkeys(clean_tag(tag) for tag in value))


def clean_temperature(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValidationError("temperature", value, "must be a number between 0 and 2") from error
    if math.isnan(number) or not 0 <= number <= 2:
        raise ValidationError("temperature", value, "must be between 0 and 2")
    return number


def clean_max_tokens(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("max_tokens", value, "must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise ValidationError("max_tokens", value, "must be a whole number") from error
    if number != value and not isinstance(value, str):
        raise ValidationError("max_tokens", value, "must be a whole number")
    if not 1 <= number <= 10_000_000:
        raise ValidationError("max_tokens", value, "must be between 1 and 10000000")
    return number


def clean_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValidationError(field, value, f"must be one of {', '.join(choices)}")
    return str(value)


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (0 for a scalar), measured level by level
    without recursion; counting stops just past MAX_NESTING."""
    depth, level = 0, [value]
    while depth <= MAX_NESTING:
        containers = [item for item in level if isinstance(item, (list, tuple, dict))]
        if not containers:
            break
        depth += 1
        level = [c for box in containers for c in (box.values() if isinstance(box, dict) else box)]
    return depth


def refuse_deep_nesting(field: str, value: Any) -> None:
    if nesting_depth(value) > MAX_NESTING:
        raise ValidationError(
            field, value, f"nests more than {MAX_NESTING} levels of objects and lists"
        )


def clean_json(field: str, value: Any, *, object_only: bool = False) -> Any:
    if object_only and not isinstance(value, dict):
        raise ValidationError(field, value, "must be a JSON object")
    refuse_deep_nesting(field, value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValidationError(field, value, f"is not JSON-serialisable: {error}") from error
    return value


def clean_optional_text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _text(field, value, limit=MAX_CONTENT_BYTES).strip()
    return text or None


def clean_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise the given prompt fields; unknown fields are refused."""
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            cleaned[field] = clean_name(value)
        elif field == "content":
            cleaned[field] = clean_content(value)
        elif field == "description":
            cleaned[field] = "" if value is None else _text(field, value, limit=64 * 1024).strip()
        elif field == "folder":
            cleaned[field] = clean_folder(value)
        elif field == "tags":
            cleaned[field] = clean_tags(value)
        elif field == "temperature":
            cleaned[field] = clean_temperature(value)
        elif field == "max_tokens":
            cleaned[field] = clean_max_tokens(value)
        elif field == "format_type":
            cleaned[field] = clean_choice(field, value, FORMAT_TYPES)
        elif field == "source_type":
            cleaned[field] = clean_choice(field, value, SOURCE_TYPES)
        elif field == "metadata":
            cleaned[field] = clean_json(field, {} if value is None else value, object_only=True)
        elif field in ("generation_request", "generation_context"):
            cleaned[field] = None if value is None else clean_json(field, value)
        elif field in _OPTIONAL_TEXT:
            cleaned[field] = clean_optional_text(field, value)
        elif field in EDITABLE_FIELDS or field in ORIGIN_FIELDS:
            raise AssertionError(f"no validator for {field}")
        else:
            raise ValidationError(field, value, "is not a prompt field")
    return cleaned


def clean_rating(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError("rating", value, "must be a whole number from 1 to 5")
    return value


def clean_unit(field: str, value: Any) -> float | None:
    """A score between 0 and 1 (strength, effectiveness, improvement)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(field, value, "must be a number between 0 and 1") from error
    if math.isnan(number) or not 0 <= number <= 1:
        raise ValidationError(field, value, "must be between 0 and 1")
    return number


def clean_label(value: Any) -> str:
    if not isinstance(value, str) or not _LABEL.match(value) or value == "latest":
        raise ValidationError(
            "label",
            value,
            "must start with a letter, use letters, digits, _ . - and not be 'latest'",
        )
    return value


def clean_colour(value: Any) -> str:
    if not isinstance(value, str) or not _COLOUR.match(value.strip()):
        raise ValidationError(
            "colour", value, "must be #rgb, #rrggbb or a colour name like 'green'"
        )
    return value.strip()
