"""`key`: a Binding on one line, with the id (for the keymap) and tooltip every binding has;
the binding ids a keymap may name, and the place of a binding among its node's."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode


def key(
    keys: str,
    action: str,
    description: str,
    binding_id: str,
    tooltip: str,
    *,
    show: bool = True,
    priority: bool = False,
) -> Binding:
    return Binding(
        keys, action, description, show=show, priority=priority, id=binding_id, tooltip=tooltip
    )


def _declared(node_class: type[DOMNode]) -> list[Binding]:
    """The Bindings a node class declares, its bases' first (as Textual merges them)."""
    return [
        binding
        for cls in reversed(node_class.__mro__)
        for binding in vars(cls).get("BINDINGS", ())
        if isinstance(binding, Binding)
    ]


def binding_ids() -> set[str]:
    """Every binding id of every node class loaded (the app imports all its screens)."""
    ids: set[str] = set()
    classes: list[type[DOMNode]] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        ids.update(b.id for b in vars(cls).get("BINDINGS", ()) if isinstance(b, Binding) and b.id)
    return ids


def unknown_ids(keymap: Iterable[str]) -> list[str]:
    known = binding_ids()
    return sorted(binding_id for binding_id in keymap if binding_id not in known)


def keymap_warning(keymap: Iterable[str]) -> str | None:
    """What to say of a keymap that names bindings no screen has (None: nothing)."""
    if unknown := unknown_ids(keymap):
        return f"[keymap] names no binding: {', '.join(unknown)} (the ids are in help, ? or f1)"
    return None


def declared_place(node: DOMNode, binding: Binding) -> int:
    """Where `binding` is declared among its node's bindings (by id, else by action)."""
    declared = _declared(type(node))
    for place, candidate in enumerate(declared):
        if (binding.id and candidate.id == binding.id) or (
            not binding.id and candidate.action == binding.action
        ):
            return place
    return len(declared)


def in_declared_order(bindings: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """Active bindings node by node, each node's in the order declared (Textual puts priority
    bindings, and a key remapped in the keymap, last or first: the footer follows this)."""
    nodes = list(dict.fromkeys(active.node for active in bindings.values()))

    def place(item: tuple[str, ActiveBinding]) -> tuple[int, int]:
        active = item[1]
        return nodes.index(active.node), declared_place(active.node, active.binding)

    return dict(sorted(bindings.items(), key=place))
