"""EvalMatrix: an eval's cases (rows) against its targets (columns: a version and a model),
each cell the verdict in its colour (pass green, fail red, error yellow, not yet run dim).
Enter on a cell chooses its result."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from storage import EvalCase, EvalResult, EvalTarget
from tui.shared import formatting

CASE_CELLS = 34
STYLES = {"pass": "bold green", "fail": "bold red", "error": "bold yellow"}
WORDS = {"pass": "pass", "fail": "FAIL", "error": "error"}


def case_label(case: EvalCase) -> str:
    """A case as a row names it: its description, else its variables."""
    said = case.description or ", ".join(f"{k}={v}" for k, v in case.vars.items()) or "(none)"
    return formatting.clip(said, CASE_CELLS)


def verdict_cell(result: EvalResult | None) -> Text:
    if result is None:
        return Text("·", style="dim")
    return Text(WORDS.get(result.verdict, result.verdict), style=STYLES.get(result.verdict, ""))


class EvalMatrix(DataTable[Text]):
    @dataclass
    class Chosen(Message):
        result: EvalResult

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.targets: list[EvalTarget] = []
        self.results: dict[tuple[str, EvalTarget], EvalResult] = {}

    def show(
        self,
        cases: list[EvalCase],
        targets: tuple[EvalTarget, ...] | list[EvalTarget],
        results: list[EvalResult],
    ) -> None:
        """Every case against every target; a later attempt of a cell replaces an earlier."""
        self.clear(columns=True)
        self.targets = list(targets)
        self.results = {(r.case_id, r.target): r for r in results}
        self.add_column("Case", key="case")
        for target in self.targets:
            self.add_column(target.label, key=target.label)
        for case in cases:
            cells = [verdict_cell(self.results.get((case.id, t))) for t in self.targets]
            self.add_row(Text(case_label(case)), *cells, key=case.id)
        if self.targets:  # on the first verdict, not the case's name: enter opens it
            self.move_cursor(column=1)

    def put(self, result: EvalResult) -> None:
        """One result as it arrives (its row and column are shown already)."""
        self.results[(result.case_id, result.target)] = result
        if result.target in self.targets:
            self.update_cell(result.case_id, result.target.label, verdict_cell(result))

    @property
    def highlighted_case(self) -> str | None:
        """The id of the case on the cursor's row."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    @property
    def highlighted(self) -> EvalResult | None:
        """The result under the cursor (on a case's name: its first target's)."""
        if not self.row_count or not self.targets:
            return None
        keys = self.coordinate_to_cell_key(self.cursor_coordinate)
        case_id = keys.row_key.value or ""
        column = max(self.cursor_column - 1, 0)
        if column >= len(self.targets):
            return None
        return self.results.get((case_id, self.targets[column]))

    @on(DataTable.CellSelected)
    def _selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        if (result := self.highlighted) is not None:
            self.post_message(self.Chosen(result))
