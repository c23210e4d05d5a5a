"""PromptPreview: the highlighted prompt's metadata and its content as markdown."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from storage import SearchHit, roles, templates
from storage.errors import ValidationError
from storage.models import Prompt, short_id
from tui.shared import formatting

# Markdown rendering of very large prompts would stall the UI; longer content is cut.
PREVIEW_LIMIT = 12_000


def metadata_table(
    prompt: Prompt, rating: float | None, ratings: int, similar: Sequence[SearchHit] = ()
) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    model = " / ".join(x for x in (prompt.provider, prompt.model) if x)
    rows = [
        ("id", short_id(prompt.id)),
        ("folder", prompt.folder or "—"),
        ("tags", formatting.tags(prompt.tags) or "—"),
        ("phase", prompt.phase or "—"),
        ("model", model or "—"),
        ("version", f"v{prompt.current_version}"),
        ("uses", str(prompt.usage_count)),
        ("rating", f"{formatting.rating(rating)} ({ratings})" if ratings else "—"),
        ("updated", formatting.date_time(prompt.updated_at)),
    ]
    if prompt.temperature is not None:
        rows.insert(5, ("temp", f"{prompt.temperature:g}"))
    chat = chat_roles(prompt.content)
    if chat:
        rows.append(("roles", chat))
    names = templates.variables(prompt.content)
    if names:
        rows.append(("vars", ", ".join(names)))
    if prompt.archived:
        rows.append(("archived", formatting.date_time(prompt.archived_at)))
    if similar:
        rows.append(("similar", "\n".join(f"{h.score:.2f} {h.name}" for h in similar)))
    for key, value in rows:
        grid.add_row(key, value)
    return grid


def chat_roles(content: str) -> str | None:
    """`system, user` for a chat prompt whose sections read; None otherwise."""
    if not roles.has_roles(content):
        return None
    try:
        return ", ".join(section.role for section in roles.sections(content))
    except ValidationError:
        return None


def as_markdown(content: str) -> str:
    """The content to show: a chat prompt's messages each under its role in bold."""
    if chat_roles(content) is None:
        return content
    return "\n\n".join(
        f"**▍{section.role}**\n\n{section.text}" for section in roles.sections(content)
    )


class PromptPreview(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    PromptPreview { padding: 0 1; }
    PromptPreview #preview-title { text-style: bold; color: $text-accent; }
    PromptPreview #preview-meta { margin-bottom: 1; }
    PromptPreview Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._shown: tuple[str, object] | None = None  # the prompt (id, updated_at) on show

    def compose(self) -> ComposeResult:
        yield Static(id="preview-title")
        yield Static(id="preview-meta")
        yield Markdown(id="preview-content")

    def show(
        self,
        prompt: Prompt | None,
        rating: float | None = None,
        ratings: int = 0,
        similar: Sequence[SearchHit] = (),
    ) -> None:
        title = self.query_one("#preview-title", Static)
        meta = self.query_one("#preview-meta", Static)
        content = self.query_one("#preview-content", Markdown)
        if prompt is None:
            self._shown = None
            title.update("")
            meta.update(Text("Nothing selected.", style="dim"))
            content.update("")
            return
        meta.update(metadata_table(prompt, rating, ratings, similar))
        if self._shown == (prompt.id, prompt.updated_at):
            return  # the same text (now with its neighbours): keep the reader's place
        self._shown = (prompt.id, prompt.updated_at)
        title.update(Text(prompt.name))
        if prompt.description:
            title.update(Text.assemble((prompt.name, "bold"), "\n", (prompt.description, "italic")))
        text = as_markdown(prompt.content)
        if len(text) > PREVIEW_LIMIT:
            more = formatting.size(text[PREVIEW_LIMIT:])
            text = text[:PREVIEW_LIMIT] + f"\n\n*… {more} more: open the prompt to see it all.*"
        content.update(text)
        self.scroll_home(animate=False)
