"""Two and four writers in separate processes on one team library at once lose nothing and
duplicate nothing: every prompt, version, tag, rating and audit row is there once, versions
are dense, and of a content all of them add, exactly one copy is saved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storage import Library
from tests.lake.conftest import Lake

ROOT = Path(__file__).resolve().parents[2]
WRITES = 12  # prompts per writer, each added, edited, tagged and rated: 48 audited writes
NAMES = ("ana", "bo", "cy", "di")


@pytest.mark.parametrize("writers", [2, 4])
def test_writer_processes_lose_nothing_and_duplicate_nothing(lake: Lake, writers: int) -> None:
    with Library(lake.db, lake_data=str(lake.data)):
        pass  # created once, before the writers race
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.lake.writer", lake.db, name, str(WRITES)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in NAMES[:writers]
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0] * writers, [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 1  # the shared content, saved once
    with Library(lake.db, read_only=True) as lib:
        _, rows = lib.db.query(
            "SELECT (SELECT count(*) FROM prompts), (SELECT count(DISTINCT id) FROM prompts), "
            "(SELECT count(*) FROM prompt_versions), "
            "(SELECT count(DISTINCT (prompt_id, version)) FROM prompt_versions), "
            "(SELECT count(*) FROM feedback), "
            "(SELECT count(*) FROM audit_log), (SELECT count(DISTINCT id) FROM audit_log), "
            "(SELECT count(*) FROM prompts p WHERE current_version <> "
            " (SELECT max(version) FROM prompt_versions v WHERE v.prompt_id = p.id)), "
            "(SELECT count(*) FROM (SELECT prompt_id FROM prompt_versions GROUP BY prompt_id "
            "  HAVING max(version) <> count(*))), "
            "(SELECT count(DISTINCT content_hash) FROM prompts)"
        )
        prompts = writers * WRITES + 1
        # Each own prompt: created, edited, tagged (3 versions); the shared one: 1.
        assert rows[0] == (
            prompts, prompts, 3 * writers * WRITES + 1, 3 * writers * WRITES + 1,
            writers * WRITES, *(writers * (4 * WRITES) + 1,) * 2, 0, 0, prompts,
        )  # fmt: skip
        actors = {e.actor for e in lib.audit.entries(limit=1000)}
    assert actors == set(NAMES[:writers])
