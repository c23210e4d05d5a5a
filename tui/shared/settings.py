"""User settings (theme, keymap, [embedding], [llm], [library]) in a TOML file in the platform's
user config dir."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

import storage
from storage import MAX_NESTING, nesting_depth
from storage.errors import PromptdeckError, ValidationError

if TYPE_CHECKING:
    from storage import EmbeddingProvider, ProviderSettings

# storage.settings_from and storage.make_provider are looked up where they are called:
# importing this module (every CLI verb does) must not import the embedding providers, and
# numpy and httpx with them.

DEFAULT_THEME = "textual-dark"
_TOO_DEEP = f"tables and arrays nest more than {MAX_NESTING} levels deep"


class ConfigError(Exception):
    """The config file cannot be read; the message names the file and line."""


@dataclass
class Settings:
    path: Path
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)
    embedding: dict[str, Any] = field(default_factory=dict)  # the [embedding] table as written
    llm: dict[str, Any] = field(default_factory=dict)  # the [llm] table as written (see run)
    told: list[str] = field(default_factory=list)  # the search models already offered
    # [library]: db (a file or a team library's ducklake:...), lake_data, actor
    library: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the file if it exists; a broken file raises ConfigError with its line."""
        path = path or default_config_path()
        settings = cls(path)
        if not path.is_file():
            return settings
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from error
        except RecursionError as error:
            raise ConfigError(f"{path}: {_TOO_DEEP}") from error
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read: {error}") from error
        if nesting_depth(data) > MAX_NESTING:
            raise ConfigError(f"{path}: {_TOO_DEEP}")
        theme = data.get("theme", DEFAULT_THEME)
        keymap = data.get("keymap", {})
        if not isinstance(theme, str):
            raise ConfigError(f"{path}: theme must be a string, got {theme!r}")
        if not isinstance(keymap, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()
        ):
            raise ConfigError(
                f'{path}: [keymap] must map binding ids to keys, e.g. quit = "ctrl+x"'
            )
        told = data.get("told", [])
        if not isinstance(told, list) or not all(isinstance(t, str) for t in told):
            raise ConfigError(f"{path}: told must be a list of model names, got {told!r}")
        settings.theme, settings.keymap, settings.told = theme, dict(keymap), list(told)
        settings.embedding = _embedding_table(path, data)
        settings.llm = _llm_table(path, data)
        settings.library = _library_table(path, data)
        return settings

    def provider_settings(
        self, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> ProviderSettings:
        """The embedding provider settings: flags (`overrides`) over env over [embedding]."""
        return storage.settings_from(self.embedding, env, **overrides)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"theme = {_quote(self.theme)}"]
        if self.told:
            lines.append(f"told = [{', '.join(_quote(t) for t in self.told)}]")
        lines += ["", "[keymap]"]
        lines += [f"{_quote(k)} = {_quote(v)}" for k, v in sorted(self.keymap.items())]
        for name, table in (("embedding", self.embedding), ("llm", self.llm)):
            if table:
                lines += ["", f"[{name}]"]
                lines += [f"{_quote(k)} = {_toml_value(v)}" for k, v in table.items()]
        if self.library:
            lines += ["", "[library]"]
            lines += [f"{k} = {_quote(v)}" for k, v in self.library.items()]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def default_config_path() -> Path:
    override = os.environ.get("PROMPTDECK_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("promptdeck", appauthor=False)) / "config.toml"


def _embedding_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The [embedding] table, checked; a bad value raises ConfigError naming its line. Problems
    that depend on the environment (a missing API key) are left for when a provider is made."""
    table = data.get("embedding", {})
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: [embedding] must be a table, e.g. provider = "local"')
    try:
        storage.settings_from(table, env={})
    except PromptdeckError as error:
        if error.field is None or not error.field.startswith("embedding."):
            return dict(table)
        key = error.field.removeprefix("embedding.")
        line = _line_of(path.read_text(encoding="utf-8"), "embedding", key)
        where = f" (at line {line})" if line else ""
        raise ConfigError(f"{path}: {error}{where}") from error
    return dict(table)


def _llm_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The [llm] table as written: its values are checked when a chat provider is made (a bad
    one is then an error naming `llm.<key>`), so that a verb that runs no model never fails
    on it, and a save keeps it."""
    table = data.get("llm", {})
    if not isinstance(table, dict) or not all(
        isinstance(v, str | bool | int | float) for v in table.values()
    ):
        raise ConfigError(f'{path}: [llm] must be a table of values, e.g. provider = "ollama"')
    return dict(table)


LIBRARY_KEYS = ("db", "lake_data", "actor", "write_attempts")


def _library_table(path: Path, data: dict[str, Any]) -> dict[str, str]:
    """[library]: which library to open (db), a new team library's data folder (lake_data),
    the name the audit log gives this user's actions (actor, default: the OS user) and how
    many times a team library tries an action that lost a write conflict (write_attempts)."""
    table = data.get("library", {})
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: [library] must be a table, e.g. actor = "ana"')
    for key, value in table.items():
        if key not in LIBRARY_KEYS:
            raise ConfigError(
                f"{path}: [library] {key}: unknown (known: {', '.join(LIBRARY_KEYS)})"
            )
        if key == "write_attempts" and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: [library] {key} must be a non-empty string")
    return {k: str(v).strip() for k, v in table.items()}


def library_options(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What Library takes from the settings: lake_data (PROMPTDECK_LAKE_DATA over the
    config), actor (the config's, else Library's default, the OS user) and write_attempts
    (PROMPTDECK_WRITE_ATTEMPTS over the config, else Library's default)."""
    env = os.environ if env is None else env
    options: dict[str, Any] = {
        "lake_data": env.get("PROMPTDECK_LAKE_DATA") or settings.library.get("lake_data"),
        "actor": settings.library.get("actor"),
    }
    attempts = env.get("PROMPTDECK_WRITE_ATTEMPTS") or settings.library.get("write_attempts")
    if attempts:
        try:
            options["write_attempts"] = int(attempts)
        except ValueError:
            raise ValidationError("write_attempts", attempts, "must be a whole number") from None
    return options


def _line_of(text: str, table: str, key: str) -> int | None:
    """The 1-based line where `key` is set inside `[table]`, if it is written that way."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped.strip("[] ")
        elif current == table and stripped.split("=", 1)[0].strip().strip("\"'") == key:
            return number
    return None


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _quote(value: str) -> str:
    """A TOML basic string: JSON's escapes (quotes, backslashes, control characters) are TOML's."""
    return json.dumps(value, ensure_ascii=False)


def load_settings() -> tuple[Settings, str | None]:
    """The user's settings, or the defaults and the reason when the file is broken."""
    try:
        return Settings.load(), None
    except ConfigError as error:
        return Settings(default_config_path()), str(error)


def configured_embedder(settings: Settings) -> tuple[EmbeddingProvider | None, str | None]:
    """The provider that embeds each saved prompt (local unless [embedding] names another),
    or None and the reason when its settings are not usable."""
    try:
        return storage.make_provider(settings.provider_settings()), None
    except PromptdeckError as error:
        return None, str(error)
