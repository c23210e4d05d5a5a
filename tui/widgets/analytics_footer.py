"""QuietFooter: Textual's Footer, recomposed only when the keys it would show change."""

from __future__ import annotations

from textual.widgets import Footer


class QuietFooter(Footer):
    """Footer recomposes (removes and mounts a widget per key) on every bindings change, and a
    screen that opens and then focuses a widget sends several in a row with the same keys:
    this one lets a recompose through only when what it would show differs."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._shown: object = None

    def _keys(self) -> object:
        """What compose reads: the shown bindings, their state, and the palette key."""
        bindings = self.screen.active_bindings
        palette = bindings.get(self.app.COMMAND_PALETTE_BINDING)
        return (
            self.compact,
            self.show_command_palette,
            tuple((b, enabled, tip) for _, b, enabled, tip in bindings.values() if b.show),
            palette[1:] if palette else None,
        )

    async def recompose(self) -> None:
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await super().recompose()
