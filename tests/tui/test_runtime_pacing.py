"""The app's pacing of Python's runtime: a shorter switch interval and full collections put off
until the keys pause, both given back when the app ends."""

from __future__ import annotations

import gc
import sys

from tests.tui.conftest import Settle
from tui import runtime_pacing
from tui.app import PromptdeckApp
from tui.runtime_pacing import FULL_COLLECTION_THRESHOLD, IDLE_BEFORE_COLLECTING, RuntimePacing


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_collection_waits_for_the_keys_to_pause() -> None:
    clock = Clock()
    pacing = RuntimePacing(clock)
    collected: list[int] = []

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            collected.append(info["generation"])

    gc.callbacks.append(noted)
    try:
        assert not pacing.collect_if_idle()  # nothing typed yet: nothing to collect
        pacing.key_pressed()
        clock.now += IDLE_BEFORE_COLLECTING / 2
        assert not pacing.collect_if_idle() and not collected  # still typing
        pacing.key_pressed()
        clock.now += IDLE_BEFORE_COLLECTING
        assert pacing.collect_if_idle() and collected == [2]
        clock.now += IDLE_BEFORE_COLLECTING
        assert not pacing.collect_if_idle()  # once per pause
    finally:
        gc.callbacks.remove(noted)


async def test_the_app_paces_the_runtime_and_gives_it_back(
    app: PromptdeckApp, settle: Settle
) -> None:
    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == FULL_COLLECTION_THRESHOLD
        assert sys.getswitchinterval() == runtime_pacing.SWITCH_INTERVAL
        assert gc.get_freeze_count() > 0  # what the app started with
        await pilot.press("down")
        assert not app._pacing._collected  # noqa: SLF001 - a key was seen
    assert gc.get_threshold() == thresholds and sys.getswitchinterval() == interval
