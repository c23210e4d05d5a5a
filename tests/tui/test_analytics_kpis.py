"""The analytics screen's headline boxes at 80 and 160 columns, with a library's worth of
figures: 13,710 uses read 1.4k (thousands were divided by ten thousand), and a 16-column box
cut the prompts figure to "1,946 · 661…" (what 661 counted was lost)."""

from __future__ import annotations

from datetime import date

import pytest
from textual.app import App, ComposeResult

from storage import Kpis
from storage.analytics.models import Period
from tui.widgets.analytics_kpis import KpiBoxes

KPIS = Kpis(
    period=Period.ending("30d", date(2026, 12, 3)),
    prompts=1_946,
    new_prompts=661,
    uses=13_710,
    generations=4_986,
    tokens_in=3_100_000,
    tokens_out=2_000_000,
    cost_usd=13.8,
    unpriced=0,
    ratings=985,
    avg_rating=3.64,
)


class KpiHost(App[None]):
    def compose(self) -> ComposeResult:
        yield KpiBoxes()


@pytest.mark.parametrize(("width", "prompts"), [(80, "1,946 +661"), (160, "1,946 · 661 new")])
async def test_headline_figures_are_true_and_whole(width: int, prompts: str) -> None:
    app = KpiHost()
    async with app.run_test(size=(width, 3)) as pilot:
        boxes = app.query_one(KpiBoxes)
        boxes.show(KPIS)
        await pilot.pause()
        figures = boxes.render_line(1).text
    assert "13.7k" in figures
    assert "5.1M" in figures
    assert prompts in figures
    assert "…" not in figures
