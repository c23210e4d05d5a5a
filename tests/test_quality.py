"""Lint, format and type checks as tests: ruff on storage and its tests, mypy --strict on storage.

Each tool runs as a subprocess from the repository root; a tool that is not installed skips
its test with the reason (install the `test` extra to get them all)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The data layer and the files that test it (the UI is checked by its own suite).
RUFF_PATHS = [
    "storage",
    "tests/storage",
    "tests/conftest.py",
    "tests/perf/generate.py",
    "tests/test_quality.py",
]


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ruff_check() -> None:
    done = run_tool("ruff", "check", *RUFF_PATHS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    done = run_tool("ruff", "format", "--check", *RUFF_PATHS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_storage() -> None:
    # The cache lives outside the checkout, so the check leaves the working tree untouched.
    cache = Path(tempfile.gettempdir()) / "promptdeck-mypy-cache"
    done = run_tool("mypy", "--strict", "--cache-dir", str(cache), "storage")
    assert done.returncode == 0, done.stdout + done.stderr
