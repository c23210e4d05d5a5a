"""BackupScreen: choose a folder, watch each table being written, read the manifest summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static
from textual.worker import Worker

from storage import BackupProgress, Manifest, default_backup_folder
from tui.messages import StatusMessage
from tui.screens.base import DeckScreen
from tui.shared.formatting import byte_size
from tui.widgets.status_line import StatusLine


@dataclass
class BackupStepped(Message):
    """A table was written (from the backup worker)."""

    step: BackupProgress


@dataclass
class BackupFinished(Message):
    manifest: Manifest
    folder: Path


class BackupScreen(DeckScreen[None]):
    CSS_PATH = "backup.tcss"
    AUTO_FOCUS = "#backup-folder"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="backup.back", tooltip="Back to the prompt list"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="backup-body"):
            yield Static("Back up the library to a folder of Parquet files", classes="title")
            yield Static("Folder (new or empty)", classes="label")
            yield Input(id="backup-folder")
            yield Static("enter starts the backup · esc goes back", classes="hint")
            yield ProgressBar(id="backup-progress", show_eta=False)
            yield DataTable(id="backup-tables", cursor_type="row", zebra_stripes=True)
            yield Static(id="backup-summary")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "backup"
        library = self.deck.library
        folder = default_backup_folder(library.db.name, library.db.clock())
        self.query_one("#backup-folder", Input).value = str(folder)
        table = self.query_one("#backup-tables", DataTable)
        table.add_column("Table", key="table")
        table.add_column("Rows", key="rows")
        # As wide as "1023.9 MB" from the start: the sizes arrive last and move no column.
        table.add_column("Size", key="size", width=len("1023.9 MB"))
        self.query_one("#backup-progress", ProgressBar).display = False

    @on(Input.Submitted, "#backup-folder")
    def _start(self, event: Input.Submitted) -> None:
        folder = event.value.strip()
        if self.running:
            return
        if not folder:
            self.post_message(StatusMessage("folder: type where the backup goes", error=True))
            return
        self.running = True
        self.query_one("#backup-tables", DataTable).clear()
        self.query_one("#backup-summary", Static).update("")
        progress = self.query_one("#backup-progress", ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        self.post_message(StatusMessage(f"backing up to {folder} ..."))
        self.run_backup(Path(folder).expanduser())

    @work(thread=True, exclusive=True, group="backup", exit_on_error=False)
    def run_backup(self, folder: Path) -> None:
        def stepped(step: BackupProgress) -> None:
            self.post_message(BackupStepped(step))

        manifest = self.deck.library.backups.write(folder, progress=stepped)
        self.post_message(BackupFinished(manifest, folder))

    @on(Worker.StateChanged)
    def _backup_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "backup" and event.worker.is_finished:
            self.running = False

    def on_backup_stepped(self, message: BackupStepped) -> None:
        step = message.step
        self.query_one("#backup-progress", ProgressBar).update(total=step.total, progress=step.done)
        table = self.query_one("#backup-tables", DataTable)
        table.add_row(step.table, Text(f"{step.rows:,}", justify="right"), "", key=step.table)
        table.move_cursor(row=table.row_count - 1)

    def on_backup_finished(self, message: BackupFinished) -> None:
        manifest = message.manifest
        table = self.query_one("#backup-tables", DataTable)
        for name, entry in manifest.tables.items():
            size = Text(byte_size(entry.bytes), justify="right")
            table.update_cell(name, "size", size)
        self.query_one("#backup-summary", Static).update(
            f"[b]Done.[/b] {len(manifest.tables)} tables, {manifest.rows:,} rows, "
            f"{byte_size(manifest.size)}, schema version {manifest.schema_version}\n"
            f"written to {message.folder} (with manifest.json; check it with "
            f"[i]promptdeck verify[/i])"
        )
        self.post_message(StatusMessage(f"backup written to {message.folder}"))

    def action_back(self) -> None:
        self.dismiss(None)
