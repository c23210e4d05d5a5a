"""When to try a request again and how long to wait first: exponential backoff with jitter, or
what the server's Retry-After asks for."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import httpx

# Timeouts, rate limits and a busy or failing server (529: Anthropic's "overloaded").
RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})
BASE_DELAY = 0.5  # seconds before the first retry; doubled on each retry after that
MAX_DELAY = 30.0  # no single backoff is longer than this (unless the server asks)


def backoff(attempt: int, *, jitter: bool) -> float:
    """The wait after try `attempt` (0-based): 0.5 s, 1 s, 2 s, ... up to MAX_DELAY, with up to
    half taken off at random when `jitter`."""
    delay: float = min(MAX_DELAY, BASE_DELAY * 2.0**attempt)
    return delay * (1 - random.random() / 2) if jitter else delay


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the seconds form or an HTTP date), None when absent or bad."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"
