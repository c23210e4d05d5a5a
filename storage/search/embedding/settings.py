"""Which embedding provider to use and how: from the user config's [embedding] table, the
environment and command-line flags (flags win over the environment, the environment over the
config). The API key comes from the environment or the user config only and is never shown."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import httpx

from storage.errors import PromptdeckError, ValidationError
from storage.models import EMBEDDING_PROVIDERS as PROVIDERS
from storage.search.embedding.base import EmbeddingProvider
from storage.search.embedding.client import redact_url
from storage.search.embedding.local import LocalProvider
from storage.search.embedding.ollama import OllamaProvider
from storage.search.embedding.openai import OpenAIProvider
from storage.search.embedding.secrets import HIDDEN
from storage.search.embedding.wordllama import DIMS as WORDLLAMA_DIMS
from storage.search.embedding.wordllama import MODEL as WORDLLAMA_MODEL
from storage.search.embedding.wordllama import WordLlamaProvider

DEFAULT_PROVIDER = "wordllama"
LOCAL_DIMS = 384

# Settings that describe one provider: a layer that names another provider does not pass them on.
_PER_PROVIDER = ("model", "base_url", "api_key", "dims")
_KEYS = ("provider", *_PER_PROVIDER, "batch_size", "timeout", "max_retries", "max_wait")
_ENV = {
    "provider": "PROMPTDECK_EMBED_PROVIDER",
    "model": "PROMPTDECK_EMBED_MODEL",
    "base_url": "PROMPTDECK_EMBED_BASE_URL",
}
_PROVIDER_ENV = {
    "openai": {"OPENAI_API_KEY": "api_key", "OPENAI_BASE_URL": "base_url"},
    "ollama": {"OLLAMA_HOST": "base_url"},
}


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = DEFAULT_PROVIDER  # wordllama | local | openai | ollama
    model: str | None = None  # None: the provider's default
    base_url: str | None = None  # None: the provider's default
    api_key: str | None = field(default=None, repr=False)  # never stored, logged or shown
    dims: int | None = None  # expected width; a vector of another width is an error
    batch_size: int = 64  # texts per request
    timeout: float = 30.0  # seconds per request
    max_retries: int = 5  # retries after the first try, on 429, 5xx, timeouts and resets
    max_wait: float = 120.0  # seconds of backoff waiting in total before giving up

    def __repr__(self) -> str:
        """The settings fit for a log: no API key, no user:password or query in base_url."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        if self.base_url is not None:
            shown["base_url"] = redact_url(self.base_url)
        return f"ProviderSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def settings_from(
    config: Mapping[str, Any], env: Mapping[str, str] | None = None, **overrides: Any
) -> ProviderSettings:
    """Settings from the [embedding] table `config`, the environment `env` (os.environ when None)
    and `overrides` (None values are ignored), validated, with the provider's defaults filled in.

    model, base_url, api_key and dims belong to the provider named beside them: when the
    environment or a flag picks another provider than the config names, they are not carried
    over. OPENAI_API_KEY / OPENAI_BASE_URL apply to openai only, OLLAMA_HOST to ollama only."""
    env = os.environ if env is None else env
    for key, value in config.items():
        if key not in _KEYS:
            raise ValidationError(f"embedding.{key}", value, f"unknown; known: {', '.join(_KEYS)}")
    unknown = sorted(set(overrides) - set(_KEYS))
    if unknown:
        raise TypeError(f"settings_from() got unknown settings {unknown}")

    ours = {name: (key, env[name]) for key, name in _ENV.items() if env.get(name)}
    layers = [  # lowest first; each maps where a value comes from to (setting, value)
        {f"embedding.{key}": (key, value) for key, value in config.items()},
        ours,
        {key: (key, value) for key, value in overrides.items() if value is not None},
    ]
    provider_source, provider = "provider", DEFAULT_PROVIDER
    for layer in layers:
        for source, (key, value) in layer.items():
            if key == "provider":
                provider_source, provider = source, value
    if provider not in PROVIDERS:
        raise ValidationError(provider_source, provider, f"must be one of {', '.join(PROVIDERS)}")

    layers.insert(1, _provider_env(provider, env))  # below our own variables
    chosen: dict[str, tuple[str, Any]] = {}
    for layer in layers:
        named = next((value for key, value in layer.values() if key == "provider"), provider)
        for source, (key, value) in layer.items():
            if key != "provider" and (named == provider or key not in _PER_PROVIDER):
                chosen[key] = (source, value)
    return _validated(provider, chosen)


def make_provider(
    settings: ProviderSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> EmbeddingProvider:
    """The provider the settings describe. `transport` and `sleep` are for tests and proxies."""
    if settings.provider == "wordllama":
        return WordLlamaProvider()
    if settings.provider == "local":
        return LocalProvider(dims=settings.dims or LOCAL_DIMS)
    if settings.provider == "openai":
        return OpenAIProvider(settings, transport=transport, sleep=sleep)
    if settings.provider == "ollama":
        return OllamaProvider(settings, transport=transport, sleep=sleep)
    raise ValidationError("provider", settings.provider, f"must be one of {', '.join(PROVIDERS)}")


def offline_provider(model: str) -> EmbeddingProvider | None:
    """The in-process provider that makes vectors of `model`, if one does."""
    if model == WORDLLAMA_MODEL:
        return WordLlamaProvider()
    width = model.removeprefix("local-ngram-")
    if width != model and width.isdigit() and 8 <= int(width) <= 65536:
        return LocalProvider(int(width))
    return None


def _provider_env(provider: str, env: Mapping[str, str]) -> dict[str, tuple[str, Any]]:
    """The provider's own variables that are set, as (setting, value) by variable name."""
    found: dict[str, tuple[str, Any]] = {}
    for name, key in _PROVIDER_ENV.get(provider, {}).items():
        if env.get(name):
            found[name] = (key, _ollama_host(env[name]) if name == "OLLAMA_HOST" else env[name])
    return found


def _ollama_host(host: str) -> str:
    """OLLAMA_HOST may be "host", "host:port" or a URL; the server's default port is 11434."""
    if "://" in host:
        return host
    return f"http://{host}" if ":" in host else f"http://{host}:11434"


def _validated(provider: str, chosen: dict[str, tuple[str, Any]]) -> ProviderSettings:
    def value(key: str) -> tuple[str, Any]:
        return chosen.get(key, (key, None))

    settings = ProviderSettings(provider=provider)
    source, model = value("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise ValidationError(source, model, "must be a model name")
    source, dims = value("dims")
    if dims is not None:
        low = 8 if provider == "local" else 1
        _integer(source, dims, low, 65536)
        if provider == "wordllama" and dims != WORDLLAMA_DIMS:
            raise ValidationError(source, dims, f"wordllama vectors have {WORDLLAMA_DIMS} dims")
    source, api_key = value("api_key")
    if api_key is not None and (
        not isinstance(api_key, str) or not api_key or any(c.isspace() for c in api_key)
    ):
        raise ValidationError(source, HIDDEN, "must be one word of text")
    source, base_url = value("base_url")
    if base_url is not None:
        base_url = _url(source, base_url)

    if provider in ("local", "wordllama"):
        if provider == "local":
            model, dims = _local_model(value("model")[0], model, dims)
        elif model not in (None, WORDLLAMA_MODEL):
            raise ValidationError(value("model")[0], model, f"wordllama has {WORDLLAMA_MODEL}")
        else:
            model, dims = WORDLLAMA_MODEL, WORDLLAMA_DIMS
        if base_url is not None:
            raise ValidationError(
                value("base_url")[0], redact_url(base_url), f"{provider} needs none"
            )
    elif provider == "openai":
        model = model or OpenAIProvider.default_model
        base_url = base_url or OpenAIProvider.default_url
        if api_key is None and base_url == OpenAIProvider.default_url:
            raise PromptdeckError(
                "api_key: openai needs OPENAI_API_KEY or api_key in [embedding] (none is set)",
                field="api_key",
            )
    else:
        model = model or OllamaProvider.default_model
        base_url = base_url or OllamaProvider.default_url
    settings = replace(settings, model=model, base_url=base_url, api_key=api_key, dims=dims)

    source, batch_size = value("batch_size")
    if batch_size is not None:
        settings = replace(settings, batch_size=_integer(source, batch_size, 1, 2048))
    source, max_retries = value("max_retries")
    if max_retries is not None:
        settings = replace(settings, max_retries=_integer(source, max_retries, 0, 20))
    source, timeout = value("timeout")
    if timeout is not None:
        settings = replace(settings, timeout=_seconds(source, timeout))
    source, max_wait = value("max_wait")
    if max_wait is not None:
        settings = replace(settings, max_wait=_seconds(source, max_wait, allow_zero=True))
    return settings


def _local_model(source: str, model: str | None, dims: int | None) -> tuple[str, int]:
    if model is None:
        dims = dims or LOCAL_DIMS
        return f"local-ngram-{dims}", dims
    width = model.removeprefix("local-ngram-")
    if width == model or not width.isdigit() or not 8 <= int(width) <= 65536:
        raise ValidationError(source, model, "local models are named local-ngram-<dims>")
    if dims is not None and dims != int(width):
        raise ValidationError(source, model, f"says {width} dims but dims is {dims}")
    return model, int(width)


def _integer(source: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(source, value, "must be a whole number")
    if not low <= value <= high:
        raise ValidationError(source, value, f"must be between {low} and {high}")
    return value


def _seconds(source: str, value: Any, *, allow_zero: bool = False) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValidationError(source, value, "must be a number of seconds")
    too_small = value < 0 if allow_zero else value <= 0
    if too_small or value > 3600:
        low = "at least 0" if allow_zero else "more than 0"
        raise ValidationError(source, value, f"must be {low} and at most 3600 seconds")
    return float(value)


def _url(source: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(source, value, "must be an http(s) URL")
    try:
        url = httpx.URL(value.strip())
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        shown = redact_url(value) if isinstance(value, str) else value
        raise ValidationError(source, shown, "must be an http(s) URL")
    return str(url.copy_with(path=url.path.rstrip("/")))
