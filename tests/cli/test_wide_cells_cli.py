"""The CLI's tables measure wide characters (CJK, emoji) in terminal cells."""

from __future__ import annotations

import re

from rich.cells import cell_len

from tests.cli.conftest import Cli

WIDE_NAME = "日本語のレビュー 🚀 依頼文のテンプレート"


def test_the_cli_list_aligns_columns_after_wide_cells(cli: Cli) -> None:
    cli.ok("add", "--name", WIDE_NAME, "--tag", "レビュー", stdin="Review this.")
    cli.ok("add", "--name", "Plain", "--tag", "plain", stdin="Something else.")
    header, *rows = cli.ok("list").splitlines()
    for line in rows:
        found = re.search(r"\d{4}-\d{2}-\d{2}", line)
        assert found is not None, line
        start = cell_len(line[: found.start()])  # where the UPDATED column starts
        assert start == cell_len(header[: header.index("UPDATED")]), (header, line)
