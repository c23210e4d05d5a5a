"""Bad input that used to end in a traceback: one line on stderr, exit 1, library unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


@pytest.mark.parametrize("statement", ["", ";", "  ; ;", "/* only a comment */"])
def test_sql_refuses_an_empty_statement(cli: Cli, statement: str) -> None:
    cli.add("One", "Some content.")
    line = cli.fails("sql", statement)
    assert "sql: " in line and "empty" in line
