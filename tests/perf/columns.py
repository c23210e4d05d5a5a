"""One column per library: a bench given `--db` more than once measures each library in a
process of its own (memory and first loads are figures of a process) and prints their rows
side by side, matched by label less what is in brackets (counts differ between libraries).

The bench runs itself with `--rows-to FILE` for each library and writes its rows there
(`write_rows`); `print_columns` runs them and prints the table."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

Row = tuple[str, str, str, str]  # figure, measured, target, vs reference


def write_rows(path: Path, heading: str, rows: list[Row]) -> None:
    path.write_text(json.dumps({"heading": heading, "rows": rows}))


def print_rows(rows: list[Row]) -> None:
    """One library's figures, a table of their own."""
    print_table([["figure", "measured", "target", "vs reference"], *map(list, rows)])


def print_table(lines: list[list[str]]) -> None:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def print_columns(script: str, dbs: list[Path], args: list[str], title: str) -> bool:
    """Run `script --db DB *args --rows-to FILE` for each library, then print the columns.
    True when every run met its targets (exit status 0; 1 is a miss, anything else fails)."""
    measured: list[tuple[str, dict[str, Row]]] = []
    labels: dict[str, str] = {}
    met = True
    for db in dbs:
        out = Path(tempfile.mkdtemp(prefix="bench-column-")) / "rows.json"
        try:
            command = [sys.executable, script, "--db", str(db), *args, "--rows-to", str(out)]
            code = subprocess.run(command).returncode
            if code not in (0, 1) or not out.is_file():
                raise SystemExit(f"{script} --db {db}: failed (exit status {code})")
            met = met and code == 0
            found = json.loads(out.read_text())
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
        rows: dict[str, Row] = {
            re.sub(r" ?\([^)]*\)", "", row[0]): (row[0], row[1], row[2], row[3])
            for row in found["rows"]
        }
        after = None  # a row only this library has goes after the one before it here
        for key, (label, *_) in rows.items():
            if key not in labels:
                items = list(labels.items())
                at = [k for k, _ in items].index(after) + 1 if after is not None else 0
                labels = dict(items[:at] + [(key, label)] + items[at:])
            after = key
        measured.append((found["heading"], rows))
    header = ["figure", "target"]
    for heading, _ in measured:
        header += [heading, "vs reference"]
    lines = [header]
    for key, label in labels.items():
        target = next((held[key][2] for _, held in measured if key in held), "")
        line = [label, target]
        for _, held in measured:
            row = held.get(key)
            line += [row[1], row[3]] if row else ["-", ""]
        lines.append(line)
    print(f"{title}; per library: measured, vs reference")
    print_table(lines)
    return met
