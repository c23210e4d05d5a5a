"""Fixtures for the CLI tests: a real library file in tmp_path and a runner bound to it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from storage import Library
from tui.main import main


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's library: the default path points into tmp_path."""
    monkeypatch.delenv("PROMPTDECK_DB", raising=False)
    monkeypatch.delenv("PROMPTDECK_LOCK_TIMEOUT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


class Cli:
    """`cli("list", "--json")` runs promptdeck in-process on one library file."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()
        self._library: Library | None = None

    def __call__(self, *args: str, stdin: str | bytes | None = None) -> Result:
        return self.runner.invoke(
            main, ["--db", str(self.db), *args], input=stdin, catch_exceptions=False
        )

    def ok(self, *args: str, stdin: str | bytes | None = None) -> str:
        new = not self.db.exists()
        result = self(*args, stdin=stdin)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        assert self._said(result, new) == [], result.stderr
        return result.stdout

    def fails(self, *args: str, stdin: str | bytes | None = None, code: int = 1) -> str:
        """Runs a failing command; returns its one stderr line (for a user error)."""
        new = not self.db.exists()
        result = self(*args, stdin=stdin)
        assert result.exit_code == code, (args, result.exit_code, result.stdout, result.stderr)
        if code == 1:
            lines = self._said(result, new)
            assert len(lines) == 1, result.stderr
            assert lines[0].startswith("promptdeck: "), lines
            assert result.stdout == ""
            return lines[0]
        return result.stderr

    def _said(self, result: Result, new: bool) -> list[str]:
        """The stderr lines, less the note a verb prints when it made the library file (which
        tests/cli/test_foreign_files.py checks)."""
        note = f"promptdeck: created a new library at {self.db}"
        lines = result.stderr.splitlines()
        return lines[1:] if new and lines[:1] == [note] else lines

    def json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", stdin=stdin))

    def add(self, name: str, content: str, *flags: str) -> str:
        """Adds a prompt and returns its id."""
        return self.ok("add", "--name", name, *flags, stdin=content).strip()

    def counts(self) -> dict[str, int]:
        """Library.table_counts() of the file, through a Library opened once."""
        if self._library is None:
            self._library = Library(self.db).open()
        return self._library.db.table_counts()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "library.duckdb"


@pytest.fixture
def cli(db: Path) -> Cli:
    return Cli(db)


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once through the CLI, copied for each test that wants it (a file copy is fast)."""
    cli = Cli(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    first = cli.add(
        "Summarise",
        "Summarise {{topic}} for {{audience}}.",
        "--folder",
        "writing/summaries",
        "--tag",
        "news",
        "--model",
        "gpt-4o",
        "--temperature",
        "0.2",
    )
    second = cli.ok("derive", first, "--name", "Explain", stdin="Explain {{topic}} simply.")
    return cli.db, {"Summarise": first, "Explain": second.strip()}


@pytest.fixture
def sample(cli: Cli, _sample_template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """Two prompts, the second derived from the first: their ids by name."""
    template, ids = _sample_template
    shutil.copyfile(template, cli.db)
    return dict(ids)


@pytest.fixture(scope="session")
def promptdeck_script() -> Path:
    """The installed console script, for end-to-end runs in a real process."""
    beside = Path(sys.executable).parent / "promptdeck"
    found = beside if beside.is_file() else shutil.which("promptdeck")
    if not found:
        pytest.skip("the promptdeck console script is not installed")
    return Path(found)
