"""How the settings of a provider that calls a server are chosen and checked, for [embedding]
and [llm] alike: a config table, the environment and command-line flags (flags win over the
environment, the environment over the config). Every error names the setting as the user set it
(`llm.timeout`, `PROMPTDECK_LLM_PROVIDER`, `timeout` for a flag) and never shows an API key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from storage.errors import PromptdeckError, ValidationError
from storage.remote.secrets import HIDDEN
from storage.remote.urls import redact_url

Chosen = dict[str, tuple[str, Any]]  # setting -> (where it was set, value)


@dataclass(frozen=True)
class SettingsTable:
    """The settings of one config table and where else they may be set."""

    name: str  # the config table: "embedding", "llm"
    keys: tuple[str, ...]  # every setting it may hold
    per_provider: tuple[str, ...]  # those that describe one provider (model, base_url, api_key)
    env: Mapping[str, str]  # setting -> our environment variable
    provider_env: Mapping[str, Mapping[str, str]]  # provider -> its own variable -> setting
    providers: tuple[str, ...]
    default: str  # the provider when none is named


def layered(
    table: SettingsTable,
    config: Mapping[str, Any],
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any],
) -> tuple[str, Chosen]:
    """The provider and each setting given for it, from the config table, the environment `env`
    (os.environ when None) and `overrides` (flags; None values are ignored).

    The per-provider settings belong to the provider named beside them: when the environment or
    a flag picks another provider than the config names, they are not carried over. A
    provider's own variables (OPENAI_API_KEY, OLLAMA_HOST, ...) apply to it only, below ours."""
    env = os.environ if env is None else env
    for key, value in config.items():
        if key not in table.keys:
            known = ", ".join(table.keys)
            raise ValidationError(f"{table.name}.{key}", value, f"unknown; known: {known}")
    unknown = sorted(set(overrides) - set(table.keys))
    if unknown:
        raise TypeError(f"got unknown settings {unknown}")

    ours = {name: (key, env[name]) for key, name in table.env.items() if env.get(name)}
    layers = [  # lowest first; each maps where a value comes from to (setting, value)
        {f"{table.name}.{key}": (key, value) for key, value in config.items()},
        ours,
        {key: (key, value) for key, value in overrides.items() if value is not None},
    ]
    provider_source, provider = "provider", table.default
    for layer in layers:
        for source, (key, value) in layer.items():
            if key == "provider":
                provider_source, provider = source, value
    if provider not in table.providers:
        raise ValidationError(
            provider_source, provider, f"must be one of {', '.join(table.providers)}"
        )

    own = table.provider_env.get(provider, {})
    layers.insert(
        1, {name: (key, _own(name, env[name])) for name, key in own.items() if env.get(name)}
    )
    chosen: Chosen = {}
    for layer in layers:
        named = next((value for key, value in layer.values() if key == "provider"), provider)
        for source, (key, value) in layer.items():
            if key != "provider" and (named == provider or key not in table.per_provider):
                chosen[key] = (source, value)
    return provider, chosen


def _own(name: str, value: str) -> str:
    return ollama_host(value) if name == "OLLAMA_HOST" else value


def ollama_host(host: str) -> str:
    """OLLAMA_HOST may be "host", "host:port" or a URL; the server's default port is 11434."""
    if "://" in host:
        return host
    return f"http://{host}" if ":" in host else f"http://{host}:11434"


def settings_repr(settings: Any) -> str:
    """A settings dataclass fit for a log: no API key (a field with repr=False), no user:password
    or query in base_url."""
    shown = {f.name: getattr(settings, f.name) for f in fields(settings) if f.repr}
    if shown.get("base_url") is not None:
        shown["base_url"] = redact_url(shown["base_url"])
    return f"{type(settings).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def missing_key(table: str, provider: str, variable: str) -> PromptdeckError:
    return PromptdeckError(
        f"api_key: {provider} needs {variable} or api_key in [{table}] (none is set)",
        field="api_key",
    )


def limits(chosen: Chosen) -> dict[str, Any]:
    """The client's limits that were set (timeout, max_retries, max_wait), checked."""
    checked: dict[str, Any] = {}
    for key, (source, value) in chosen.items():
        if key == "timeout":
            checked[key] = seconds(source, value)
        elif key == "max_retries":
            checked[key] = integer(source, value, 0, 20)
        elif key == "max_wait":
            checked[key] = seconds(source, value, allow_zero=True)
    return checked


def model_name(source: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(source, value, "must be a model name")
    return value


def api_key(source: str, value: Any) -> str | None:
    if value is not None and (
        not isinstance(value, str) or not value or any(c.isspace() for c in value)
    ):
        raise ValidationError(source, HIDDEN, "must be one word of text")
    return value


def integer(source: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(source, value, "must be a whole number")
    if not low <= value <= high:
        raise ValidationError(source, value, f"must be between {low} and {high}")
    return value


def seconds(source: str, value: Any, *, allow_zero: bool = False) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValidationError(source, value, "must be a number of seconds")
    too_small = value < 0 if allow_zero else value <= 0
    if too_small or value > 3600:
        low = "at least 0" if allow_zero else "more than 0"
        raise ValidationError(source, value, f"must be {low} and at most 3600 seconds")
    return float(value)


def url(source: str, value: Any) -> str:
    """An http(s) URL without a trailing slash."""
    import httpx  # here, not at the top: settings with no URL (the bundled model's) need none

    if not isinstance(value, str):
        raise ValidationError(source, value, "must be an http(s) URL")
    try:
        parsed = httpx.URL(value.strip())
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValidationError(source, redact_url(value), "must be an http(s) URL")
    return str(parsed.copy_with(path=parsed.path.rstrip("/")))
