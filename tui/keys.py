"""`key`: a Binding on one line, with the id (for the keymap) and tooltip every binding has."""

from __future__ import annotations

from textual.binding import Binding


def key(
    keys: str, action: str, description: str, binding_id: str, tooltip: str, *, show: bool = True
) -> Binding:
    return Binding(keys, action, description, show=show, id=binding_id, tooltip=tooltip)
