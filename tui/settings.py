"""User settings (theme, keymap) in a TOML file in the platform's user config dir."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DEFAULT_THEME = "textual-dark"


class ConfigError(Exception):
    """The config file cannot be read; the message names the file and line."""


@dataclass
class Settings:
    path: Path
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)

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
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read: {error}") from error
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
        settings.theme, settings.keymap = theme, dict(keymap)
        return settings

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"theme = {_quote(self.theme)}", "", "[keymap]"]
        lines += [f"{_quote(k)} = {_quote(v)}" for k, v in sorted(self.keymap.items())]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def default_config_path() -> Path:
    override = os.environ.get("PROMPTDECK_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("promptdeck", appauthor=False)) / "config.toml"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
