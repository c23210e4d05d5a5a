"""How values read in the TUI and the CLI: dates, ratings, tags, sizes, errors."""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len, set_cell_size

from storage.errors import PromptdeckError


def date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def date_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def rating(value: float | None) -> str:
    return f"★{value:.1f}" if value is not None else ""


def tags(values: tuple[str, ...] | list[str] | None) -> str:
    return " ".join(f"#{t}" for t in values or ())


def size(text: str) -> str:
    count = len(text.encode("utf-8"))
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} KB"


def byte_size(count: int) -> str:
    """1536 -> '1.5 KB': sizes as people read them."""
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def clip(text: str, width: int) -> str:
    """One line of at most `width` terminal cells (ellipsis when cut): a wide character
    (CJK, most emoji) takes two cells, so lengths are measured in cells, not characters."""
    line = " ".join(text.split())
    if cell_len(line) <= width:
        return line
    return set_cell_size(line, max(0, width - 1)) + "…" if width > 0 else ""


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` clipped to `width` cells and padded to exactly `width` (on the left if `right`)."""
    shown = clip(text, width)
    gap = " " * max(width - cell_len(shown), 0)
    return gap + shown if right else shown + gap


def score(value: float) -> str:
    """A search score in at most 6 cells: BM25 (12.3), cosine (0.87) or fused (0.0325)."""
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def embed_summary(embedded: int, model: str, up_to_date: int, active_model: str | None) -> str:
    """An embedding run's report, naming the model search uses (or that none is active)."""
    ran = f"embedded {embedded:,} prompts with {model} ({up_to_date:,} were current)"
    if active_model is None:
        return f"{ran}; no model is active for search yet"
    return f"{ran}; search uses {active_model}"


def error_line(error: BaseException) -> str:
    """A worker's error in one line: as storage worded it, else its type and text."""
    if isinstance(error, PromptdeckError):
        return str(error)
    return f"{type(error).__name__}: {error}"
