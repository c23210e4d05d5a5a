"""Model labels cut to their box stay apart: at 160x48 "By model" and "Latency by model" showed
"anthropic/claud…" for two models, so a cost or a latency could not be told whose."""

from __future__ import annotations

import re

from tests.tui.conftest import Settle
from tests.tui.test_analytics_screen import drawn, open_analytics
from tui.app import PromptdeckApp
from tui.widgets.analytics_bars import Breakdowns


async def test_cut_model_labels_read_apart(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_analytics(pilot, settle)
        lines = drawn(screen.query_one(Breakdowns))
    per_box: dict[tuple[int, int], list[str]] = {}  # (row of boxes, column) -> labels
    row = 0
    for line in lines.splitlines():
        row += line.startswith("╭")
        for found in re.finditer(r"│ (\w+/\S+)", line):
            per_box.setdefault((row, found.start()), []).append(found.group(1))
    assert len(per_box) == 2, lines  # by model, latency by model
    for labels in per_box.values():
        assert len(labels) == len(set(labels)), labels
