"""The lifecycle settings of the config table: each key's type and range, checked on set."""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from storage.errors import PromptdeckError, ValidationError


@dataclass(frozen=True, slots=True)
class Rule:
    whole: bool  # a whole number (else any number)
    low: float
    high: float
    low_open: bool = False  # low itself is not allowed

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        low = f"{self.low:g}" if not self.whole else str(int(self.low))
        high = f"{self.high:g}" if not self.whole else str(int(self.high))
        if self.low_open:
            return f"must be {kind} above {low} and at most {high}"
        return f"must be {kind} from {low} to {high}"


RULES: dict[str, Rule] = {
    "max_prompts": Rule(whole=True, low=1, high=10_000_000),
    "min_relevance_score": Rule(whole=False, low=0, high=1),
    "relevance_decay_rate": Rule(whole=False, low=0, high=1, low_open=True),
    "max_unused_days": Rule(whole=True, low=0, high=36_500),
    "vector_similarity_threshold": Rule(whole=False, low=0, high=1, low_open=True),
    "relevance_boost_on_use": Rule(whole=False, low=0, high=1),
}


def clean_setting(key: str, value: object) -> str:
    """The value normalised as stored ('0.50' -> '0.5'), or a ValidationError naming the key."""
    rule = RULES.get(key)
    if rule is None:
        raise ValidationError(
            "config", key, f"not a lifecycle setting; the lifecycle settings are {', '.join(RULES)}"
        )
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError as error:
        raise ValidationError(key, value, rule.describe()) from error
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(key, value, rule.describe())
    if rule.whole and number != int(number):
        raise ValidationError(key, value, rule.describe())
    too_low = number <= rule.low if rule.low_open else number < rule.low
    if too_low or number > rule.high:
        raise ValidationError(key, value, rule.describe())
    return str(int(number)) if rule.whole else repr(number)


def read_number(con: duckdb.DuckDBPyConnection, key: str) -> float:
    """A setting's value, as stored by clean_setting (or the schema.sql default)."""
    row = con.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
    if row is None:
        raise PromptdeckError(f"config: missing setting {key!r}", field=key)
    return float(row[0])
