"""The table asks for its next page half a screenful before the last row: a search's first
page (100 rows) is not followed at once by a second ranking for the next (which shared the
two cores with the next keystroke), and a page down still finds its rows loaded. Rows after
the first page are drawn from the page appended."""

from __future__ import annotations

import pyarrow as pa  # type: ignore[import-untyped]
from textual.app import App, ComposeResult

from storage.models import PromptPage
from tui.widgets.prompt_table import PromptTable


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def compose(self) -> ComposeResult:
        yield PromptTable(id="table")

    def on_prompt_table_need_more(self, event: PromptTable.NeedMore) -> None:
        self.asked.append(event.offset)


def page(start: int, rows: int, total: int) -> PromptPage:
    ids = [f"p{i:05}" for i in range(start, start + rows)]
    return PromptPage(pa.table({"id": ids, "name": ids}), total, start)


async def test_the_next_page_is_asked_for_half_a_screenful_ahead() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(PromptTable)
        table.set_data(page(0, 100, 5000))
        await pilot.pause()
        assert app.asked == []  # 30 rows shown of 100 loaded
        table.focus()
        await pilot.press("pagedown", "pagedown")  # a page is 28 rows: the cursor on row 56
        await pilot.pause()
        assert app.asked == []  # rows 28 .. 56 on screen, 43 more below them
        await pilot.press("pagedown")  # row 84: the last loaded row is 14 rows below the screen
        await pilot.pause()
        assert app.asked == [100]
        table.append(page(100, 100, 5000))
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.asked == [100] and table.row_count == 200 and table.cursor == 112
        # Drawn from the appended rows (the window of rows 0-127 held only 100 of them: the
        # rows after 99 raised IndexError once the next page came).
        assert str(table.render_line(1 + 112 - table.scroll_offset.y).text).strip()
        assert table._row(110)["id"] == "p00110"
