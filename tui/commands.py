"""Command palette: every action of the current screen, and every prompt by name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from storage.models import PromptFilter, short_id
from tui.deck import deck_of


class PromptdeckCommands(Provider):
    """Actions come from the active bindings of the screen the palette was opened on (so they
    follow the keymap); prompts are looked up in the library as you type."""

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        found: dict[str, tuple[str, str, Callable[[], object]]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not active.enabled:
                continue
            if binding.action in ("command_palette", "app.command_palette"):
                continue
            key = self.app.get_key_display(binding)
            run = partial(self.app.run_action, binding.action, active.node)
            found.setdefault(binding.description, (binding.description, key, run))
        return sorted(found.values(), key=lambda item: item[0])

    async def discover(self) -> Hits:
        for description, key, run in self._actions():
            yield DiscoveryHit(description, run, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, key, run in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, matcher.highlight(description), run, help=f"key: {key}")
        if len(query.strip()) < 2:
            return
        prompts = await asyncio.to_thread(
            deck_of(self.app).library.prompts.list_prompts,
            PromptFilter(text=query.strip()),
            limit=25,
        )
        for prompt in prompts:
            label = f"Open prompt: {prompt.name}"
            yield Hit(
                max(matcher.match(label), 0.1),
                matcher.highlight(label),
                partial(self._open, prompt.id),
                help=f"{short_id(prompt.id)} · {prompt.folder or 'no folder'}",
            )

    def _open(self, prompt_id: str) -> None:
        deck_of(self.app).open_prompt(prompt_id)
