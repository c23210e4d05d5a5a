"""EmptyHint: what browse shows instead of the list while the library has no prompt."""

from __future__ import annotations

from textual.widgets import Static

HINT = (
    "[b]This library is empty.[/b]\n\n"
    "Press [b]L[/b] to load the sample library (a dozen prompts with history),\n"
    "[b]n[/b] to write your first prompt, or [b]i[/b] to import a CSV, JSON,\n"
    "JSONL, Parquet file or a folder of Markdown files."
)


class EmptyHint(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(HINT, id=id)
