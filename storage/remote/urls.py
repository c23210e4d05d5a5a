"""Endpoint URLs: joining a base URL and a path, and showing one without its credentials.

httpx is imported where a URL is parsed: reading the settings of the bundled model (a CLI
search) parses none, and must not pay for importing it."""

from __future__ import annotations


def redact_url(url: str) -> str:
    """The URL without user:password and query string, fit to show."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def join_url(base_url: str, path: str) -> str:
    """`path` appended to the base URL's path, keeping its query (some gateways need one)."""
    import httpx

    base = httpx.URL(base_url)
    return str(base.copy_with(path=base.path.rstrip("/") + path))
