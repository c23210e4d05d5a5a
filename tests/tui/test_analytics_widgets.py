"""The drawing helpers of the analytics widgets: boxes, bars and sparklines."""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.renderables.sparkline import Sparkline

from tui.widgets.analytics_bars import Bar, bar_lines
from tui.widgets.analytics_box import box, side_by_side, split
from tui.widgets.analytics_series import sparkline

LOW, HIGH = Color.parse("#203040"), Color.parse("#ffa62b")


def cells(lines: list[Text], console: Console) -> list[list[tuple[str, Style | None]]]:
    """Each line as (character, style) per cell."""
    return [
        [(char, seg.style) for seg in line.render(console) for char in seg.text] for line in lines
    ]


@pytest.mark.parametrize(
    "data",
    [
        [],
        [0, 3.0],
        [0, 1, 1, 1],
        [0, 5, 2, 9, 9, 1, 0, 4],
        [0.0, *(random.Random(n).random() for n in range(91))],
    ],
)
@pytest.mark.parametrize(("width", "height"), [(78, 6), (39, 2), (5, 1), (120, 3)])
def test_sparkline_draws_what_textual_draws(data: list[float], width: int, height: int) -> None:
    """With a zero among the values, both scale from zero: the same cells, the same colours."""
    console = Console(width=width, color_system="truecolor")
    reference = Sparkline(
        data, width=width, height=height, min_color=LOW.rich_color, max_color=HIGH.rich_color
    )
    options = console.options.update(width=width, height=height)
    expected = [
        [(char, seg.style or None) for seg in line for char in seg.text]
        for line in console.render_lines(reference, options, pad=False)
    ]
    drawn = cells(sparkline([float(v) for v in data], width, height, LOW, HIGH), console)
    assert [[(c, s or None) for c, s in line] for line in drawn] == expected


def test_sparkline_scales_from_zero() -> None:
    """Unlike Textual's (from the smallest value): zero cost is a flat line, never full bars,
    and a quiet day is low, not empty."""
    console = Console(width=8, color_system="truecolor")

    def plain(data: list[float]) -> list[str]:
        return [line.plain for line in sparkline(data, 8, 2, LOW, HIGH)]

    assert plain([0.0]) == plain([0.0, 0.0]) == ["", "▁" * 8]
    assert plain([3.0]) == ["█" * 8] * 2
    quiet, busy = plain([1.0] * 4 + [8.0] * 4)
    assert busy.startswith("▂▂▂▂") and quiet == "    ████"
    assert cells(sparkline([2.0, 2.0], 8, 1, LOW, HIGH), console)[0][0][0] == "█"


def test_boxes_frame_their_lines_with_the_title_in_the_edge() -> None:
    border = Style(color="blue")
    body = [Text("$1.00"), Text("far too long a line")]
    lines = box("Cost", body, 12, 4, border=border, title_style=border)
    assert [line.plain for line in lines] == [
        "╭─ Cost ───╮",
        "│ $1.00    │",
        "│ far too… │",
        "╰──────────╯",
    ]
    assert all(line.cell_len == 12 for line in lines)
    assert [line.plain for line in side_by_side([lines[:1], lines[:1]])] == ["╭─ Cost ───╮" * 2]
    assert split(161, 2) == [80, 81] and sum(split(83, 5)) == 83


def test_bars_scale_to_the_largest_and_keep_the_figures_aligned() -> None:
    plain = Style()
    lines = bar_lines(
        [Bar("openai", 4, "$4.00"), Bar("a-very-long-provider", 1, "$1.00")],
        30,
        5,
        bar_style=plain,
        muted=plain,
        empty="none",
    )
    assert [line.plain for line in lines] == [
        "openai        ██████████ $4.00",
        "a-very-long-… ██▌        $1.00",
    ]
    nothing = bar_lines([], 30, 5, bar_style=plain, muted=plain, empty="none")
    assert [line.plain for line in nothing] == ["none"]
