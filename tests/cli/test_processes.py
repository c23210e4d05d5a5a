"""The installed console script in real processes: end to end, and two processes on one file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage import Library

# Holds the library file open read-write (the lock a TUI or another CLI holds) for a while.
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", flush=True)
"""


def run(
    script: Path, db: Path, *args: str, stdin: str = "", timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROMPTDECK_DB": str(db)}
    return subprocess.run(
        [str(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def ok(script: Path, db: Path, *args: str, stdin: str = "") -> str:
    done = run(script, db, *args, stdin=stdin)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert done.stderr == ""
    return done.stdout


def test_end_to_end_on_a_real_file(promptdeck_script: Path, tmp_path: Path) -> None:
    db = tmp_path / "e2e.duckdb"
    pd = promptdeck_script
    first = run(
        pd, db, "add", "--name", "Greet", "--tag", "hello", stdin="Hello {{name}}, welcome."
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr == f"promptdeck: created a new library at {db}\n"
    base = first.stdout.strip()
    listed = json.loads(ok(pd, db, "list", "--json"))
    assert [(p["id"], p["name"], p["tags"]) for p in listed] == [(base, "Greet", ["hello"])]
    assert ok(pd, db, "show", "Greet").endswith("\n\nHello {{name}}, welcome.\n")
    ok(pd, db, "edit", "Greet", "-m", "warmer", stdin="Hello {{name}}, so glad you came.")
    versions = ok(pd, db, "versions", base[-8:])
    assert "warmer" in versions.splitlines()[2]
    assert "+Hello {{name}}, so glad you came." in ok(pd, db, "diff", "Greet")
    child = ok(pd, db, "derive", "Greet", "--name", "Greet formally", stdin="Good day, {{name}}.")
    assert ok(pd, db, "render", "Greet formally", "name=Ada") == "Good day, Ada."
    assert ok(pd, db, "use", child.strip(), "name=Grace") == "Good day, Grace."
    ok(pd, db, "rate", "Greet formally", "5", "--comment", "polite")
    stats = json.loads(ok(pd, db, "stats", "--json"))
    # uses: the render and the use
    assert (stats["prompts"], stats["versions"], stats["uses"], stats["ratings"]) == (2, 3, 2, 1)
    rows = ok(
        pd, db, "sql", "SELECT name, parent_id IS NOT NULL AS derived FROM prompts ORDER BY 1"
    )
    assert rows == "name            derived\nGreet           no\nGreet formally  yes\n"
    bad = run(pd, db, "rate", "Greet", "9")
    assert (bad.returncode, bad.stdout) == (1, "")
    assert bad.stderr == "promptdeck: rating: must be a whole number from 1 to 5 (got 9)\n"
    usage = run(pd, db, "frobnicate")
    assert usage.returncode == 2
    assert "No such command 'frobnicate'" in usage.stderr


@pytest.fixture
def library_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared.duckdb"
    with Library(path) as lib:
        lib.prompts.create("Shared", "A prompt two processes want.")
    return path


@contextmanager
def hold(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_held_lock_fails_with_the_holders_pid(
    promptdeck_script: Path, library_file: Path
) -> None:
    with hold(library_file, 20) as holder:
        started = time.monotonic()
        done = run(promptdeck_script, library_file, "--lock-timeout", "0.5", "list")
        assert time.monotonic() - started < 10
        assert done.returncode == 1
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("promptdeck: ")
        assert f"locked by process {holder.pid}" in lines[0]
        assert done.stdout == ""


def test_a_lock_released_in_time_is_waited_for(promptdeck_script: Path, library_file: Path) -> None:
    hold_for = 1.0
    with hold(library_file, hold_for):
        ready_at = time.monotonic()
        done = run(promptdeck_script, library_file, "add", "--name", "Second", stdin="Waited.")
        waited = time.monotonic() - ready_at
        assert done.returncode == 0, done.stderr
        assert waited >= hold_for * 0.9  # it could only have succeeded once the lock was free
    with Library(library_file, read_only=True) as lib:
        assert sorted(p.name for p in lib.prompts.list_prompts()) == ["Second", "Shared"]
