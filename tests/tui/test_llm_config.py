"""The [llm] table of the user config file: read as written, and kept when the TUI saves the
settings (a theme change rewrites the file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.shared.settings import ConfigError, Settings

CONFIG = """theme = "nord"

[llm]
provider = "openai"
model = "gpt-4o-mini"
base_url = "http://127.0.0.1:8080/v1"
api_key = "sk-\\"quoted\\"\\\\back\\tslash"
timeout = 30.5
max_retries = 2
stream = false
"""


async def test_a_theme_change_saved_by_the_app_keeps_the_llm_table(
    library: Library, tmp_path: Path, settle: Settle
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    before = Settings.load(path).llm
    assert before["api_key"] == 'sk-"quoted"\\back\tslash' and before["stream"] is False
    app = PromptdeckApp(library, settings=Settings.load(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "gruvbox"
        await settle(pilot)
    again = Settings.load(path)
    assert again.theme == "gruvbox"
    assert again.llm == before


def test_an_llm_value_that_is_a_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[llm]\nprovider = "ollama"\n[llm.extra]\nx = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[llm\] must be a table of values"):
        Settings.load(path)
