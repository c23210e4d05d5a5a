"""Bad input to the library that used to end in a traceback or a wrong answer: a typed error
naming the field, row or file, and the library as it was."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from storage import Library
from storage.errors import ValidationError


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0])
def test_a_lock_timeout_must_be_a_finite_wait(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValidationError, match="lock_timeout: "):
        Library(tmp_path / "library.duckdb", lock_timeout=seconds)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2999, 1, 1), "2999-01-01T00:00:00"),
        (date(2999, 1, 1), "2999-01-01"),
        (Decimal("1.50"), "1.50"),
        ("7", "'7'"),
        ("x" * 500, "'" + "x" * 58 + "…"),
    ],
)
def test_a_validation_error_shows_the_value_as_written(value: object, shown: str) -> None:
    assert str(ValidationError("field", value, "is wrong")) == f"field: is wrong (got {shown})"
