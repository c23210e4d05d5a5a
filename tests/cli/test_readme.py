"""The README stays true to the code: set-up commands, how the suite runs, every verb, every
table and view."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click

from storage.db.database import TABLES
from tui.main import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_the_test_command_is_the_one_ci_runs() -> None:
    ci_command = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert f"\n{ci_command}\n" in _section("Set up")
    run = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/promptdeck"
    assert f"\n{run}\n" in _section("Set up")


def test_the_processes_the_suite_runs_in_are_the_ones_said() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    addopts = pyproject["tool"]["pytest"]["ini_options"]["addopts"].split()
    processes = addopts[addopts.index("-n") + 1]
    assert f"`-n {processes}` is in pyproject's pytest `addopts`" in _section("Set up")
    dist = addopts[addopts.index("--dist") + 1]
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert f"`-n {processes} --dist {dist}`" in architecture


def test_every_verb_has_an_example() -> None:
    examples = set(
        re.findall(r"^\$ promptdeck( [a-z-]+)( [a-z-]+)?", _section("CLI"), re.MULTILINE)
    )
    shown = {verb.strip() for verb, _ in examples} | {(a + b).strip() for a, b in examples}
    ctx = click.Context(main)
    verbs = main.list_commands(ctx)
    assert len(verbs) > 40  # every verb, imported from its module (tui.cli.verbs)
    for name in verbs:
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            for sub, subcommand in command.commands.items():
                if not subcommand.hidden:  # an alias the group's own usage stands for
                    assert f"{name} {sub}" in shown, f"{name} {sub}"
        else:
            assert name in shown, name


def test_every_table_and_view_is_described() -> None:
    model = _section("Data model")
    for table in TABLES:
        assert f"`{table}`" in model, table
    schema = (ROOT / "schema.sql").read_text(encoding="utf-8")
    views = re.findall(r"CREATE OR REPLACE VIEW (mart\.\w+)", schema)
    assert views
    for view in views:
        assert f"`{view}`" in model, view


def test_placeholder_sections_exist() -> None:
    assert _section("Tour").strip()
    assert _section("Benchmarks").strip()
