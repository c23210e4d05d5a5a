"""Keys typed after quit (the word "quit" typed into the list, a paste) are not acted on: the
editor they opened mounted while the app closed, and its first query raised NoMatches, a
traceback on the user's terminal."""

from __future__ import annotations

from textual import events

from tests.tui.conftest import Settle
from tui.app import PromptdeckApp


async def test_keys_typed_after_quit_open_nothing(app: PromptdeckApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in "quest":  # q quits; u, e, ... arrive before the app has closed
            app.post_message(events.Key(key, key))
        await pilot.pause(0.5)
    assert app.return_code == 0
