"""LibraryTree: the sidebar of folders, tags and the archive; choosing a node filters the list."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from storage.models import Tag


@dataclass(frozen=True)
class Scope:
    """What a sidebar node narrows the list to."""

    folder: str | None = None
    tag: str | None = None
    archived: bool = False


class LibraryTree(Tree[Scope]):
    DEFAULT_CSS = """
    LibraryTree { padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("Library", data=Scope(), id=id)
        self.show_root = False
        self.guide_depth = 2

    def populate(
        self, total: int, archived: int, folders: list[tuple[str, int]], tags: list[Tag]
    ) -> None:
        """Rebuild the nodes, keeping the one under the cursor if it still exists."""
        keep = self.cursor_node.data if self.cursor_node else None
        self.clear()
        self.root.add_leaf(_label("All prompts", total), data=Scope())
        folder_root = self.root.add("Folders", data=None, expand=True)
        nodes: dict[str, TreeNode[Scope]] = {}
        for path, count in folders:
            parent_path, _, name = path.rpartition("/")
            parent = nodes.get(parent_path, folder_root)
            has_children = any(f.startswith(path + "/") for f, _ in folders)
            label = _label(name, count)
            scope = Scope(folder=path)
            node = (
                parent.add(label, data=scope, expand=False)
                if has_children
                else parent.add_leaf(label, data=scope)
            )
            nodes[path] = node
        tag_root = self.root.add("Tags", data=None, expand=True)
        for tag in tags:
            if tag.prompts:
                tag_root.add_leaf(_label(f"#{tag.name}", tag.prompts), data=Scope(tag=tag.name))
        self.root.add_leaf(_label("Archived", archived), data=Scope(archived=True))
        self._restore_cursor(keep)

    def _restore_cursor(self, keep: Scope | None) -> None:
        if keep is None:
            return
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and node.data == keep:
                self.move_cursor(node)
                return


def _label(name: str, count: int) -> Text:
    return Text.assemble(name, " ", (f"{count:,}", "dim"))
