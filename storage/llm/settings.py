"""Which chat provider to use and how: from the user config's [llm] table, the environment and
command-line flags (flags win over the environment, the environment over the config), layered
and checked as the [embedding] settings are. The API key comes from the environment or the user
config only and is never shown."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from storage.errors import ValidationError
from storage.llm.anthropic import AnthropicChat
from storage.llm.base import ChatProvider
from storage.llm.ollama import OllamaChat
from storage.llm.openai import OpenAIChat
from storage.remote import settings as checks
from storage.remote.settings import Chosen, SettingsTable, layered, settings_repr

CHAT_PROVIDERS: dict[str, type[ChatProvider]] = {
    "openai": OpenAIChat,
    "anthropic": AnthropicChat,
    "ollama": OllamaChat,
}
DEFAULT_PROVIDER = "ollama"  # local, and needs no key
_KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

# Settings that describe one provider: a layer that names another provider does not pass them on.
_PER_PROVIDER = ("model", "base_url", "api_key", "stream")
TABLE = SettingsTable(
    name="llm",
    keys=("provider", *_PER_PROVIDER, "timeout", "max_retries", "max_wait"),
    per_provider=_PER_PROVIDER,
    env={
        "provider": "PROMPTDECK_LLM_PROVIDER",
        "model": "PROMPTDECK_LLM_MODEL",
        "base_url": "PROMPTDECK_LLM_BASE_URL",
    },
    provider_env={
        "openai": {"OPENAI_API_KEY": "api_key"},
        "anthropic": {"ANTHROPIC_API_KEY": "api_key"},
        "ollama": {"OLLAMA_HOST": "base_url"},
    },
    providers=tuple(CHAT_PROVIDERS),
    default=DEFAULT_PROVIDER,
)


@dataclass(frozen=True)
class LLMSettings:
    provider: str = DEFAULT_PROVIDER  # openai | anthropic | ollama
    model: str | None = None  # None: the provider's default; a request names its own
    base_url: str | None = None  # None: the provider's default
    api_key: str | None = field(default=None, repr=False)  # never stored, logged or shown
    stream: bool = True  # False: ask for the whole answer at once (openai only)
    timeout: float = 120.0  # seconds to wait for an answer to start, and between its pieces
    max_retries: int = 3  # retries after the first try, on 408, 429, 5xx, timeouts and resets
    max_wait: float = 120.0  # seconds of backoff waiting in total before giving up

    def __repr__(self) -> str:
        """The settings fit for a log: no API key, no user:password or query in base_url."""
        return settings_repr(self)


def llm_settings_from(
    config: Mapping[str, Any], env: Mapping[str, str] | None = None, **overrides: Any
) -> LLMSettings:
    """Settings from the [llm] table `config`, the environment `env` (os.environ when None) and
    `overrides` (flags; None values are ignored), validated, with the provider's defaults.

    model, base_url, api_key and stream belong to the provider named beside them: when the
    environment or a flag picks another provider than the config names, they are not carried
    over. OPENAI_API_KEY applies to openai only, ANTHROPIC_API_KEY to anthropic only,
    OLLAMA_HOST to ollama only."""
    provider, chosen = layered(TABLE, config, env, overrides)
    return _validated(provider, chosen)


def make_chat_provider(
    settings: LLMSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ChatProvider:
    """The provider the settings describe. `transport`, `sleep` and `clock` are for tests and
    proxies."""
    kind = CHAT_PROVIDERS.get(settings.provider)
    if kind is None:
        known = ", ".join(CHAT_PROVIDERS)
        raise ValidationError("provider", settings.provider, f"must be one of {known}")
    return kind(settings, transport=transport, sleep=sleep, clock=clock)


def _validated(provider: str, chosen: Chosen) -> LLMSettings:
    def value(key: str) -> tuple[str, Any]:
        return chosen.get(key, (key, None))

    kind = CHAT_PROVIDERS[provider]
    model = checks.model_name(*value("model")) or kind.default_model
    api_key = checks.api_key(*value("api_key"))
    source, base_url = value("base_url")
    base_url = kind.default_url if base_url is None else checks.url(source, base_url)
    if api_key is None and provider in _KEY_VARIABLES and base_url == kind.default_url:
        raise checks.missing_key("llm", provider, _KEY_VARIABLES[provider])
    settings = LLMSettings(provider, model=model, base_url=base_url, api_key=api_key)

    source, stream = value("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            raise ValidationError(source, stream, "must be true or false")
        if not stream and provider != "openai":
            raise ValidationError(source, stream, f"{provider} always streams (openai only)")
        settings = replace(settings, stream=stream)
    return replace(settings, **checks.limits(chosen))
