"""Broken and hostile files from the command line: one line naming what and where, exit 1,
and the library exactly as it was."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli
from tests.storage.test_bad_transfers import UNCLOSED, UNCLOSED_GENERATIONS


def test_an_unclosed_quote_is_one_line_naming_it(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "u.csv"
    source.write_text(UNCLOSED, "utf-8")
    before = cli.counts()
    line = cli.fails("import", str(source))
    assert line == (
        f"promptdeck: {source}: line 4: a quoted field is never closed (it runs to the end "
        "of the file); nothing imported"
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(UNCLOSED_GENERATIONS, "utf-8")
    line = cli.fails("import", str(calls), "--generations")
    assert line.startswith(f"promptdeck: {calls}: line 3: a quoted field is never closed")
    assert cli.counts() == before
