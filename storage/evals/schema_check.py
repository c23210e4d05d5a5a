"""A small JSON Schema checker for the `json-schema` assertion: the keywords answers are usually
checked with (type, properties, required, additionalProperties, items, enum, const, bounds,
lengths, pattern, anyOf, oneOf, allOf). A schema using any other validation keyword is refused
when the case is read, so that nothing passes unchecked."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from storage.errors import ValidationError

_CHECKED = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "anyOf", "oneOf", "allOf",
    }
)  # fmt: skip
_NOTES = frozenset({"$schema", "$id", "title", "description", "default", "examples", "$comment"})
_BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "minimum": (operator.ge, ">="),
    "maximum": (operator.le, "<="),
    "exclusiveMinimum": (operator.gt, ">"),
    "exclusiveMaximum": (operator.lt, "<"),
}
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems")
_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def check_schema(schema: Any, field: str) -> None:
    """Refuse a schema this checker cannot apply whole: an unknown keyword or type, a bad
    pattern. `field` names it in the error (assert[2].value)."""
    if not isinstance(schema, dict):
        raise ValidationError(field, schema, "must be a JSON Schema object")
    for key, value in schema.items():
        if key not in _CHECKED and key not in _NOTES:
            raise ValidationError(field, key, "uses a JSON Schema keyword that is not supported")
        if key == "type":
            kinds = value if isinstance(value, list) else [value]
            if not kinds or any(kind not in _TYPES for kind in kinds):
                raise ValidationError(field, value, f"type must be one of {', '.join(_TYPES)}")
        elif key == "pattern":
            _compile(value, field)
        elif key in _BOUNDS and not _is_number(value):
            raise ValidationError(field, value, f"{key} must be a number")
        elif key in _COUNTS and not (isinstance(value, int) and _is_number(value) and value >= 0):
            raise ValidationError(field, value, f"{key} must be a whole number")
        elif key == "required" and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise ValidationError(field, value, "required must be a list of names")
        elif key == "enum" and not isinstance(value, list):
            raise ValidationError(field, value, "enum must be a list")
        elif key == "properties":
            if not isinstance(value, dict):
                raise ValidationError(field, value, "properties must be an object")
            for inner in value.values():
                check_schema(inner, field)
        elif key in ("items", "additionalProperties") and not isinstance(value, bool):
            check_schema(value, field)
        elif key in ("anyOf", "oneOf", "allOf"):
            if not isinstance(value, list) or not value:
                raise ValidationError(field, value, f"{key} must be a list of schemas")
            for inner in value:
                check_schema(inner, field)


def problems(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Where `value` breaks `schema` (a checked schema), as "$.a[0]: reason"; [] when it holds."""
    found: list[str] = []
    if "type" in schema and not _is_type(value, schema["type"]):
        return [f"{path}: expected {_kinds(schema['type'])}, got {_kind_of(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {_short(value)} is not one of {_short(schema['enum'])}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: {_short(value)} is not {_short(schema['const'])}")
    if _is_number(value):
        found += _bounds(value, schema, path)
    if isinstance(value, str):
        found += _text(value, schema, path)
    if isinstance(value, list):
        found += _array(value, schema, path)
    if isinstance(value, dict):
        found += _object(value, schema, path)
    for inner in schema.get("allOf", ()):
        found += problems(value, inner, path)
    if "anyOf" in schema and all(problems(value, s, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches none of anyOf")
    if "oneOf" in schema:
        matching = sum(not problems(value, s, path) for s in schema["oneOf"])
        if matching != 1:
            found.append(f"{path}: matches {matching} of oneOf, not exactly one")
    return found


def _bounds(value: float, schema: dict[str, Any], path: str) -> list[str]:
    return [
        f"{path}: {value} is not {sign} {schema[key]}"
        for key, (holds, sign) in _BOUNDS.items()
        if key in schema and not holds(value, schema[key])
    ]


def _text(value: str, schema: dict[str, Any], path: str) -> list[str]:
    found = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{path}: {len(value)} characters, fewer than {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{path}: {len(value)} characters, more than {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{path}: {_short(value)} does not match {schema['pattern']!r}")
    return found


def _array(value: list[Any], schema: dict[str, Any], path: str) -> list[str]:
    found = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        found.append(f"{path}: {len(value)} items, fewer than {schema['minItems']}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{path}: {len(value)} items, more than {schema['maxItems']}")
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            found += problems(item, items, f"{path}[{index}]")
    return found


def _object(value: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    required = schema.get("required", ())
    found = [f"{path}: {key!r} is required" for key in required if key not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            found += problems(item, properties[key], f"{path}.{key}")
        elif extra is False:
            found.append(f"{path}: {key!r} is not allowed")
        elif isinstance(extra, dict):
            found += problems(item, extra, f"{path}.{key}")
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_type(value: Any, kinds: str | list[str]) -> bool:
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "integer" and _is_number(value) and float(value).is_integer():
            return True
        if kind == "number" and _is_number(value) and math.isfinite(value):
            return True
        if kind != "integer" and kind != "number" and _kind_of(value) == kind:
            return True
    return False


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _kinds(kinds: str | list[str]) -> str:
    return " or ".join(kinds) if isinstance(kinds, list) else kinds


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _compile(pattern: Any, field: str) -> None:
    if not isinstance(pattern, str):
        raise ValidationError(field, pattern, "pattern must be a regular expression")
    try:
        re.compile(pattern)
    except re.error as error:
        why = f"pattern is not a regular expression: {error}"
        raise ValidationError(field, pattern, why) from None
