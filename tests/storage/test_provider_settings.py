"""Provider settings: flags over environment over the [embedding] config, and validation
errors that name the setting (and never show an API key)."""

from __future__ import annotations

from typing import Any

import pytest

from storage.errors import PromptdeckError, ValidationError
from storage.search.embedding import (
    LocalProvider,
    ProviderSettings,
    WordLlamaProvider,
    make_provider,
    settings_from,
)

KEY = "sk-test-5ecret-0123456789abcdef"


def test_the_default_is_the_bundled_model() -> None:
    settings = settings_from({}, env={})
    assert settings == ProviderSettings("wordllama", model="wordllama-l2-256", dims=256)
    provider = make_provider(settings)
    assert isinstance(provider, WordLlamaProvider) and provider.model == "wordllama-l2-256"


def test_local_is_an_explicit_choice() -> None:
    settings = settings_from({"provider": "local"}, env={})
    assert settings == ProviderSettings("local", model="local-ngram-384", dims=384)
    provider = make_provider(settings)
    assert isinstance(provider, LocalProvider) and provider.model == "local-ngram-384"


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"model": "wordllama-l3-512"}, "embedding.model"),
        ({"dims": 384}, "embedding.dims"),
        ({"base_url": "http://127.0.0.1:1"}, "embedding.base_url"),
    ],
)
def test_wordllama_has_one_model(config: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        settings_from(config, env={})


def test_os_environ_is_read_when_env_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTDECK_EMBED_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:8080")
    settings = settings_from({})
    assert (settings.provider, settings.base_url) == ("ollama", "http://gpu-box:8080")


def test_flags_over_env_over_config() -> None:
    config = {"provider": "openai", "model": "from-config", "batch_size": 16, "timeout": 5}
    env = {"PROMPTDECK_EMBED_MODEL": "from-env", "OPENAI_API_KEY": KEY}
    assert settings_from(config, env).model == "from-env"
    settings = settings_from(config, env, model="from-flag", batch_size=None, max_retries=2)
    assert settings.model == "from-flag"
    assert (settings.batch_size, settings.timeout, settings.max_retries) == (16, 5.0, 2)
    assert settings.api_key == KEY
    assert settings.base_url == "https://api.openai.com/v1"


def test_our_base_url_beats_the_providers_own_variable() -> None:
    env = {"OPENAI_BASE_URL": "http://a:1/v1", "PROMPTDECK_EMBED_BASE_URL": "http://b:2/v1/"}
    assert settings_from({"provider": "openai"}, env).base_url == "http://b:2/v1"
    assert settings_from({"provider": "openai"}, {"OPENAI_BASE_URL": "http://a:1/v1"}).base_url == (
        "http://a:1/v1"
    )


def test_settings_for_another_provider_are_not_carried_over() -> None:
    config = {"provider": "openai", "model": "text-embedding-3-large", "base_url": "http://x/v1"}
    env = {"OPENAI_API_KEY": KEY, "OLLAMA_HOST": "127.0.0.1"}
    settings = settings_from(config, env, provider="ollama")
    assert settings.model == "nomic-embed-text"
    assert settings.base_url == "http://127.0.0.1:11434"
    assert settings.api_key is None  # OPENAI_API_KEY is openai's


def test_config_without_a_provider_lends_its_model_to_the_chosen_one() -> None:
    settings = settings_from(
        {"model": "mxbai-embed-large"}, {"PROMPTDECK_EMBED_PROVIDER": "ollama"}
    )
    assert (settings.provider, settings.model) == ("ollama", "mxbai-embed-large")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("box:9999", "http://box:9999"),
        ("https://ollama.example.com", "https://ollama.example.com"),
    ],
)
def test_ollama_host_forms(host: str, url: str) -> None:
    assert settings_from({"provider": "ollama"}, {"OLLAMA_HOST": host}).base_url == url


def test_local_width_from_dims_or_model() -> None:
    assert settings_from({"provider": "local", "dims": 256}, {}).model == "local-ngram-256"
    assert settings_from({"provider": "local", "model": "local-ngram-128"}, {}).dims == 128


def test_the_key_is_not_in_the_repr() -> None:
    settings = settings_from({"provider": "openai"}, {"OPENAI_API_KEY": KEY})
    assert KEY not in repr(settings) and KEY not in str(settings)


@pytest.mark.parametrize(
    ("config", "env", "overrides", "message"),
    [
        (
            {"provider": "cohere"},
            {},
            {},
            "embedding.provider: must be one of wordllama, local, openai, ollama",
        ),
        ({}, {"PROMPTDECK_EMBED_PROVIDER": "x"}, {}, "PROMPTDECK_EMBED_PROVIDER: must be one of"),
        (
            {},
            {},
            {"provider": "gpt"},
            "provider: must be one of wordllama, local, openai, ollama (got 'gpt')",
        ),
        ({"modle": "x"}, {}, {}, "embedding.modle: unknown; known: provider, model,"),
        ({"batch_size": 0}, {}, {}, "embedding.batch_size: must be between 1 and 2048 (got 0)"),
        ({}, {}, {"batch_size": "64"}, "batch_size: must be a whole number (got '64')"),
        ({"max_retries": True}, {}, {}, "embedding.max_retries: must be a whole number"),
        ({"timeout": 0}, {}, {}, "embedding.timeout: must be more than 0 and at most 3600"),
        ({"max_wait": -1}, {}, {}, "embedding.max_wait: must be at least 0 and at most 3600"),
        (
            {"provider": "local", "dims": 4},
            {},
            {},
            "embedding.dims: must be between 8 and 65536 (got 4)",
        ),
        (
            {"provider": "local", "model": "minilm"},
            {},
            {},
            "embedding.model: local models are named local-ngram-<dims>",
        ),
        (
            {"provider": "local", "model": "local-ngram-64", "dims": 32},
            {},
            {},
            "says 64 dims but dims is 32",
        ),
        ({"model": ""}, {}, {}, "embedding.model: must be a model name"),
        ({"provider": "local", "base_url": "http://x"}, {}, {}, "base_url: local needs none"),
        (
            {"provider": "ollama", "base_url": "ftp://u:pw@host/x"},
            {},
            {},
            "embedding.base_url: must be an http(s) URL (got 'ftp://host/x')",
        ),
        ({"provider": "openai"}, {}, {}, "api_key: openai needs OPENAI_API_KEY or api_key in"),
        ({"provider": "openai", "api_key": 42}, {}, {}, "embedding.api_key: must be one word"),
        (
            {"provider": "openai", "api_key": f"{KEY} {KEY}"},
            {},
            {},
            "embedding.api_key: must be one word of text (got '<hidden>')",
        ),
    ],
)
def test_validation_names_the_setting(
    config: dict[str, Any], env: dict[str, str], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(PromptdeckError) as caught:
        settings_from(config, env, **overrides)
    assert message in str(caught.value)
    assert KEY not in str(caught.value) and "pw" not in str(caught.value)


def test_a_compatible_server_needs_no_key() -> None:
    settings = settings_from({"provider": "openai", "base_url": "http://127.0.0.1:8000/v1"}, {})
    assert settings.api_key is None and settings.model == "text-embedding-3-small"


def test_unknown_flags_are_a_programming_error() -> None:
    with pytest.raises(TypeError, match="unknown settings"):
        settings_from({}, {}, colour="red")
