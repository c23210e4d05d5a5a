"""Bad input that used to end in a traceback: one line on stderr, exit 1, library unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tui.shared.settings import ConfigError, Settings

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


@pytest.mark.parametrize("statement", ["", ";", "  ; ;", "/* only a comment */"])
def test_sql_refuses_an_empty_statement(cli: Cli, statement: str) -> None:
    cli.add("One", "Some content.")
    line = cli.fails("sql", statement)
    assert "sql: " in line and "empty" in line


@pytest.mark.parametrize("depth", [65, 5_000])
@pytest.mark.parametrize("verb", ["add", "edit"])
def test_deeply_nested_metadata_is_refused(cli: Cli, verb: str, depth: int) -> None:
    cli.add("One", "Some content.")
    before = cli.counts()
    nested = '{"a": ' * depth + "1" + "}" * depth
    target = ("add", "--name", "Two") if verb == "add" else ("edit", "One")
    line = cli.fails(*target, "--metadata", nested, stdin="Other content.")
    assert "metadata: nests" in line
    assert cli.counts() == before


def test_a_64_level_metadata_object_is_kept(cli: Cli) -> None:
    nested = '{"a": ' * 64 + "1" + "}" * 64
    cli.add("Deep", "Some content.", "--metadata", nested)


@pytest.mark.parametrize("depth", [65, 5_000])
def test_a_deeply_nested_config_is_a_config_error(tmp_path: Path, depth: int) -> None:
    config = tmp_path / "config.toml"
    config.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml: .*nest more than 64"):
        Settings.load(config)


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-0.5", "1e400"])
def test_a_lock_timeout_that_is_not_a_finite_wait_is_a_usage_error(cli: Cli, seconds: str) -> None:
    """Like every bad option value: exit 2 before the library file is opened."""
    assert "--lock-timeout" in cli.fails("--lock-timeout", seconds, "list", code=2)
    assert not cli.db.exists()


def test_a_byte_order_mark_before_a_csv_header_is_not_part_of_the_first_column(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "prompts.csv"
    source.write_bytes("\ufeffname,content\nGreet,Say hello.\n".encode())
    cli.ok("import", str(source))
    assert [p["name"] for p in cli.json("list")] == ["Greet"]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("prompts.csv", "name,,content\nGreet,x,Say hello.\n", "line 1: column 2 has no name"),
        ("prompts.csv", "name, ,content\nGreet,x,Say hello.\n", "line 1: column 2 has no name"),
        ("prompts.jsonl", '{"name": "Greet", "": 1, "content": "Hi."}\n', "a key has no name"),
    ],
)
def test_an_unnamed_column_is_refused(
    cli: Cli, tmp_path: Path, name: str, text: str, where: str
) -> None:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert f"{name}: {where}" in line
    assert cli.counts() == before


def test_a_time_in_the_future_is_shown_as_written(cli: Cli) -> None:
    cli.add("One", "Some content.")
    before = cli.counts()
    line = cli.fails(*_LOG, "--at", "2999-01-01")
    assert line.endswith("at: must be a time no later than now (got 2999-01-01T00:00:00)")
    assert "datetime" not in line
    assert cli.counts() == before


def test_a_time_with_an_offset_is_taken_as_that_instant(cli: Cli) -> None:
    cli.add("One", "Some content.")
    cli.ok(*_LOG, "--at", "2020-01-01T02:00+02:00")
    assert "2999" in cli.fails(*_LOG, "--at", "2999-01-01T00:00+02:00")


_LOG: tuple[str, ...] = ("log-generation", "One", "--provider", "p", "--model", "m")
_LOG += ("--tokens-in", "1", "--tokens-out", "1")
