"""Wide characters (CJK, emoji) take two terminal cells: rows and columns are measured in cells."""

from __future__ import annotations

from rich.cells import cell_len

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.shared.formatting import clip, fit
from tui.widgets.prompt_table import PromptTable

WIDE_NAME = "日本語のレビュー 🚀 依頼文のテンプレート"


def test_fit_clips_and_pads_by_cells() -> None:
    for width in (1, 5, 9, 12, 40):
        assert cell_len(fit(WIDE_NAME, width)) == width
        assert cell_len(fit(WIDE_NAME, width, right=True)) == width
        assert cell_len(clip(WIDE_NAME, width)) <= width
    assert clip(WIDE_NAME, 8).endswith("…")
    assert fit("abc", 5, right=True) == "  abc"


async def test_a_wide_name_keeps_the_browse_row_in_its_columns(
    sample_library: Library, app: PromptdeckApp, settle: Settle
) -> None:
    prompt = sample_library.prompts.create(WIDE_NAME, "Review this: {{text}}", tags=("レビュー",))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PromptTable)
        row = table._ids.index(prompt.id)
        header = table.render_line(0).text
        line = table.render_line(row + 1 - int(table.scroll_offset.y)).text
        assert cell_len(line) == cell_len(header)
        # The Updated column starts where its header does, and shows the whole date.
        updated = header.index("Updated")
        date = prompt.updated_at.strftime("%Y-%m-%d")
        assert date in line
        assert cell_len(line[: line.index(date)]) == cell_len(header[:updated])
