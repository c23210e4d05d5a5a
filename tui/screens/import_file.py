"""ImportScreen: a path, the format and column mapping it suggests, then the session summary.

Imports prompts, or (ctrl+t) generation logs. Dismisses with True when something was imported
(the list reloads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Select, Static

from storage import (
    IMPORT_FORMATS,
    REQUIRED_FIELDS,
    ImportPreview,
    ImportSummary,
    parse_generation_mapping,
    parse_mapping,
)
from storage.errors import PromptdeckError
from tui.messages import LibraryChanged, StatusMessage
from tui.screens.base import DeckScreen
from tui.widgets.status_line import StatusLine


@dataclass(frozen=True)
class Kind:
    """What a file holds: the words the screen uses for it and the fields it must map."""

    name: str
    files: str
    required: tuple[str, ...]
    skipped: str  # what a skipped row is


PROMPTS = Kind(
    "prompts",
    "File: .csv .json .jsonl .parquet, or a folder of .md files with front matter",
    ("name", "content"),
    "as duplicates",
)
GENERATIONS = Kind(
    "generations",
    "File: .csv .json .jsonl .parquet of LLM calls: prompt, provider, model, tokens_in, "
    "tokens_out (cost_usd, latency_ms, created_at, id optional)",
    REQUIRED_FIELDS,
    "already imported",
)


@dataclass
class ImportPreviewed(Message):
    preview: ImportPreview
    kind: Kind


@dataclass
class ImportDone(Message):
    summary: ImportSummary
    kind: Kind


@dataclass
class ImportFailed(Message):
    """What storage said about the file (a rejected row names its line), shown inline."""

    text: str


def mapping_text(mapping: dict[str, str]) -> str:
    return " ".join(f"{field}={column}" for field, column in mapping.items() if field != column)


class ImportScreen(DeckScreen[bool]):
    CSS_PATH = "import_file.tcss"
    AUTO_FOCUS = "#import-path"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="import.back", tooltip="Back to the prompt list"),
        Binding(
            "ctrl+r",
            "run",
            "Import",
            id="import.run",
            tooltip="Import the file with this format and mapping",
        ),
        Binding(
            "ctrl+t",
            "switch_kind",
            "Kind",
            id="import.kind",
            tooltip="Import prompts, or generation logs (LLM calls made with prompts)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.imported = 0
        self.kind = PROMPTS

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-body"):
            yield Static(self._title(), id="import-title", classes="title")
            yield Static(self.kind.files, id="import-files", classes="label")
            yield Input(placeholder="path, then enter", id="import-path")
            with Horizontal(id="import-options"):
                yield Static("Format", classes="inline-label")
                yield Select(
                    [(f, f) for f in IMPORT_FORMATS],
                    prompt="from the name",
                    id="import-format",
                )
                yield Static("Map", classes="inline-label")
                yield Input(placeholder="field=column ...", id="import-mapping")
            yield Static(id="import-preview")
            yield Static(
                "enter on the path reads it · enter on Map (or ctrl+r) imports · esc back",
                classes="hint",
            )
            yield Static(id="import-result")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "import"

    def _title(self) -> str:
        return f"Import {self.kind.name} from a file"

    def action_switch_kind(self) -> None:
        """Prompts <-> generations: the mapping is suggested again for the path typed."""
        self.kind = GENERATIONS if self.kind is PROMPTS else PROMPTS
        self.query_one("#import-title", Static).update(self._title())
        self.query_one("#import-files", Static).update(self.kind.files)
        self.query_one("#import-mapping", Input).value = ""
        self.query_one("#import-preview", Static).update("")
        self._show("")
        path = self.query_one("#import-path", Input).value.strip()
        if path:
            self.preview(path, self._format())

    def _format(self) -> str | None:
        value = self.query_one("#import-format", Select).value
        return value if isinstance(value, str) else None

    def _show(self, text: str, *, error: bool = False) -> None:
        result = self.query_one("#import-result", Static)
        result.set_class(error, "-error")
        result.update(text)

    @on(Input.Submitted, "#import-path")
    def _read_path(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._show("")
            self.preview(event.value.strip(), self._format())

    @on(Input.Submitted, "#import-mapping")
    def _submit_mapping(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self._show("path: type the file to import first", error=True)
            return
        pairs = self.query_one("#import-mapping", Input).value.split()
        self._show("importing ...")
        self.run_import(path, self._format(), pairs)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def preview(self, path: str, fmt: str | None) -> None:
        kind, library = self.kind, self.deck.library
        try:
            if kind is GENERATIONS:
                found = library.generation_imports.preview(path, fmt)
            else:
                found = library.imports.preview(path, fmt)
        except PromptdeckError as error:
            self.post_message(ImportFailed(str(error)))
            return
        self.post_message(ImportPreviewed(found, kind))

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run_import(self, path: str, fmt: str | None, pairs: list[str]) -> None:
        kind, library = self.kind, self.deck.library
        try:
            if kind is GENERATIONS:
                summary = library.generation_imports.run(path, fmt, parse_generation_mapping(pairs))
            else:
                summary = library.imports.run(path, fmt, parse_mapping(pairs))
        except PromptdeckError as error:
            self.post_message(ImportFailed(str(error)))
            return
        self.post_message(ImportDone(summary, kind))
        if summary.imported:
            self.app.post_message(LibraryChanged())

    def on_import_previewed(self, message: ImportPreviewed) -> None:
        if message.kind is not self.kind:
            return  # read before a switch of kind
        preview = message.preview
        self.query_one("#import-mapping", Input).value = mapping_text(preview.mapping)
        fields = ", ".join(f"{f} <- {c}" for f, c in preview.mapping.items())
        missing = [f for f in self.kind.required if f not in preview.mapping]
        if missing:
            fields += f"{'; ' if fields else ''}(map {' and '.join(missing)})"
        self.query_one("#import-preview", Static).update(
            f"[b]{preview.format}[/b], {preview.rows:,} rows; columns: {', '.join(preview.columns)}"
            f"\nfields: {fields}"
        )
        self.query_one("#import-mapping", Input).focus()

    def on_import_done(self, message: ImportDone) -> None:
        summary, kind = message.summary, message.kind
        self.imported += summary.imported
        noun = " generations" if kind is GENERATIONS else ""
        self._show(
            f"[b]Imported {summary.imported:,}{noun}[/b] · skipped {summary.skipped:,} "
            f"{kind.skipped} · rejected {summary.rejected}"
            + (
                f"\nignored columns: {', '.join(summary.ignored_columns)}"
                if summary.ignored_columns
                else ""
            )
        )
        self.post_message(StatusMessage(f"import session {summary.session_id[-8:]} recorded"))

    def on_import_failed(self, message: ImportFailed) -> None:
        self._show(message.text, error=True)

    def action_back(self) -> None:
        self.dismiss(self.imported > 0)
