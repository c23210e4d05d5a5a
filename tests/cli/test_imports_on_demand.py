"""A verb imports only what it needs: `--help`, `list`, `show` and `render` load none of
numpy, pyarrow, httpx or Textual, and `search` only numpy (issue 18: a CLI fast enough for
scripts and shell pickers).

Each command runs in a fresh interpreter (through tui.main.main, as the console script does)
on a real library file, which then reports every module it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

import storage
from tui.cli.verbs import VERBS, verb_command

HEAVY = ("numpy", "pyarrow", "httpx", "textual")

_RUN = """\
import json, sys
from tui.main import main
report, args = sys.argv[1], sys.argv[2:]
try:
    main(args, prog_name="promptdeck")
except SystemExit as done:
    code = done.code or 0
with open(report, "w", encoding="utf-8") as file:
    json.dump({"code": code, "modules": sorted(sys.modules)}, file)
"""


def _run(tmp_path: Path, db: Path, *args: str) -> tuple[str, list[str]]:
    """Runs `promptdeck --db DB ARGS` in a new process: its stdout and the modules it loaded."""
    report = tmp_path / "report.json"
    env = {**os.environ, "PROMPTDECK_CONFIG": str(tmp_path / "config.toml")}
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(report), "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["code"] == 0, (args, done.stdout, done.stderr)
    return done.stdout, found["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("--help",), "Commands:"),
        (("list",), "Summarise"),
        (("list", "--json", "--limit", "1"), '"name": "Explain"'),
        (("show", "Summarise"), "writing/summaries"),
        (("show", "Summarise", "--json"), '"relationships"'),
        (("show", "Explain", "--content-only"), "Explain {{topic}} simply."),
        (("render", "Summarise", "topic=tea", "audience=children"), "Summarise tea for children."),
        (("runs",), "no runs yet"),
        (("runs", "Summarise", "--json"), "[]"),
    ],
)
def test_a_reading_verb_imports_no_numpy_arrow_httpx_or_textual(
    tmp_path: Path, db: Path, sample: dict[str, str], args: tuple[str, ...], shown: str
) -> None:
    out, modules = _run(tmp_path, db, *args)
    assert shown in out
    assert "duckdb" in modules or args == ("--help",)  # it did run against the library
    assert _heavy(modules) == []


def test_a_short_id_works_too(tmp_path: Path, db: Path, sample: dict[str, str]) -> None:
    out, modules = _run(tmp_path, db, "show", sample["Summarise"][-8:])
    assert sample["Summarise"] in out
    assert _heavy(modules) == []


@pytest.mark.parametrize("mode", ["text", "semantic", "hybrid"])
def test_a_search_imports_numpy_and_nothing_else_heavy(
    tmp_path: Path, db: Path, sample: dict[str, str], mode: str
) -> None:
    """A one-shot search ranks in DuckDB: no Arrow tables, no HTTP client (the bundled model
    embeds the query), and only the query's rows of the model's table (no safetensors)."""
    out, modules = _run(tmp_path, db, "search", "summarise", "--mode", mode)
    assert "Summarise" in out
    assert "numpy" in modules  # the query's vector, and BM25: names come when the verb needs them
    assert [m for m in _heavy(modules) if not m.startswith("numpy")] == []
    assert "safetensors" not in modules


def test_every_facade_name_is_there_when_asked_for() -> None:
    """The names storage imports on first use resolve to their modules' objects."""
    for name in storage.__all__:
        assert getattr(storage, name) is not None, name
    for name, module in storage._ON_USE.items():
        assert getattr(storage, name) is getattr(import_module(module), name), name
    assert set(storage._ON_USE) <= set(storage.__all__) <= set(dir(storage))
    with pytest.raises(AttributeError, match="no_such_name"):
        storage.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    "args",
    [("list",), ("show", "Summarise"), ("search", "summarise", "--mode", "hybrid")],
)
def test_a_prompt_verb_imports_no_other_verbs_or_services(
    tmp_path: Path, db: Path, sample: dict[str, str], args: tuple[str, ...]
) -> None:
    """Verbs are imported when they run (tui.cli.verbs) and the Library builds analytics,
    runs and evals on first use: a verb on prompts loads none of their modules."""
    _, modules = _run(tmp_path, db, *args)
    assert f"tui.cli.{VERBS[args[0]]}" in modules
    others = ("tui.cli.analytics", "tui.cli.evals", "tui.cli.runs", "tui.cli.transfer")
    assert [m for m in modules if m.startswith(others)] == []
    unused = (
        "storage.analytics.models",
        "storage.analytics.reports",
        "storage.evals",
        "storage.runs",
    )
    assert [m for m in modules if m.startswith(unused)] == []


def test_every_verb_is_found_in_the_module_named_for_it() -> None:
    """VERBS names each command's module; every module's COMMANDS are in it."""
    found: dict[str, str] = {}
    for module in sorted(set(VERBS.values())):
        for command in import_module(f"tui.cli.{module}").COMMANDS:
            found[str(command.name)] = module
    assert found == VERBS
    assert all(verb_command(name).name == name for name in VERBS)
