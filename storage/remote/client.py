"""One small JSON-over-HTTP client shared by the providers that call a server (embedding and
chat): timeouts, retries with exponential backoff on 408, 429, 5xx, timeouts and dropped
connections, `Retry-After` honoured, a cap on the total wait, and one-line ProviderErrors that
never contain a secret it sent: whatever the server says is quoted with every form of the key
and the URL's credentials hidden, then cut."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from storage.errors import ProviderError
from storage.remote.retry import RETRIED_STATUS, backoff, retry_after, tries
from storage.remote.secrets import Secrets, StreamHider
from storage.remote.urls import join_url, redact_url

_SHOWN_BODY = 160  # characters of a server's error message quoted in ours


class ApiClient:
    """POSTs JSON to `base_url` + path for one provider: `post` returns the decoded answer,
    `stream` the body as it arrives.

    Tries a request 1 + `max_retries` times. Waits between tries grow 0.5 s, 1 s, 2 s, ... (up to
    30 s, with up to half taken off at random when `jitter`), or what Retry-After says; when the
    next wait would take the total past `max_wait`, it gives up at once.

    The key goes in `key_header`: `Authorization` as `Bearer <key>`, any other header (such as
    `x-api-key`) as the bare key. Errors are of type `errors` (a ProviderError)."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        max_wait: float,
        key_header: str = "Authorization",
        headers: Mapping[str, str] | None = None,
        errors: type[ProviderError] = ProviderError,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
    ) -> None:
        self.provider = provider
        self.base_url = base_url
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.timeout = timeout
        self._secrets = Secrets.sent(api_key, base_url)
        self._errors = errors
        self._sleep = sleep
        self._jitter = jitter
        sent = dict(headers or {})
        if api_key:
            sent[key_header] = f"Bearer {api_key}" if key_header == "Authorization" else api_key
        self._http = httpx.Client(
            headers=sent, timeout=timeout, transport=transport, follow_redirects=False
        )

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, payload: dict[str, Any], *, model: str) -> Any:
        """The decoded JSON answer, or an error saying what went wrong where."""
        url = join_url(self.base_url, path)
        response, _ = self._send(url, payload, model, stream=False)
        return self._decoded(response, url)

    @contextmanager
    def stream(
        self, path: str, payload: dict[str, Any], *, model: str
    ) -> Iterator[Iterator[bytes]]:
        """The body of a successful answer, chunk by chunk as it arrives. Retried (like `post`)
        until its first bytes arrive; after that, a dropped connection or a read that waits past
        the timeout raises httpx's error to the caller, which `reason` describes."""
        url = join_url(self.base_url, path)
        response, chunks = self._send(url, payload, model, stream=True)
        try:
            yield chunks
        finally:
            response.close()

    def _send(
        self, url: str, payload: dict[str, Any], model: str, *, stream: bool
    ) -> tuple[httpx.Response, Iterator[bytes]]:
        """The first successful response (and its body's chunks when `stream`), or an error."""
        waited = 0.0
        last = ""
        status: int | None = None
        for attempt in range(self.max_retries + 1):
            asked: float | None = None  # what Retry-After asks for
            try:
                response, chunks = self._try(url, payload, stream=stream)
            except httpx.ConnectError as error:  # refused or no such host: retrying won't help
                raise self._error(f"cannot connect ({self.reason(error)})", url) from None
            except httpx.TimeoutException:
                last, status = f"no answer in {self.timeout:g}s", None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                last, status = self.reason(error), None
            except httpx.TransportError as error:
                raise self._error(f"request failed ({self.reason(error)})", url) from None
            else:
                status = response.status_code
                if response.is_success:
                    return response, chunks
                if status not in RETRIED_STATUS:
                    raise self._refusal(response, url, model)
                last = self._head(response)
                asked = retry_after(response)
            if attempt == self.max_retries:
                break
            delay = backoff(attempt, jitter=self._jitter) if asked is None else asked
            if waited + delay > self.max_wait:
                raise self._error(
                    f"gave up after {tries(attempt + 1)}: last {last}; the next wait"
                    f" ({delay:g}s) would pass the {self.max_wait:g}s limit",
                    url,
                    status,
                )
            self._sleep(delay)
            waited += delay
        raise self._error(f"gave up after {tries(self.max_retries + 1)}: last {last}", url, status)

    def _try(
        self, url: str, payload: dict[str, Any], *, stream: bool
    ) -> tuple[httpx.Response, Iterator[bytes]]:
        """One request. Streamed, a success comes back once its first bytes have arrived (so a
        connection dropped before them is retried), a failure with its body read."""
        request = self._http.build_request("POST", url, json=payload)
        response = self._http.send(request, stream=stream)
        if not stream:
            return response, iter(())
        try:
            if not response.is_success:
                response.read()
                return response, iter(())
            chunks = response.iter_bytes()
            first = next(chunks, b"")
        except BaseException:
            response.close()
            raise
        return response, itertools.chain((first,), chunks)

    def _decoded(self, response: httpx.Response, url: str) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            preview = self.quote(response.text)
            raise self._error(
                f"malformed response: not JSON: {preview!r}", url, response.status_code
            ) from None

    def _refusal(self, response: httpx.Response, url: str, model: str) -> ProviderError:
        status = response.status_code
        told = self.quote(_server_message(response))
        head = self._head(response)
        if status in (401, 403):
            what = f"{head}: the API key was refused or is missing"
        elif status == 404:
            what = f"{head}: model {model!r} not found, or the URL is wrong"
        else:
            what = head
        return self._error(f"{what}{': ' + told if told else ''}", url, status)

    def error(
        self,
        what: str,
        path: str,
        status: int | None = None,
        *,
        kind: type[ProviderError] | None = None,
        **details: Any,
    ) -> ProviderError:
        """An error about the answer from `path`: "<provider>: <what> (<url>)", of the client's
        type or `kind`, which also takes `details`. Server text in `what` must be `quote`d."""
        return self._error(what, join_url(self.base_url, path), status, kind=kind, **details)

    def _error(
        self,
        what: str,
        url: str,
        status: int | None = None,
        *,
        kind: type[ProviderError] | None = None,
        **details: Any,
    ) -> ProviderError:
        # What came from outside is hidden already (quote); this pass hides long secrets
        # everywhere else, leaving short ones that could match our own words.
        shown = self._secrets.hide(redact_url(url), short=False)
        message = self._secrets.hide(f"{self.provider}: {what} ({shown})", short=False)
        error_type = kind or self._errors
        return error_type(message, provider=self.provider, url=shown, status=status, **details)

    def quote(self, text: str) -> str:
        """Text from the server (or about the connection) fit to quote: one line, every secret
        hidden first, then cut to a short message's length."""
        return self._secrets.quote(text, _SHOWN_BODY)

    def hider(self) -> StreamHider:
        """Hides the secrets this client sends in a text the server streams back."""
        return StreamHider(self._secrets)

    def _head(self, response: httpx.Response) -> str:
        """The status and reason phrase; the phrase is the server's to choose, so it is quoted."""
        return f"{response.status_code} {self.quote(response.reason_phrase)}".strip()

    def reason(self, error: Exception) -> str:
        """What an httpx error says, fit to quote."""
        text = str(error) or type(error).__name__
        if "refused" in text.lower():
            return "connection refused; is the server running?"
        return self.quote(text)


def _server_message(response: httpx.Response) -> str:
    """The error text a server sent, whole, or the body itself when it is not JSON."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text
    return server_said(body)


def server_said(body: Any) -> str:
    """The error message in a decoded error body: OpenAI's and Anthropic's
    {"error": {"message"}}, Ollama's {"error"}; "" when there is none."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if error else ""
