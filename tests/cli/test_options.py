"""Global options: --db, PROMPTDECK_DB, the default library path, the TUI with no verb."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from storage import Library
from storage.db.paths import default_library_path
from tui.main import main


def _names(path: Path) -> list[str]:
    with Library(path, read_only=True) as lib:
        return [p.name for p in lib.prompts.list_prompts()]


def test_db_option_selects_the_library(tmp_path: Path) -> None:
    first, second = tmp_path / "one.duckdb", tmp_path / "nested" / "two.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(first), "add", "--name", "A"], input="a").exit_code == 0
    assert (
        runner.invoke(main, ["--db", str(second), "add", "--name", "B"], input="b").exit_code == 0
    )
    assert (_names(first), _names(second)) == (["A"], ["B"])


def test_environment_variable_selects_the_library(tmp_path: Path) -> None:
    path = tmp_path / "env.duckdb"
    runner = CliRunner(env={"PROMPTDECK_DB": str(path)})
    assert runner.invoke(main, ["add", "--name", "Env"], input="from env").exit_code == 0
    assert _names(path) == ["Env"]
    # --db wins over the environment.
    other = tmp_path / "flag.duckdb"
    assert runner.invoke(main, ["--db", str(other), "list"]).exit_code == 0
    assert other.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="the data dir there ignores HOME")
def test_default_library_is_created_on_first_use(tmp_path: Path) -> None:
    expected = default_library_path()  # conftest points HOME and XDG_DATA_HOME into tmp_path
    assert isinstance(expected, Path)
    assert expected.is_relative_to(tmp_path)
    if sys.platform.startswith("linux"):
        assert expected == tmp_path / "xdg-data" / "promptdeck" / "library.duckdb"
    assert not expected.exists()
    result = CliRunner().invoke(main, ["list"])
    assert (result.exit_code, result.stdout) == (0, "(no prompts)\n")
    assert expected.is_file()
    assert CliRunner().invoke(main, ["add", "--name", "D"], input="default").exit_code == 0
    assert _names(expected) == ["D"]


def test_lock_timeout_option_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[float] = []
    original = Library.__init__

    def spy(self: Library, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs["lock_timeout"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(Library, "__init__", spy)
    db = str(tmp_path / "l.duckdb")
    CliRunner().invoke(main, ["--db", db, "--lock-timeout", "0.25", "list"], catch_exceptions=False)
    CliRunner(env={"PROMPTDECK_LOCK_TIMEOUT": "1.5"}).invoke(main, ["--db", db, "list"])
    CliRunner().invoke(main, ["--db", db, "list"])
    assert seen == [0.25, 1.5, 5.0]


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, bool, bool, float]]:
    calls: list[tuple[Path, bool, bool, float]] = []
    module = types.ModuleType("tui.app")

    def run_app(
        path: Path, *, demo: bool = False, read_only: bool = False, lock_timeout: float = 5.0
    ) -> None:
        calls.append((path, demo, read_only, lock_timeout))

    module.__dict__["run_app"] = run_app
    monkeypatch.setitem(sys.modules, "tui.app", module)
    return calls


def test_no_verb_opens_the_tui(
    fake_app: list[tuple[Path, bool, bool, float]], tmp_path: Path
) -> None:
    db = tmp_path / "tui.duckdb"
    assert CliRunner().invoke(main, ["--db", str(db)]).exit_code == 0
    assert CliRunner().invoke(main, ["--db", str(db), "--demo", "--read-only"]).exit_code == 0
    assert CliRunner().invoke(main, ["--lock-timeout", "0.5"]).exit_code == 0
    assert fake_app == [
        (db, False, False, 5.0),
        (db, True, True, 5.0),
        (default_library_path(), False, False, 0.5),
    ]


def test_help_lists_every_verb() -> None:
    text = CliRunner().invoke(main, ["--help"]).stdout
    verbs = "add list show edit versions diff revert derive link unlink render use rate"
    for verb in [*verbs.split(), "tag", "label", "archive", "unarchive", "rm", "stats", "sql"]:
        assert f"  {verb} " in text, verb
    assert "audit" in text


def test_each_verb_releases_the_file_when_it_ends(tmp_path: Path) -> None:
    """A verb keeps one connection while it runs; after it (even after an error) the file is
    free: a differently configured (read-only) connection in this process would be refused."""
    db = str(tmp_path / "release.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "add", "--name", "A"], input="a").exit_code == 0
    assert runner.invoke(main, ["--db", db, "show", "A"]).exit_code == 0
    assert runner.invoke(main, ["--db", db, "rate", "A", "9"]).exit_code == 1
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM prompts").fetchone() == (1,)
    finally:
        con.close()
