"""The secrets a provider client sends (the API key; base_url's user:password and query values)
in every form they take on the wire, and a server's text with each of them hidden before it is
cut to fit a message: a cut must never leave a readable piece of a secret behind."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

HIDDEN = "<hidden>"  # stands for a secret in messages
PIECE = 8  # any run of this many characters of a secret is hidden wherever it shows
_READ = 65_536  # characters of a server's text looked at; only its start is ever shown


class Secrets:
    """`hide(text)` puts HIDDEN where a secret, or any PIECE characters of one, shows;
    `quote(text, limit)` hides first and then cuts the text to one line of `limit` characters."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if secret for form in _forms(secret)}
        self._whole = sorted(forms, key=len, reverse=True)
        self._pieces = {form[i : i + PIECE] for form in forms for i in range(len(form) - PIECE + 1)}

    @classmethod
    def sent(cls, api_key: str | None, base_url: str) -> Secrets:
        """What a client sends with this key and URL: the key (as `Bearer <key>`), the URL's
        user:password (as `Basic <base64>`) and its query values (in the request line)."""
        import httpx  # here: the settings read HIDDEN, and a search makes no client

        secrets = [api_key] if api_key else []
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL:
            return cls([*secrets, base_url])
        if url.username or url.password:
            pair = f"{url.username}:{url.password}"
            basic = base64.b64encode(pair.encode()).decode()
            userinfo = url.userinfo.decode("ascii", "replace")  # as written, percent-encoded
            secrets += [pair, url.password or url.username, basic, userinfo]
        secrets += [value for _, value in url.params.multi_items()]
        return cls(secrets)

    def hide(self, text: str, *, short: bool = True) -> str:
        """`text` with each secret, and each run of PIECE characters of one, as one HIDDEN.
        `short=False` leaves alone secrets shorter than PIECE, which can match plain words
        (for our own sentences, which hold no server text)."""
        if not self._whole:
            return text
        covered = bytearray(len(text))
        for form in self._whole:
            if short or len(form) >= PIECE:
                start = text.find(form)
                while start != -1:
                    covered[start : start + len(form)] = b"\1" * len(form)
                    start = text.find(form, start + 1)
        for i in range(len(text) - PIECE + 1):
            if text[i : i + PIECE] in self._pieces:
                covered[i : i + PIECE] = b"\1" * PIECE
        return _replaced(text, covered)

    def quote(self, text: str, limit: int) -> str:
        """A server's `text` as one line of at most `limit` characters: hidden, then cut (never
        inside a HIDDEN)."""
        flat = " ".join(self.hide(text[:_READ]).split())
        if len(flat) <= limit:
            return flat
        end = limit - 1
        marker = flat.rfind(HIDDEN, 0, end)
        if marker != -1 and marker + len(HIDDEN) > end:
            end = marker
        return flat[:end] + "…"

    def partial_end(self, text: str) -> int:
        """How many characters at the end of `text` the next piece of text could make into
        PIECE characters of a secret: the longest end found inside a secret where at least
        PIECE characters of it start."""
        forms = [form for form in self._whole if len(form) >= PIECE]
        longest = max((len(form) for form in forms), default=0)
        for size in range(min(len(text), longest), 0, -1):
            end = text[-size:]
            if any(form.find(end, 0, len(form) - PIECE + size) != -1 for form in forms):
                return size
        return 0


class StreamHider:
    """Secrets hidden in text that arrives in pieces (a streamed answer): `feed(piece)` returns
    what can be shown now, holding back an end that a later piece could make into a secret;
    `flush()` returns what was held once the text has ended. Secrets shorter than PIECE are left
    alone (they could match ordinary words of the answer)."""

    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        keep = self._secrets.partial_end(text)
        self._held = text[len(text) - keep :]
        return self._secrets.hide(text[: len(text) - keep], short=False)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self._secrets.hide(text, short=False)


def _forms(secret: str) -> set[str]:
    """A secret as it may come back: raw, URL-encoded (path and form style), JSON-escaped."""
    escaped = json.dumps(secret)[1:-1]
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), escaped}


def _replaced(text: str, covered: bytearray) -> str:
    """`text` with each run of covered characters replaced by one HIDDEN."""
    out: list[str] = []
    shown = 0
    start = covered.find(1)
    while start != -1:
        end = covered.find(0, start)
        end = len(text) if end == -1 else end
        out += [text[shown:start], HIDDEN]
        shown = end
        start = covered.find(1, end)
    out.append(text[shown:])
    return "".join(out)
