"""Text for humans (aligned tables, short dates, clipped cells) and JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import click
from rich.cells import cell_len, set_cell_size

from tui.shared.formatting import date_time


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def count(number: int, noun: str) -> str:
    """'1 prompt', '2 prompts', '1,000 generations'."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def echo_text(text: str) -> None:
    """Content exactly as stored (ANSI codes too); a final newline is added for a terminal."""
    click.echo(text, nl=False, color=True)
    if text and not text.endswith("\n") and sys.stdout.isatty():
        click.echo()


def rating(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def cell(value: Any) -> str:
    """One table cell: one line, dates to the minute, lists comma separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return date_time(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return " ".join(str(value).split())


def clip(text: str, width: int) -> str:
    """At most `width` terminal cells (a wide character takes two), ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Mapping[str, int] | None = None,
    right: Collection[str] = (),
    max_width: int = 60,
) -> str:
    """Columns as wide as their widest cell (clipped at `widths` or `max_width`)."""
    limits = [(widths or {}).get(h, max_width) for h in headers]
    body = [[clip(cell(v), limit) for v, limit in zip(row, limits, strict=True)] for row in rows]
    sizes = [max([cell_len(h), *(cell_len(r[i]) for r in body)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            pad(c, size, right=h in right) for c, size, h in zip(cells, sizes, headers, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(r) for r in body)])


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(width - cell_len(text), 0)
    return gap + text if right else text + gap


def fields_block(pairs: Sequence[tuple[str, Any]]) -> str:
    """`key  value` lines, values aligned (and their continuation lines); empty ones left out."""
    shown = [(k, v if isinstance(v, str) else cell(v)) for k, v in pairs]
    shown = [(k, v) for k, v in shown if v.strip()]
    width = max((len(k) for k, _ in shown), default=0)
    lines: list[str] = []
    for key, value in shown:
        first, *rest = value.splitlines()
        lines.append(f"{key.ljust(width)}  {first}".rstrip())
        lines.extend(" " * (width + 2) + line for line in rest)
    return "\n".join(lines)
