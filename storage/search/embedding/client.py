"""One small JSON-over-HTTP client shared by the remote providers: timeouts, retries with
exponential backoff on 429, 5xx, timeouts and dropped connections, `Retry-After` honoured, a cap
on the total wait, and one-line ProviderErrors that never contain a secret it sent: whatever the
server says is quoted with every form of the key and the URL's credentials hidden, then cut."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from storage.errors import ProviderError
from storage.search.embedding.secrets import Secrets

RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504})
BASE_DELAY = 0.5  # seconds before the first retry; doubled on each retry after that
MAX_DELAY = 30.0  # no single backoff is longer than this (unless the server asks)
_SHOWN_BODY = 160  # characters of a server's error message quoted in ours


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


class ApiClient:
    """POSTs JSON to `base_url` + path for one provider and returns the decoded answer.

    Tries a request 1 + `max_retries` times. Waits between tries grow 0.5 s, 1 s, 2 s, ... (up to
    30 s, with up to half taken off at random when `jitter`), or what Retry-After says; when the
    next wait would take the total past `max_wait`, it gives up at once."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        max_wait: float,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
    ) -> None:
        self.provider = provider
        self.base_url = base_url
        self.max_retries = max_retries
        self.max_wait = max_wait
        self._secrets = Secrets.sent(api_key, base_url)
        self._sleep = sleep
        self._jitter = jitter
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            headers=headers, timeout=timeout, transport=transport, follow_redirects=False
        )
        self._timeout = timeout

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, payload: dict[str, Any], *, model: str) -> Any:
        """The decoded JSON answer, or a ProviderError saying what went wrong where."""
        url = join_url(self.base_url, path)
        waited = 0.0
        last = ""
        status: int | None = None
        for attempt in range(self.max_retries + 1):
            asked: float | None = None  # what Retry-After asks for
            try:
                response = self._http.post(url, json=payload)
            except httpx.ConnectError as error:  # refused or no such host: retrying won't help
                raise self._error(f"cannot connect ({self._reason(error)})", url) from None
            except httpx.TimeoutException:
                last, status = f"no answer in {self._timeout:g}s", None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                last, status = self._reason(error), None
            except httpx.TransportError as error:
                raise self._error(f"request failed ({self._reason(error)})", url) from None
            else:
                status = response.status_code
                if response.is_success:
                    return self._decoded(response, url)
                if status not in RETRIED_STATUS:
                    raise self._refusal(response, url, model)
                last = self._head(response)
                asked = _retry_after(response)
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt) if asked is None else asked
            if waited + delay > self.max_wait:
                raise self._error(
                    f"gave up after {_tries(attempt + 1)}: last {last}; the next wait"
                    f" ({delay:g}s) would pass the {self.max_wait:g}s limit",
                    url,
                    status,
                )
            self._sleep(delay)
            waited += delay
        raise self._error(f"gave up after {_tries(self.max_retries + 1)}: last {last}", url, status)

    def _backoff(self, attempt: int) -> float:
        delay: float = min(MAX_DELAY, BASE_DELAY * 2.0**attempt)
        return delay * (1 - random.random() / 2) if self._jitter else delay

    def _decoded(self, response: httpx.Response, url: str) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            preview = self._quoted(response.text)
            raise self._error(
                f"malformed response: not JSON: {preview!r}", url, response.status_code
            ) from None

    def _refusal(self, response: httpx.Response, url: str, model: str) -> ProviderError:
        status = response.status_code
        said = self._quoted(_server_message(response))
        head = self._head(response)
        if status in (401, 403):
            what = f"{head}: the API key was refused or is missing"
        elif status == 404:
            what = f"{head}: model {model!r} not found, or the URL is wrong"
        else:
            what = head
        return self._error(f"{what}{': ' + said if said else ''}", url, status)

    def error(self, what: str, path: str, status: int | None = None) -> ProviderError:
        """A ProviderError about the answer from `path`: "<provider>: <what> (<url>)"."""
        return self._error(what, join_url(self.base_url, path), status)

    def _error(self, what: str, url: str, status: int | None = None) -> ProviderError:
        # What came from outside is hidden already (_quoted); this pass hides long secrets
        # everywhere else, leaving short ones that could match our own words.
        shown = self._secrets.hide(redact_url(url), short=False)
        message = self._secrets.hide(f"{self.provider}: {what} ({shown})", short=False)
        return ProviderError(message, provider=self.provider, url=shown, status=status)

    def _quoted(self, text: str) -> str:
        """Text from the server (or about the connection) fit to quote: one line, every secret
        hidden first, then cut to _SHOWN_BODY characters."""
        return self._secrets.quote(text, _SHOWN_BODY)

    def _head(self, response: httpx.Response) -> str:
        """The status and reason phrase; the phrase is the server's to choose, so it is quoted."""
        return f"{response.status_code} {self._quoted(response.reason_phrase)}".strip()

    def _reason(self, error: Exception) -> str:
        text = str(error) or type(error).__name__
        if "refused" in text.lower():
            return "connection refused; is the server running?"
        return self._quoted(text)


def _retry_after(response: httpx.Response) -> float | None:
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


def _server_message(response: httpx.Response) -> str:
    """The error text a server sent, whole: OpenAI's {"error": {"message"}}, Ollama's
    {"error"}, or the body itself when it is not JSON."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if error else ""


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"
