"""The app shell: settings from the config file, a broken file reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Library
from tests.tui.conftest import Settle
from tui.app import PromptdeckApp
from tui.shared.settings import ConfigError, Settings


def test_a_broken_config_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[keymap\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Settings.load(path)
    assert str(path) in str(caught.value)
    assert "line 2" in str(caught.value)


def test_a_keymap_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[keymap]\n'browse.new' = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[keymap\] must map binding ids to keys"):
        Settings.load(path)


async def test_the_app_starts_on_defaults_and_shows_the_config_error(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settle: Settle
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = \n", encoding="utf-8")
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(path))
    app = PromptdeckApp(library)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(str(path) in m and "line 1" in m and "using defaults" in m for m in messages)
        assert app.theme == "textual-dark"
        assert path.read_text(encoding="utf-8") == "theme = \n"  # not overwritten


async def test_keymap_and_theme_from_the_config_file_apply(
    library: Library, tmp_path: Path, settle: Settle
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[keymap]\n"browse.new" = "N"\n', encoding="utf-8")
    app = PromptdeckApp(library, settings=Settings.load(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        await pilot.press("N")
        await settle(pilot)
        assert type(app.screen).__name__ == "EditScreen"
