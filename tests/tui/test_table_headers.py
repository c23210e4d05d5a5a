"""The sorted column's header keeps its arrow: "Score ▼" in a 6-column cell was cut to
"Score…" on every search (and "Rating ▼" to "Ratin…"), so the list said neither what ranks
it nor which way."""

from __future__ import annotations

import pytest

from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.widgets.prompt_table import PromptTable


def header(app: PromptdeckApp) -> str:
    return app.screen.query_one(PromptTable).render_line(0).text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_sorted_column_shows_its_arrow(
    app: PromptdeckApp, settle: Settle, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"review")
        await settle(pilot)
        assert "Score▼" in header(app)
        assert "…" not in header(app)
        await pilot.press("escape", "ctrl+l", "s", "s", "s")  # updated -> name -> uses -> rating
        await settle(pilot)
        assert "Ratin▼" in header(app)
        assert "…" not in header(app)
