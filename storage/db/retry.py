"""Re-running a team library's user action whose commit lost a conflict.

DuckLake retries a commit only when the catalog moved under it; when another client changed
the same rows meanwhile, the transaction fails. An action is then run again, whole, from its
first statement on a new transaction (so it re-reads what it decides on), after a short
jittered wait, up to `RetryPolicy.attempts` times; after the last it is one WriteConflict
line naming the action and the attempts. A service writes:

    for tx in self._db.write_attempts("edit prompt"):
        with tx as con:
            ...  # the whole transaction; nothing else in the loop

A library file has one attempt and nothing to catch (DuckDBFile.write_attempts)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import duckdb

from storage.errors import ValidationError, WriteConflict

Write = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
MAX_ATTEMPTS = 100


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries of one action in all, the first included
    first_wait: float = 0.02  # seconds before the second try; doubled each time
    max_wait: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= MAX_ATTEMPTS:
            raise ValidationError(
                "write_attempts", self.attempts, f"must be between 1 and {MAX_ATTEMPTS}"
            )

    def wait(self, retry: int) -> float:
        """Seconds before retry number `retry` (1, 2, ...): half fixed, half random, so that
        clients that conflicted together do not try again together."""
        ceiling = min(self.max_wait, self.first_wait * 2.0 ** (retry - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def attempts(
    write: Write,
    action: str,
    label: str,
    policy: RetryPolicy,
    retried: Callable[[], None],
) -> Iterator[AbstractContextManager[duckdb.DuckDBPyConnection]]:
    """One transaction per attempt, until one commits (the loop's body ends, or returns, or
    raises anything but a conflict); `retried` is called before each new attempt."""
    for number in range(1, policy.attempts + 1):
        lost: list[WriteConflict] = []
        yield _attempt(write, lost)
        if not lost:
            return
        if number == policy.attempts:
            raise WriteConflict(label, action=action, attempts=number) from lost[0]
        retried()
        time.sleep(policy.wait(number))


@contextmanager
def _attempt(write: Write, lost: list[WriteConflict]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction whose conflict is kept in `lost` (rolled back), not raised."""
    try:
        with write() as con:
            yield con
    except WriteConflict as conflict:
        lost.append(conflict)
