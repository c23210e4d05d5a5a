"""promptdeck's own retry of a user action whose commit lost a real DuckLake conflict.

A second process (tests/lake/outsider.py) writes without the write lock: asked by the clock
while a save of this process is inside its transaction (it has read the prompt), it changes
the same prompt's row and commits first, so the save's commit conflicts. The save is then
run again, whole, on a new transaction: it re-reads the prompt and succeeds, once the
outsider stops; an outsider that never stops gets one line naming the action and the
attempts, and nothing of the save is kept."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from storage import Library
from storage.db.clock import utc_now
from storage.errors import WriteConflict
from tests.lake.conftest import Lake

ROOT = Path(__file__).resolve().parents[2]


class Outsider:
    """The lock-less writer process, and a clock that sets it off inside a save."""

    def __init__(self, db: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.lake.outsider", db],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._answer() == "ready"
        self.target = ""  # the prompt it changes; none yet
        self.conflicts = 0  # how many of the save's attempts it spoils
        self.library: Library | None = None
        self.writes = 0

    def clock(self) -> datetime:
        """The time, after having the outsider change the target first when the attempt in
        progress is one it spoils (the library counts the attempts it retried)."""
        lib = self.library
        if self.target and lib is not None and lib.db.conflicts_retried < self.conflicts:
            self.writes += 1
            assert self.process.stdin is not None
            self.process.stdin.write(f"{self.target} outsider {self.writes}\n")
            self.process.stdin.flush()
            assert self._answer() == "done"
        return utc_now()

    def _answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


@pytest.fixture
def outsider(lake: Lake) -> Iterator[Outsider]:
    with Library(lake.db, lake_data=str(lake.data)):
        pass  # the lake's tables, before the outsider attaches
    found = Outsider(lake.db)
    yield found
    found.stop()


def test_a_conflicted_save_is_run_again_whole_and_succeeds(lake: Lake, outsider: Outsider) -> None:
    with Library(lake.db, clock=outsider.clock, actor="ana", write_attempts=4) as lib:
        outsider.library = lib
        prompt = lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        audited = len(lib.audit.entries())
        outsider.target, outsider.conflicts = prompt.id, 2
        edited = lib.prompts.update(prompt.id, {"content": "A haiku on {{topic}}, please."})
        assert lib.db.conflicts_retried == 2 and outsider.writes >= 2
        # The third attempt read the outsider's row and kept it: its description, our content.
        assert edited.current_version == 2 and (edited.description or "").startswith("outsider")
        kept = lib.prompts.get(prompt.id)
        assert (kept.content, kept.current_version) == ("A haiku on {{topic}}, please.", 2)
        assert [v.version for v in lib.versions.history(prompt.id)] == [1, 2]
        assert len(lib.audit.entries()) == audited + 1  # the one update, written once


def test_a_save_that_loses_every_attempt_is_one_line_and_saves_nothing(
    lake: Lake, outsider: Outsider
) -> None:
    with Library(lake.db, clock=outsider.clock, actor="ana", write_attempts=3) as lib:
        outsider.library = lib
        prompt = lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        audited = len(lib.audit.entries())
        outsider.target, outsider.conflicts = prompt.id, 1_000
        with pytest.raises(WriteConflict) as refused:
            lib.tags.add(prompt.id, ["poetry"])
        message = str(refused.value)
        assert message == (
            f"{lib.db.label}: tag: another client changed the same rows at the same time "
            "(3 attempts); nothing was saved, try again"
        )
        assert lake.password not in message and lib.db.conflicts_retried == 2
        kept = lib.prompts.get(prompt.id)
        assert (kept.tags, kept.current_version) == ((), 1)
        assert len(lib.audit.entries()) == audited
