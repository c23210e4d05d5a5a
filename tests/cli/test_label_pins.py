"""`label set` on the command line: REF@N pins the version, --version 0 is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def tweet_of_three(cli: Cli) -> None:
    cli.add("Tweet", "v1")
    cli.ok("edit", "Tweet", stdin="v2")
    cli.ok("edit", "Tweet", stdin="v3")


def labels(cli: Cli) -> dict[str, int]:
    return {item["label"]: item["version"] for item in cli.json("label", "list", "Tweet")}


def test_label_set_at_a_pinned_version(cli: Cli) -> None:
    tweet_of_three(cli)
    assert cli.ok("label", "set", "Tweet@1", "pinned").endswith(": pinned -> version 1\n")
    assert cli.ok("label", "set", "Tweet@pinned", "same").endswith(": same -> version 1\n")
    assert cli.ok("show", "Tweet@pinned", "--content-only") == "v1"
    assert labels(cli) == {"pinned": 1, "same": 1}


def test_label_set_refuses_a_pin_and_another_version(cli: Cli) -> None:
    tweet_of_three(cli)
    line = cli.fails("label", "set", "Tweet@1", "staging", "--version", "2")
    assert line.startswith("promptdeck: version: ")
    assert labels(cli) == {}


def test_label_set_refuses_version_0(cli: Cli) -> None:
    tweet_of_three(cli)
    for number in ("0", "-1"):
        line = cli.fails("label", "set", "Tweet", "staging", "--version", number)
        assert line == f"promptdeck: version: versions start at 1 (got {number})"
    assert labels(cli) == {}
