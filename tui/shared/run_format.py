"""How a run's figures read in the TUI: tokens (~ when estimated), cost, times, how it ended.
No Textual here."""

from __future__ import annotations

from storage import Run


def tokens(run: Run) -> str:
    """`17 in / 4 out`, each count marked ~ when it was estimated (4 characters a token)."""
    mark = "~" if run.tokens_estimated else ""
    return f"{mark}{run.tokens_in} in / {mark}{run.tokens_out} out"


def cost(run: Run, *, empty: str = "unpriced") -> str:
    return empty if run.cost_usd is None else f"${run.cost_usd:.6f}"


def ms(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value} ms" if value < 1000 else f"{value / 1000:.1f} s"


def ending(run: Run) -> str:
    """How it ended: `ok (stop)`, `cancelled`, `failed: <reason>`."""
    if run.status == "failed":
        return f"failed: {run.error}" if run.error else "failed"
    return f"{run.status} ({run.finish_reason})" if run.finish_reason else run.status


def figures(run: Run) -> str:
    """The figures of a run on one line (wrapped by the widget that shows it)."""
    estimated = " (~ estimated)" if run.tokens_estimated else ""
    return (
        f"{ending(run)} · {tokens(run)} tokens{estimated} · {cost(run)} · "
        f"first token {ms(run.first_token_ms)} · total {ms(run.latency_ms)}"
    )


def model(run: Run) -> str:
    answered = f" ({run.answered_by})" if run.answered_by and run.answered_by != run.model else ""
    return f"{run.provider}/{run.model}{answered}"


def short_tokens(run: Run) -> str:
    """`17+4` (in+out), each count marked ~ when estimated: for tables."""
    mark = "~" if run.tokens_estimated else ""
    return f"{mark}{run.tokens_in}+{mark}{run.tokens_out}"
