"""What the run, history and compare tests share: a library with one chat prompt in two
versions and a price for the test model, the [llm] table that points at a local chat API
(tests/storage/chat_api.py), and a fixed clock for the run's times."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

from storage import Library
from tests.storage.chat_api import KEY, MODEL

GREET_V1 = '{{role "system"}}\nAnswer in {{language}}.\n{{role "user"}}\nGreet {{who}}.'
GREET_V2 = '{{role "system"}}\nAnswer in {{language}}, briefly.\n{{role "user"}}\nGreet {{who}}.'
VALUES = {"language": "English", "who": "the world"}


def runs_library(library: Library) -> None:
    """The build: Greet (v1, then v2), and chat-small priced from 2026-01-01."""
    greet = library.prompts.create("Greet", GREET_V1, folder="demo", tags=["chat"])
    library.prompts.update(greet.id, {"content": GREET_V2}, "briefly")
    for provider in ("openai", "anthropic", "ollama"):
        library.costs.set_price(provider, MODEL, 0.5, 1.5, effective_from=date(2026, 1, 1))


def llm_table(kind: str, url: str, **more: Any) -> dict[str, Any]:
    """[llm] for a provider of `kind` on the local API: no retries (a 500 fails at once)."""
    base_url = url + "/v1" if kind == "openai" else url
    return {
        "provider": kind,
        "model": MODEL,
        "base_url": base_url,
        "api_key": KEY,
        "max_retries": 0,
        **more,
    }


def fixed_clock(step: float = 0.125) -> Callable[[], float]:
    """A monotonic clock that moves `step` seconds each time it is read: a run's times are the
    same on every machine (put one per run in tui.run_worker.make_clock)."""
    ticks = itertools.count()
    return lambda: float(next(ticks)) * step
