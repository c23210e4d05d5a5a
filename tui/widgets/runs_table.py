"""RunsTable: a prompt's runs, newest first: when, version, status, model, tokens (~
estimated), cost, total time and the start of the output. Enter chooses one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from storage import Run
from tui.shared import formatting, run_format

OUTPUT_CELLS = 60


class RunsTable(DataTable[str]):
    @dataclass
    class Chosen(Message):
        run_id: str

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.runs: dict[str, Run] = {}

    def on_mount(self) -> None:
        for label in ("When", "v", "Status", "Model", "Tokens", "Cost", "Time", "Output"):
            self.add_column(label, key=label)

    def show(self, runs: list[Run]) -> None:
        self.clear()
        self.runs = {run.id: run for run in runs}
        for run in runs:
            self.add_row(
                run.created_at.strftime("%m-%d %H:%M"),
                str(run.version),
                run.status,
                formatting.clip(run.model, 16),
                run_format.short_tokens(run),
                run_format.cost(run, empty=""),
                run_format.ms(run.latency_ms),
                formatting.clip(run.output or run.error or "", OUTPUT_CELLS),
                key=run.id,
            )

    @property
    def highlighted(self) -> Run | None:
        if not self.runs or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return self.runs.get(key or "")

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.Chosen(event.row_key.value))
