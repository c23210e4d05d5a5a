"""The [embedding] table of the user config file: read, checked with the line of a bad value,
kept on save, and turned into provider settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.shared.settings import ConfigError, Settings

CONFIG = """theme = "nord"

[keymap]
quit = "ctrl+x"

[embedding]
provider = "ollama"
model = "mxbai-embed-large"
batch_size = 32
timeout = 12.5
"""


def test_the_table_is_read_and_becomes_provider_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = Settings.load(path)
    assert settings.embedding["model"] == "mxbai-embed-large"
    provider = settings.provider_settings(env={"OLLAMA_HOST": "box:1234"}, batch_size=8)
    assert (provider.provider, provider.model) == ("ollama", "mxbai-embed-large")
    assert (provider.base_url, provider.batch_size, provider.timeout) == (
        "http://box:1234",
        8,
        12.5,
    )


def test_save_keeps_the_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = Settings.load(path)
    settings.theme = "gruvbox"
    settings.save()
    again = Settings.load(path)
    assert again.theme == "gruvbox"
    assert again.embedding == settings.embedding


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "batch_size = 32",
            "batch_size = 0",
            "embedding.batch_size: must be between 1 and 2048 (got 0) (at line 9)",
        ),
        (
            'provider = "ollama"',
            'provider = "bert"',
            "embedding.provider: must be one of wordllama, local, openai, ollama (got 'bert')"
            " (at line 7)",
        ),
        (
            "timeout = 12.5",
            "timeuot = 12.5",
            "embedding.timeuot: unknown; known: provider, model, base_url, api_key, dims,"
            " batch_size, timeout, max_retries, max_wait (got 12.5) (at line 10)",
        ),
    ],
)
def test_a_bad_value_names_the_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Settings.load(path)
    assert str(caught.value) == f"{path}: {message}"


def test_a_missing_key_is_left_for_when_a_provider_is_made(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[embedding]\nprovider = "openai"\n', encoding="utf-8")
    settings = Settings.load(path)  # the key may come from OPENAI_API_KEY later
    assert settings.provider_settings(env={"OPENAI_API_KEY": "sk-x"}).api_key == "sk-x"


def test_a_non_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('embedding = "openai"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[embedding\] must be a table"):
        Settings.load(path)
