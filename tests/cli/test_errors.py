"""Bad input: exit 1, one line on stderr naming the problem, the library unchanged.
Usage errors: exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Cli

# (arguments, stdin, words the one stderr line must contain)
BAD_INPUT: list[tuple[tuple[str, ...], str | bytes | None, tuple[str, ...]]] = [
    (("add", "--name", "Hot", "--temperature", "7"), "Fine content.", ("temperature", "'7'")),
    (("add", "--name", "Hot", "--temperature", "warm"), "Fine content.", ("temperature",)),
    (("edit", "Summarise", "--temperature", "7"), None, ("temperature", "between 0 and 2")),
    (("add", "--name", "Big", "--max-tokens", "many"), "Fine content.", ("max_tokens",)),
    (("add", "--name", "Fmt", "--format", "html"), "Fine content.", ("format_type", "html")),
    (("rate", "Summarise", "9"), None, ("rating", "9")),
    (("rate", "Summarise", "0"), None, ("rating", "0")),
    (("rate", "Summarise", "4.5"), None, ("rating", "4.5")),
    (("rate", "Summarise", "five"), None, ("rating", "five")),
    (("show", "0123abcd"), None, ("no prompt matches", "0123abcd")),
    (("edit", "nope", "--model", "m"), None, ("no prompt matches", "nope")),
    (("rm", "nope"), None, ("nope",)),
    (("show", "Summarise@7"), None, ("no version 7",)),
    (("render", "Summarise", "topic=x"), None, ("missing template variable", "audience")),
    (("use", "Summarise", "topic=x"), None, ("missing template variable", "audience")),
    (("derive", "Explain", "--child", "Summarise"), None, ("cycle", "Summarise", "Explain")),
    (("derive", "Summarise", "--child", "Summarise"), None, ("itself",)),
    (
        ("add", "--name", "Again"),
        "Summarise {{topic}} for {{audience}}.",
        ("identical", "Summarise"),
    ),
    (("derive", "Summarise"), "Explain {{topic}} simply.", ("identical", "Explain")),
    (("add", "--name", "M", "--metadata", "{team: docs}"), "Fine content.", ("metadata", "JSON")),
    (("add", "--name", "M", "--metadata", "[1, 2]"), "Fine content.", ("metadata", "object")),
    (("add", "--name", "Empty"), "", ("content", "empty")),
    (("add", "--name", "Blank"), "  \n\t\n", ("content", "empty")),
    (("add", "--name", "Bytes"), b"\xff\xfe bad", ("content", "UTF-8")),
    (("add", "--name", "   "), "Fine content.", ("name", "empty")),
    (
        ("add", "--name", "F", "--file", "/nonexistent/prompt.txt"),
        None,
        ("/nonexistent/prompt.txt",),
    ),
    (("edit", "Summarise", "-m", "again"), None, ("nothing changed",)),
    (("edit", "Summarise"), "Summarise {{topic}} for {{audience}}.", ("nothing changed",)),
    (("revert", "Summarise", "1"), None, ("nothing changed",)),
    (("revert", "Summarise", "5"), None, ("no version 5",)),
    (("label", "set", "Summarise", "9lives"), None, ("label", "9lives")),
    (("label", "set", "Summarise", "latest"), None, ("label", "latest")),
    (("label", "rm", "Summarise", "production"), None, ("no label", "production")),
    (("tag", "colour", "news", "not a colour"), None, ("colour",)),
    (("tag", "add", "Summarise", "a,b"), None, ("tag", "commas")),
    (("link", "Summarise", "Summarise", "--type", "similar_to"), None, ("itself",)),
    (
        ("link", "Summarise", "Explain", "--type", "similar_to", "--strength", "3"),
        None,
        ("strength",),
    ),
    (("unlink", "Summarise", "Explain", "--type", "similar_to"), None, ("no similar_to link",)),
    (("unarchive", "Summarise"), None, ("not archived",)),
    (("sql", "DELETE FROM prompts"), None, ("sql", "read-only")),
    (("sql", "INSERT INTO tags VALUES ('x', NULL, now())"), None, ("sql",)),
]


@pytest.mark.parametrize(("args", "stdin", "words"), BAD_INPUT, ids=lambda v: str(v)[:40])
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    cli: Cli,
    sample: dict[str, str],
    args: tuple[str, ...],
    stdin: str | bytes | None,
    words: tuple[str, ...],
) -> None:
    before = cli.counts()
    line = cli.fails(*args, stdin=stdin)
    for word in words:
        assert word in line, line
    assert cli.counts() == before


def test_write_verbs_fail_on_a_read_only_library(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    line = cli.fails("--read-only", "edit", "Summarise", "--model", "m")
    assert "read-only" in line
    assert cli.counts() == before
    assert "Summarise" in cli.ok("--read-only", "list")


def test_read_only_needs_an_existing_library(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    result = cli("--db", str(missing), "--read-only", "list")  # the last --db wins
    assert result.exit_code == 1
    assert result.stderr == f"promptdeck: {missing}: no such library\n"
    assert not missing.exists()


def test_not_a_library_file(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("this is not a database", encoding="utf-8")
    result = cli("--db", str(junk), "list")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"promptdeck: {junk}")


USAGE: list[tuple[str, ...]] = [
    ("frobnicate",),
    ("show",),
    ("add",),
    ("edit",),
    ("rate", "Summarise"),
    ("render", "Summarise", "no-equals-sign"),
    ("link", "Summarise", "Explain"),
    ("link", "Summarise", "Explain", "--type", "likes"),
    ("list", "--sort", "colour"),
    ("list", "--limit", "0"),
    ("tag", "add", "Summarise"),
    ("tag", "paint"),
    ("label", "set", "Summarise"),
    ("diff", "Summarise", "one"),
    ("edit", "Summarise", "--tag", "a", "--clear-tags"),
    ("--demo", "list"),
    ("--lock-timeout", "-1", "list"),
    ("list", "--no-such-flag"),
]


@pytest.mark.parametrize("args", USAGE, ids=" ".join)
def test_usage_errors_exit_2_before_opening_the_library(cli: Cli, args: tuple[str, ...]) -> None:
    cli.fails(*args, code=2)
    assert not cli.db.exists()


def test_a_version_given_twice_is_a_usage_error(cli: Cli, sample: dict[str, str]) -> None:
    assert "not both" in cli.fails("show", "Summarise@1", "--version", "1", code=2)
