"""Chat provider settings: flags over environment over the [llm] config, each provider's own
variables for it alone, and validation errors that name the setting (and never show a key)."""

from __future__ import annotations

from typing import Any

import pytest

from storage.errors import PromptdeckError, ValidationError
from storage.llm import LLMSettings, OllamaChat, llm_settings_from, make_chat_provider

KEY = "sk-test-5ecret-0123456789abcdef"
OTHER = "sk-ant-0ther-5ecret-abcdefghij"


def test_the_default_is_a_local_ollama() -> None:
    assert llm_settings_from({}, env={}) == LLMSettings(
        "ollama", model="llama3.2", base_url="http://127.0.0.1:11434"
    )
    assert isinstance(make_chat_provider(llm_settings_from({}, env={})), OllamaChat)


def test_each_provider_has_its_defaults() -> None:
    openai = llm_settings_from({"provider": "openai"}, {"OPENAI_API_KEY": KEY})
    assert (openai.model, openai.base_url) == ("gpt-4o-mini", "https://api.openai.com/v1")
    anthropic = llm_settings_from({"provider": "anthropic"}, {"ANTHROPIC_API_KEY": KEY})
    assert (anthropic.model, anthropic.base_url) == (
        "claude-haiku-4-5",
        "https://api.anthropic.com",
    )
    assert anthropic.stream and anthropic.timeout == 120.0 and anthropic.max_retries == 3


def test_flags_over_env_over_config() -> None:
    config = {"provider": "openai", "model": "from-config", "timeout": 5, "max_wait": 30}
    env = {"PROMPTDECK_LLM_MODEL": "from-env", "OPENAI_API_KEY": KEY}
    assert llm_settings_from(config, env).model == "from-env"
    settings = llm_settings_from(config, env, model="from-flag", timeout=None, max_retries=0)
    assert settings.model == "from-flag"
    assert (settings.timeout, settings.max_retries, settings.max_wait) == (5.0, 0, 30.0)
    assert settings.api_key == KEY


def test_the_environment_and_flags_pick_the_provider() -> None:
    env = {"PROMPTDECK_LLM_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": KEY}
    assert llm_settings_from({"provider": "openai"}, env).provider == "anthropic"
    assert llm_settings_from({}, env, provider="ollama").provider == "ollama"


def test_os_environ_is_read_when_env_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTDECK_LLM_PROVIDER", "ollama")
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:8080")
    monkeypatch.setenv("PROMPTDECK_LLM_MODEL", "qwen3")
    settings = llm_settings_from({})
    assert (settings.base_url, settings.model) == ("http://gpu-box:8080", "qwen3")


def test_each_key_variable_is_its_providers_only() -> None:
    env = {"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": OTHER, "OLLAMA_HOST": "box"}
    assert llm_settings_from({"provider": "openai"}, env).api_key == KEY
    assert llm_settings_from({"provider": "anthropic"}, env).api_key == OTHER
    ollama = llm_settings_from({"provider": "ollama"}, env)
    assert (ollama.api_key, ollama.base_url) == (None, "http://box:11434")
    assert llm_settings_from({"provider": "openai"}, env).base_url == "https://api.openai.com/v1"


def test_our_base_url_beats_ollama_host() -> None:
    env = {"OLLAMA_HOST": "a:1", "PROMPTDECK_LLM_BASE_URL": "http://b:2/"}
    assert llm_settings_from({}, env).base_url == "http://b:2"


def test_settings_for_another_provider_are_not_carried_over() -> None:
    config = {
        "provider": "openai",
        "model": "gpt-4o",
        "base_url": "http://gateway/v1",
        "api_key": KEY,
        "stream": False,
        "timeout": 9,
    }
    settings = llm_settings_from(config, {}, provider="ollama")
    assert settings == LLMSettings(
        "ollama", model="llama3.2", base_url="http://127.0.0.1:11434", timeout=9.0
    )


def test_a_compatible_server_needs_no_key() -> None:
    settings = llm_settings_from({"provider": "openai", "base_url": "http://127.0.0.1:8000/v1"}, {})
    assert settings.api_key is None and settings.model == "gpt-4o-mini"


def test_openai_can_be_asked_not_to_stream() -> None:
    settings = llm_settings_from({"provider": "openai", "stream": False}, {"OPENAI_API_KEY": KEY})
    assert settings.stream is False


def test_the_key_and_url_credentials_are_not_in_the_repr() -> None:
    config = {"provider": "openai", "base_url": "http://user:pa55word@host/v1?key=query5ecret"}
    settings = llm_settings_from(config, {"OPENAI_API_KEY": KEY})
    shown = repr(settings) + str(settings)
    assert KEY not in shown and "pa55word" not in shown and "query5ecret" not in shown
    assert "base_url='http://host/v1'" in shown


@pytest.mark.parametrize(
    ("config", "env", "overrides", "message"),
    [
        (
            {"provider": "gemini"},
            {},
            {},
            "llm.provider: must be one of openai, anthropic, ollama (got 'gemini')",
        ),
        ({}, {"PROMPTDECK_LLM_PROVIDER": "x"}, {}, "PROMPTDECK_LLM_PROVIDER: must be one of"),
        ({}, {}, {"provider": "gpt"}, "provider: must be one of openai, anthropic, ollama"),
        ({"modle": "x"}, {}, {}, "llm.modle: unknown; known: provider, model, base_url,"),
        ({"timeout": 0}, {}, {}, "llm.timeout: must be more than 0 and at most 3600 seconds"),
        ({"timeout": "30"}, {}, {}, "llm.timeout: must be a number of seconds (got '30')"),
        ({}, {}, {"timeout": -1}, "timeout: must be more than 0"),
        ({"max_retries": 21}, {}, {}, "llm.max_retries: must be between 0 and 20 (got 21)"),
        ({"max_retries": 1.5}, {}, {}, "llm.max_retries: must be a whole number"),
        ({"max_wait": -1}, {}, {}, "llm.max_wait: must be at least 0 and at most 3600"),
        ({"model": " "}, {}, {}, "llm.model: must be a model name"),
        ({}, {"PROMPTDECK_LLM_MODEL": " "}, {}, "PROMPTDECK_LLM_MODEL: must be a model name"),
        ({"stream": "no"}, {}, {}, "llm.stream: must be true or false (got 'no')"),
        ({"stream": False}, {}, {}, "llm.stream: ollama always streams (openai only)"),
        (
            {"base_url": "ftp://u:pw@host/x"},
            {},
            {},
            "llm.base_url: must be an http(s) URL (got 'ftp://host/x')",
        ),
        (
            {"provider": "openai"},
            {},
            {},
            "api_key: openai needs OPENAI_API_KEY or api_key in [llm] (none is set)",
        ),
        (
            {"provider": "anthropic"},
            {"OPENAI_API_KEY": KEY},
            {},
            "api_key: anthropic needs ANTHROPIC_API_KEY or api_key in [llm] (none is set)",
        ),
        (
            {"provider": "anthropic", "api_key": f"{KEY} {KEY}"},
            {},
            {},
            "llm.api_key: must be one word of text (got '<hidden>')",
        ),
    ],
)
def test_validation_names_the_setting(
    config: dict[str, Any], env: dict[str, str], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(PromptdeckError) as caught:
        llm_settings_from(config, env, **overrides)
    assert message in str(caught.value)
    assert KEY not in str(caught.value) and "pw" not in str(caught.value)


def test_a_missing_key_names_the_field() -> None:
    with pytest.raises(PromptdeckError) as caught:
        llm_settings_from({"provider": "openai"}, {})
    assert caught.value.field == "api_key"
    with pytest.raises(ValidationError) as invalid:
        llm_settings_from({"timeout": 0}, {})
    assert invalid.value.field == "llm.timeout"


def test_unknown_flags_are_a_programming_error() -> None:
    with pytest.raises(TypeError, match="unknown settings"):
        llm_settings_from({}, {}, colour="red")


def test_an_unknown_provider_cannot_be_made() -> None:
    with pytest.raises(ValidationError, match="provider: must be one of openai, anthropic"):
        make_chat_provider(LLMSettings("gemini"))
