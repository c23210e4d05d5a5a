"""Endpoint URLs: joining a base URL and a path, and showing one without its credentials."""

from __future__ import annotations

import httpx


def redact_url(url: str) -> str:
    """The URL without user:password and query string, fit to show."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def join_url(base_url: str, path: str) -> str:
    """`path` appended to the base URL's path, keeping its query (some gateways need one)."""
    base = httpx.URL(base_url)
    return str(base.copy_with(path=base.path.rstrip("/") + path))
