"""The OpenAI-compatible and Ollama providers against a real HTTP server on 127.0.0.1: shapes,
batching, retries and backoff, and a clear one-line error for every way a server can fail,
none of which shows the API key."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from typing import Any

import numpy as np
import pytest

from storage.errors import ProviderError
from storage.search.embedding import (
    OllamaProvider,
    OpenAIProvider,
    ProviderSettings,
    RemoteProvider,
    make_provider,
    settings_from,
)
from tests.storage.embedding_api import EmbeddingApi, Reply, vector_for

KEY = "sk-test-5ecret-0123456789abcdef"
MODEL = "emb-small"

Make = Callable[..., RemoteProvider]


@pytest.fixture
def api() -> Iterator[EmbeddingApi]:
    with EmbeddingApi(dims=8) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a provider asked for, in order (nothing really sleeps)."""
    return []


def provider_for(kind: str, url: str, sleeps: list[float], **changes: Any) -> RemoteProvider:
    base_url = url + "/v1" if kind == "openai" else url
    options: dict[str, Any] = {"timeout": 2.0, "max_retries": 3, **changes}
    settings = ProviderSettings(kind, model=MODEL, base_url=base_url, api_key=KEY, **options)
    cls = OpenAIProvider if kind == "openai" else OllamaProvider
    return cls(settings, sleep=sleeps.append, jitter=False)


@pytest.fixture(params=["openai", "ollama"])
def make(request: pytest.FixtureRequest, api: EmbeddingApi, sleeps: list[float]) -> Make:
    """`make(**settings)`: a provider of each kind talking to `api`."""

    def build(**changes: Any) -> RemoteProvider:
        return provider_for(request.param, api.url, sleeps, **changes)

    return build


def failure(provider: RemoteProvider, texts: list[str]) -> ProviderError:
    """The error embedding `texts` raises, checked to be one line, about this provider, without
    the API key."""
    with pytest.raises(ProviderError) as caught:
        provider.embed(texts)
    message = str(caught.value)
    assert KEY not in message
    assert "\n" not in message
    assert message.startswith(f"{provider.name}: ")
    assert caught.value.provider == provider.name
    return caught.value


def expected(texts: list[str], dims: int = 8) -> np.ndarray[Any, np.dtype[np.float64]]:
    matrix = np.array([vector_for(text, dims) for text in texts])
    normalised: np.ndarray[Any, np.dtype[np.float64]] = matrix / np.linalg.norm(
        matrix, axis=1, keepdims=True
    )
    return normalised


# -- shapes ---------------------------------------------------------------------------------


def test_openai_shape(api: EmbeddingApi, sleeps: list[float]) -> None:
    provider = provider_for("openai", api.url, sleeps)
    texts = ["write a haiku", "review this code", "summarise the meeting"]
    vectors = provider.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 8)
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-6)  # answer reversed: sorted
    [request] = api.requests
    assert request.path == "/v1/embeddings"
    assert request.body == {"model": MODEL, "input": texts}
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert (provider.name, provider.model, provider.dims) == ("openai", MODEL, 8)


def test_ollama_shape(api: EmbeddingApi, sleeps: list[float]) -> None:
    provider = provider_for("ollama", api.url, sleeps)
    texts = ["write a haiku", "review this code"]
    vectors = provider.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (2, 8)
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    [request] = api.requests
    assert request.path == "/api/embed"
    assert request.body == {"model": MODEL, "input": texts}
    assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_no_key_sends_no_authorization(api: EmbeddingApi, sleeps: list[float]) -> None:
    settings = ProviderSettings("ollama", model=MODEL, base_url=api.url)
    OllamaProvider(settings, sleep=sleeps.append).embed(["hello"])
    assert "Authorization" not in api.requests[0].headers


def test_batches_keep_order(make: Make, api: EmbeddingApi) -> None:
    texts = [f"prompt number {i}" for i in range(10)]
    vectors = make(batch_size=4).embed(texts)
    assert [r.body["input"] for r in api.requests] == [texts[0:4], texts[4:8], texts[8:10]]
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-6)


def test_blank_texts_get_zero_rows_and_are_not_sent(make: Make, api: EmbeddingApi) -> None:
    vectors = make().embed(["alpha", "", "  ", "beta"])
    assert api.requests[0].body["input"] == ["alpha", "beta"]
    assert vectors.shape == (4, 8)
    assert not vectors[1].any() and not vectors[2].any()
    np.testing.assert_allclose(vectors[[0, 3]], expected(["alpha", "beta"]), rtol=1e-6)


def test_only_blank_texts_learn_the_width_with_a_probe(make: Make, api: EmbeddingApi) -> None:
    vectors = make().embed(["", " "])
    assert vectors.shape == (2, 8) and not vectors.any()
    assert [r.body["input"] for r in api.requests] == [["dimension probe"]]


def test_no_texts_no_request(make: Make, api: EmbeddingApi) -> None:
    assert make(dims=8).embed([]).shape == (0, 8)
    assert api.requests == []


def test_dims_are_learned_from_the_first_answer(make: Make, api: EmbeddingApi) -> None:
    provider = make()
    assert provider.dims == 8  # one short request asks
    assert len(api.requests) == 1
    assert provider.embed(["x", "y"]).shape == (2, 8)
    assert provider.dims == 8 and len(api.requests) == 2


# -- retries --------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after(
    make: Make, api: EmbeddingApi, sleeps: list[float]
) -> None:
    api.script(Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "7"}))
    vectors = make().embed(["a", "b"])
    np.testing.assert_allclose(vectors, expected(["a", "b"]), rtol=1e-6)
    assert sleeps == [7.0]
    assert len(api.requests) == 2


def test_503_then_success_backs_off(make: Make, api: EmbeddingApi, sleeps: list[float]) -> None:
    api.script(Reply(503, b"busy"), Reply(503, b"busy"))
    assert make().embed(["a"]).shape == (1, 8)
    assert sleeps == [0.5, 1.0]  # exponential, jitter off
    assert len(api.requests) == 3


def test_a_dropped_connection_is_retried(
    make: Make, api: EmbeddingApi, sleeps: list[float]
) -> None:
    api.script(Reply(drop=True))
    assert make().embed(["a"]).shape == (1, 8)
    assert sleeps == [0.5] and len(api.requests) == 2


def test_retry_after_as_a_date(make: Make, api: EmbeddingApi, sleeps: list[float]) -> None:
    api.script(Reply(503, {}, headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)}))
    make().embed(["a"])
    [slept] = sleeps
    assert 27 < slept <= 30


def test_500_exhausted(make: Make, api: EmbeddingApi, sleeps: list[float]) -> None:
    api.script(*[Reply(500, {"error": "boom"})] * 4)
    error = failure(make(max_retries=3), ["a"])
    assert "gave up after 4 tries: last 500 Internal Server Error" in str(error)
    assert error.status == 500
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(api.requests) == 4


def test_a_wait_past_the_cap_gives_up_at_once(
    make: Make, api: EmbeddingApi, sleeps: list[float]
) -> None:
    api.script(Reply(429, {}, headers={"Retry-After": "600"}))
    error = failure(make(max_wait=120.0), ["a"])
    assert "gave up after 1 try: last 429 Too Many Requests" in str(error)
    assert "(600s) would pass the 120s limit" in str(error)
    assert sleeps == [] and len(api.requests) == 1


def test_timeout_then_success(make: Make, api: EmbeddingApi, sleeps: list[float]) -> None:
    api.script(Reply(delay=1.0))
    assert make(timeout=0.3).embed(["a"]).shape == (1, 8)
    assert sleeps == [0.5]


def test_timeout_exhausted(make: Make, api: EmbeddingApi, sleeps: list[float]) -> None:
    api.script(Reply(delay=1.0), Reply(delay=1.0))
    error = failure(make(timeout=0.2, max_retries=1), ["a"])
    assert "gave up after 2 tries: last no answer in 0.2s" in str(error)
    assert error.status is None
    assert sleeps == [0.5]


# -- failures -------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_connection_refused(kind: str, sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    error = failure(provider_for(kind, url, sleeps), ["a"])
    assert "cannot connect (connection refused; is the server running?)" in str(error)
    assert url in str(error)
    assert sleeps == []  # nothing to wait for


def test_401_never_shows_the_key(make: Make, api: EmbeddingApi) -> None:
    echoed = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "auth"}}
    api.script(Reply(401, echoed))
    error = failure(make(), ["a"])
    assert "401 Unauthorized: the API key was refused or is missing" in str(error)
    assert "Incorrect API key provided: <hidden>" in str(error)
    assert error.status == 401
    assert len(api.requests) == 1  # not retried


def test_403(make: Make, api: EmbeddingApi) -> None:
    api.script(Reply(403, {"error": "forbidden"}))
    assert "403 Forbidden: the API key was refused" in str(failure(make(), ["a"]))


def test_404_names_the_model(make: Make, api: EmbeddingApi) -> None:
    api.script(Reply(404, {"error": f'model "{MODEL}" not found, try pulling it first'}))
    error = failure(make(), ["a"])
    assert f"404 Not Found: model '{MODEL}' not found, or the URL is wrong" in str(error)
    assert f'model "{MODEL}" not found, try pulling it first' in str(error)
    assert error.status == 404


def test_other_client_errors_quote_the_server(make: Make, api: EmbeddingApi) -> None:
    api.script(Reply(400, {"error": {"message": "input too long"}}))
    assert "400 Bad Request: input too long" in str(failure(make(), ["a"]))
    assert len(api.requests) == 1


def test_credentials_in_the_url_are_not_shown(api: EmbeddingApi, sleeps: list[float]) -> None:
    url = api.url.replace("http://", "http://user:pa55word@") + "/v1?api-key=query5ecret"
    settings = ProviderSettings("openai", model=MODEL, base_url=url)
    api.script(Reply(400, {"error": "no"}))
    message = str(failure(OpenAIProvider(settings, sleep=sleeps.append), ["a"]))
    assert "pa55word" not in message and "query5ecret" not in message
    assert f"({api.url}/v1/embeddings)" in message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html>Bad Gateway</html>", "malformed response: not JSON: '<html>Bad Gateway</html>'"),
        ([1, 2], "malformed response: expected {"),
        ({"data": "none", "embeddings": "none"}, "malformed response: expected {"),
        (
            {"data": [{"index": 0, "embedding": "x"}], "embeddings": ["x"]},
            "malformed response: the vector for input 0 is not a list",
        ),
        (
            {"data": [{"index": 0, "embedding": ["1"] * 8}], "embeddings": [["1"] * 8]},
            "malformed response: the vector for input 0 holds non-numbers",
        ),
        (
            {"data": [{"index": 0, "embedding": [float("nan")] * 8}], "embeddings": [[1e400] * 8]},
            "malformed response: a vector holds NaN or infinity",
        ),
    ],
)
def test_malformed_body(make: Make, api: EmbeddingApi, body: Any, says: str) -> None:
    api.script(Reply(200, body))
    assert says in str(failure(make(), ["a"]))


def test_openai_indexes_must_cover_the_inputs(api: EmbeddingApi, sleeps: list[float]) -> None:
    data = [{"index": 0, "embedding": [1.0] * 8}, {"index": 0, "embedding": [1.0] * 8}]
    api.script(Reply(200, {"data": data}))
    error = failure(provider_for("openai", api.url, sleeps), ["a", "b"])
    assert "malformed response: the indexes [0, 0] are not 0..1" in str(error)


def test_wrong_dimension_against_configured(make: Make) -> None:
    error = failure(make(dims=16), ["a", "b"])
    assert f"input 0 came back with 8 dims, expected 16 (configured) for model '{MODEL}'" in str(
        error
    )


def test_wrong_dimension_against_learned(make: Make, api: EmbeddingApi) -> None:
    provider = make()
    provider.embed(["first"])
    api.script(Reply(dims=6))
    error = failure(provider, ["", "second"])
    assert "input 1 came back with 6 dims, expected 8 (learned from the first answer)" in str(error)


def test_wrong_dimension_inside_a_batch_names_the_input(make: Make, api: EmbeddingApi) -> None:
    vectors = [[1.0] * 8, [1.0] * 8, [1.0] * 5]
    data = [{"index": i, "embedding": v} for i, v in enumerate(vectors)]
    api.script(Reply(200, {"data": data, "embeddings": vectors}))
    provider = make()
    assert "input 2 came back with 5 dims, expected 8" in str(failure(provider, ["a", "b", "c"]))
    api.script(Reply(dims=5))
    assert provider.embed(["d"]).shape == (1, 5)  # a failed answer teaches no width


def test_partial_batch(make: Make, api: EmbeddingApi) -> None:
    api.script(Reply(count=2))
    error = failure(make(), ["a", "b", "c"])
    assert "returned 2 vectors for 3 inputs" in str(error)


def test_a_failed_batch_fails_the_whole_call(make: Make, api: EmbeddingApi) -> None:
    provider = make(batch_size=2)
    api.script(Reply(), Reply(400, {"error": "bad input"}))
    failure(provider, ["a", "b", "c", "d"])
    assert len(api.requests) == 2
    assert provider.embed(["c", "d"]).shape == (2, 8)  # and the next call starts afresh


# -- made from settings ---------------------------------------------------------------------


def test_make_provider_from_settings(api: EmbeddingApi) -> None:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": api.url + "/v1"}
    provider = make_provider(settings_from({"provider": "openai", "model": MODEL}, env))
    assert isinstance(provider, OpenAIProvider)
    assert provider.embed(["hello"]).shape == (1, 8)
    assert api.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(provider)
    ollama = make_provider(settings_from({}, {"OLLAMA_HOST": api.url}, provider="ollama"))
    assert isinstance(ollama, OllamaProvider) and ollama.model == "nomic-embed-text"
    assert ollama.embed(["hello"]).shape == (1, 8)
    assert api.requests[1].path == "/api/embed"
