"""Bad input to the library that used to end in a traceback or a wrong answer: a typed error
naming the field, row or file, and the library as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Library
from storage.errors import ValidationError


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0])
def test_a_lock_timeout_must_be_a_finite_wait(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValidationError, match="lock_timeout: "):
        Library(tmp_path / "library.duckdb", lock_timeout=seconds)
