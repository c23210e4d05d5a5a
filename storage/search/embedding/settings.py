"""Which embedding provider to use and how: from the user config's [embedding] table, the
environment and command-line flags (flags win over the environment, the environment over the
config). The API key comes from the environment or the user config only and is never shown."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from storage.errors import ValidationError
from storage.models import EMBEDDING_PROVIDERS as PROVIDERS
from storage.remote import settings as checks
from storage.remote.settings import Chosen, SettingsTable, layered, settings_repr
from storage.remote.urls import redact_url
from storage.search.embedding.base import EmbeddingProvider
from storage.search.embedding.local import LocalProvider
from storage.search.embedding.wordllama import DIMS as WORDLLAMA_DIMS
from storage.search.embedding.wordllama import MODEL as WORDLLAMA_MODEL
from storage.search.embedding.wordllama import WordLlamaProvider

if TYPE_CHECKING:
    import httpx

# The HTTP providers (and httpx) are imported where they are made or their defaults are read:
# the bundled model's settings need neither.

DEFAULT_PROVIDER = "wordllama"
LOCAL_DIMS = 384

# Settings that describe one provider: a layer that names another provider does not pass them on.
_PER_PROVIDER = ("model", "base_url", "api_key", "dims")
TABLE = SettingsTable(
    name="embedding",
    keys=("provider", *_PER_PROVIDER, "batch_size", "timeout", "max_retries", "max_wait"),
    per_provider=_PER_PROVIDER,
    env={
        "provider": "PROMPTDECK_EMBED_PROVIDER",
        "model": "PROMPTDECK_EMBED_MODEL",
        "base_url": "PROMPTDECK_EMBED_BASE_URL",
    },
    provider_env={
        "openai": {"OPENAI_API_KEY": "api_key", "OPENAI_BASE_URL": "base_url"},
        "ollama": {"OLLAMA_HOST": "base_url"},
    },
    providers=PROVIDERS,
    default=DEFAULT_PROVIDER,
)


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
        return settings_repr(self)


def settings_from(
    config: Mapping[str, Any], env: Mapping[str, str] | None = None, **overrides: Any
) -> ProviderSettings:
    """Settings from the [embedding] table `config`, the environment `env` (os.environ when None)
    and `overrides` (None values are ignored), validated, with the provider's defaults filled in.

    model, base_url, api_key and dims belong to the provider named beside them: when the
    environment or a flag picks another provider than the config names, they are not carried
    over. OPENAI_API_KEY / OPENAI_BASE_URL apply to openai only, OLLAMA_HOST to ollama only."""
    provider, chosen = layered(TABLE, config, env, overrides)
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
        from storage.search.embedding.openai import OpenAIProvider

        return OpenAIProvider(settings, transport=transport, sleep=sleep)
    if settings.provider == "ollama":
        from storage.search.embedding.ollama import OllamaProvider

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


def _validated(provider: str, chosen: Chosen) -> ProviderSettings:
    def value(key: str) -> tuple[str, Any]:
        return chosen.get(key, (key, None))

    model = checks.model_name(*value("model"))
    source, dims = value("dims")
    if dims is not None:
        checks.integer(source, dims, 8 if provider == "local" else 1, 65536)
        if provider == "wordllama" and dims != WORDLLAMA_DIMS:
            raise ValidationError(source, dims, f"wordllama vectors have {WORDLLAMA_DIMS} dims")
    api_key = checks.api_key(*value("api_key"))
    source, base_url = value("base_url")
    if base_url is not None:
        base_url = checks.url(source, base_url)

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
        from storage.search.embedding.openai import OpenAIProvider

        model = model or OpenAIProvider.default_model
        base_url = base_url or OpenAIProvider.default_url
        if api_key is None and base_url == OpenAIProvider.default_url:
            raise checks.missing_key("embedding", "openai", "OPENAI_API_KEY")
    else:
        from storage.search.embedding.ollama import OllamaProvider

        model = model or OllamaProvider.default_model
        base_url = base_url or OllamaProvider.default_url
    settings = ProviderSettings(
        provider, model=model, base_url=base_url, api_key=api_key, dims=dims
    )
    source, batch_size = value("batch_size")
    if batch_size is not None:
        settings = replace(settings, batch_size=checks.integer(source, batch_size, 1, 2048))
    return replace(settings, **checks.limits(chosen))


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
