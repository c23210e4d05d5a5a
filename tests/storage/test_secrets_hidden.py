"""No secret a provider sends comes back in an error: a real server on 127.0.0.1 echoes the
request's URL and headers in its error bodies (and in a 200 that is not JSON), and every form of
the API key and of base_url's user:password (raw, Bearer, base64, URL-encoded), whole or any
8-character piece of it, is hidden before the server's text is cut to fit a message."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from storage import Library
from storage.errors import EmbeddingFailed, ProviderError
from storage.remote.secrets import HIDDEN, Secrets, StreamHider
from storage.search.embedding import OllamaProvider, OpenAIProvider, ProviderSettings
from storage.search.embedding.remote import RemoteProvider
from tests.storage.embedding_api import EmbeddingApi, Reply, Request

PIECE = 8  # no run of this many characters of a secret may show


class EchoApi(EmbeddingApi):
    """Answers every request with `status` and a body quoting the request line and headers
    (Authorization first): as OpenAI's {"error": {"message"}} when `as_json`, else as text."""

    def __init__(self, status: int, *, as_json: bool) -> None:
        super().__init__()
        self.status = status
        self.as_json = as_json

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[Reply, bytes]:
        self.requests.append(Request(path, headers, raw))
        said = sorted(headers.items(), key=lambda item: item[0] != "Authorization")
        echo = f"bad request: POST {path} " + " ".join(f"{k}: {v}" for k, v in said)
        body = {"error": {"message": echo}} if self.as_json else echo
        text = json.dumps(body) if self.as_json else echo
        return Reply(self.status), text.encode()


def make_key(length: int) -> str:
    """An OpenAI-project-style key of `length` characters (a 164-character key is real)."""
    alphabet = string.ascii_letters + string.digits + "-_"
    tail = "".join(random.Random(length).choices(alphabet, k=length - 8))
    return "sk-proj-" + tail


def pieces(secret: str) -> set[str]:
    return {secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1)} or {secret}


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        shown = [piece for piece in pieces(secret) if piece in text]
        assert not shown, f"{shown[0]!r} of a secret shows in {text!r}"


def shown_everywhere(error: BaseException) -> str:
    """Every string an error carries: its message, repr, args and attributes."""
    parts = [str(error), repr(error), *map(str, error.args), *map(str, vars(error).values())]
    return "\n".join(parts)


@pytest.fixture(params=[(400, True), (401, False), (404, True), (501, False), (200, False)])
def echo(request: pytest.FixtureRequest) -> Iterator[EchoApi]:
    status, as_json = request.param
    with EchoApi(status, as_json=as_json) as server:
        yield server


def provider(kind: str, base_url: str, key: str | None) -> RemoteProvider:
    settings = ProviderSettings(kind, model="m", base_url=base_url, api_key=key, max_retries=0)
    cls = OpenAIProvider if kind == "openai" else OllamaProvider
    return cls(settings, jitter=False)


def failure(provider: RemoteProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.embed(["hello"])
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("length", [20, 164, 300])
@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_the_api_key_never_shows(echo: EchoApi, kind: str, length: int) -> None:
    key = make_key(length)
    error = failure(provider(kind, echo.url + "/v1", key))
    assert echo.requests[0].headers["Authorization"] == f"Bearer {key}"  # the echo has it
    assert "<hidden>" in str(error)  # the server's text is quoted, the key hidden in it
    assert_hidden(shown_everywhere(error), key, quote(key, safe=""))


@pytest.mark.parametrize("length", [20, 164])
def test_the_key_is_hidden_before_the_text_is_cut(length: int) -> None:
    """A key past the cut point: what is left before the cut shows no piece of it."""
    key = make_key(length)
    with EchoApi(400, as_json=True) as echo:
        for pad in range(0, 170, 7):  # move the key across the cut point
            base_url = f"{echo.url}/v1?pad={'x' * pad}"
            error = failure(provider("openai", base_url, key))
            assert_hidden(shown_everywhere(error), key)


def test_credentials_in_base_url_never_show(echo: EchoApi) -> None:
    user, password = "promptdeck-user", "pa55:w0rd/with@signs-and-length"
    base_url = echo.url.replace("http://", f"http://{user}:{quote(password, safe='')}@") + "/v1"
    error = failure(provider("openai", base_url, None))
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    assert echo.requests[0].headers["Authorization"] == f"Basic {basic}"  # the echo has it
    secrets = (password, quote(password, safe=""), basic)
    assert_hidden(shown_everywhere(error), *secrets)
    made = provider("openai", base_url, None)
    assert_hidden(repr(made) + repr(ProviderSettings("openai", base_url=base_url)), *secrets)


def test_a_short_password_is_hidden_whole(echo: EchoApi) -> None:
    base_url = echo.url.replace("http://", "http://me:pw7@") + "/v1?api-key=q5ecret"
    error = str(failure(provider("ollama", base_url, None)))
    assert "pw7" not in error and "q5ecret" not in error
    assert_hidden(error, base64.b64encode(b"me:pw7").decode())


def test_query_secrets_are_hidden_url_encoded(echo: EchoApi) -> None:
    secret = "k3y/with+plus=and/slash"
    error = failure(provider("openai", f"{echo.url}/v1?key={quote(secret, safe='')}", None))
    assert_hidden(shown_everywhere(error), secret, quote(secret, safe=""))


def test_nothing_reaches_the_library_file(tmp_path: Path) -> None:
    """Embedding fails with the key in the server's answer: the error says so without the key,
    and the library file holds no piece of it."""
    key = make_key(164)
    path = tmp_path / "lib.duckdb"
    with EchoApi(401, as_json=True) as echo, Library(path).open() as library:
        library.prompts.create(name="Tweet", content="Write a tweet about {{topic}}.")
        with pytest.raises(EmbeddingFailed) as caught:
            library.embeddings.embed_missing(provider("openai", echo.url + "/v1", key))
        assert_hidden(shown_everywhere(caught.value), key)
        assert "<hidden>" in str(caught.value)
    data: Any = path.read_bytes().decode("latin-1")
    assert_hidden(data, key)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13])
def test_a_secret_streamed_in_pieces_never_shows(size: int) -> None:
    """A streamed answer that spells the key out a few characters at a time: the pieces shown
    never hold a piece of it, and the text around it comes through whole."""
    key = make_key(60)
    secrets = Secrets.sent(key, "http://127.0.0.1:9/v1")
    text = f"Hello! The key is {key}, and {quote(key, safe='')}. Bye."
    hider = StreamHider(secrets)
    shown = [hider.feed(text[i : i + size]) for i in range(0, len(text), size)]
    whole = "".join([*shown, hider.flush()])
    assert_hidden(whole, key)
    assert whole == f"Hello! The key is {HIDDEN}, and {HIDDEN}. Bye."


def test_text_unlike_any_secret_is_not_held_back() -> None:
    hider = StreamHider(Secrets.sent("sk-test-5ecret-0123456789abcdef", "http://h/v1"))
    assert [hider.feed(p) for p in ("Hello", " you", "!")] == ["Hello", " you", "!"]
