"""The write seam every user action goes through (`Database.write_attempts`): on a file, one
transaction and nothing caught; the retry policy's bounds and waits; where services write.
The retry of a real lake conflict: tests/lake/test_lake_retry.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage import Library
from storage.db.retry import MAX_ATTEMPTS, RetryPolicy
from storage.errors import ValidationError, WriteConflict
from tui.shared.settings import Settings, library_options

ROOT = Path(__file__).resolve().parents[2]
# Transactions that move files as well as rows, tried once: a purge exports before it
# deletes, a restore reports progress per table, the text index is built in a local file.
TRIED_ONCE = {"analytics/lifecycle.py", "transfer/restore_lake.py", "search/text_index.py"}


def test_a_file_has_one_attempt_and_a_conflict_in_it_is_not_caught(library: Library) -> None:
    attempts = 0
    with pytest.raises(WriteConflict):
        for tx in library.db.write_attempts("edit"):
            attempts += 1
            with tx as con:
                con.execute("SELECT 1")
                raise WriteConflict(library.db.label)
    assert attempts == 1 and library.db.conflicts_retried == 0


def test_the_retry_policy_is_bounded_and_its_waits_grow_with_jitter() -> None:
    policy = RetryPolicy(attempts=4, first_wait=0.02, max_wait=0.05)
    waits = [[policy.wait(retry) for _ in range(200)] for retry in (1, 2, 3, 4)]
    assert all(0.01 <= w <= 0.02 for w in waits[0])
    assert all(0.02 <= w <= 0.04 for w in waits[1])
    assert all(0.025 <= w <= 0.05 for w in waits[2] + waits[3])  # capped
    assert len(set(waits[0])) > 100  # clients that conflicted together part
    for wrong in (0, MAX_ATTEMPTS + 1):
        with pytest.raises(ValidationError, match="write_attempts: must be between 1 and 100"):
            RetryPolicy(attempts=wrong)


def test_write_attempts_come_from_the_environment_over_the_config(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "config.toml", library={"write_attempts": "7"})
    assert library_options(settings, {})["write_attempts"] == 7
    given = {"PROMPTDECK_WRITE_ATTEMPTS": "2"}
    assert library_options(settings, given)["write_attempts"] == 2
    assert "write_attempts" not in library_options(Settings(tmp_path / "none.toml"), {})
    with pytest.raises(ValidationError, match="must be a whole number"):
        library_options(settings, {"PROMPTDECK_WRITE_ATTEMPTS": "many"})


def test_every_user_action_writes_through_write_attempts() -> None:
    """A service that opened `db.write()` itself would not be run again after a conflict."""
    once = re.compile(r"\.write\(\) as ")
    found = {
        str(path.relative_to(ROOT / "storage"))
        for path in (ROOT / "storage").rglob("*.py")
        if path.parent.name != "db" and once.search(path.read_text(encoding="utf-8"))
    }
    assert found == TRIED_ONCE
