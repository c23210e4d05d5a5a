"""The project's shape as tests: import-linter contracts (pyproject `[tool.importlinter]`),
mypy --strict on storage, tui and tests, ruff lint and format on the whole repository.

Each tool runs as a subprocess from the repository root, through the executable installed
beside this interpreter (the `test` extra installs them all); its output is shown on failure.
Caches go outside the checkout, so the checks leave the working tree untouched."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "promptdeck-check-cache"


def run_tool(name: str, *args: str) -> None:
    tool = Path(sys.executable).parent / name
    if not tool.is_file():
        pytest.fail(f"{name} is not installed beside {sys.executable} (pip install -e '.[test]')")
    done = subprocess.run([str(tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} {' '.join(args)} failed:\n{done.stdout}{done.stderr}"


def test_import_contracts() -> None:
    run_tool("lint-imports", "--no-cache")


def test_mypy_strict() -> None:
    run_tool("mypy", "--strict", "--cache-dir", str(CACHE / "mypy"), "storage", "tui", "tests")


def test_ruff_check() -> None:
    run_tool("ruff", "check", "--cache-dir", str(CACHE / "ruff"), ".")


def test_ruff_format() -> None:
    run_tool("ruff", "format", "--check", "--cache-dir", str(CACHE / "ruff"), ".")
