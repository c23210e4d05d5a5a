"""A screen's .tcss applies app-wide once the screen is loaded, so every rule in it must be
scoped by the screen's type selector; app.tcss holds only app-wide rules."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from textual.css.model import SelectorSet, SelectorType
from textual.css.stylesheet import Stylesheet
from textual.pilot import Pilot
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

import tui
import tui.pick
import tui.screens
from tests.tui.conftest import Settle, SnapCompare
from tui.app import PromptdeckApp

VARIABLES = BUILTIN_THEMES["textual-dark"].to_color_system().generate()


PACKAGES = (tui.screens, tui.pick)  # the app's screens, and the picker's


def _styled_screens() -> dict[Path, type[Screen[object]]]:
    """Each .tcss under tui/screens (and tui/pick) by the screen class whose CSS_PATH names
    it."""
    found: dict[Path, type[Screen[object]]] = {}
    modules = [
        f"{package.__name__}.{info.name}"
        for package in PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
    ]
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Screen) and value.CSS_PATH):
                continue
            paths = value.CSS_PATH if isinstance(value.CSS_PATH, list) else [value.CSS_PATH]
            for path in paths:
                found[(Path(module.__file__ or "").parent / path).resolve()] = value
    return found


def _selectors(path: Path) -> list[SelectorSet]:
    """Every selector of every rule in the file (nested rules flattened)."""
    sheet = Stylesheet(variables=VARIABLES)
    sheet.read(path)
    sheet.parse()
    return [chain for rule in sheet.rules for chain in rule.selector_set]


SCREENS = _styled_screens()


def test_every_screen_stylesheet_belongs_to_a_screen() -> None:
    files = {p.resolve() for pkg in PACKAGES for p in Path(pkg.__path__[0]).glob("*.tcss")}
    assert files == set(SCREENS)


@pytest.mark.parametrize("path", sorted(SCREENS), ids=lambda p: p.name)
def test_screen_rules_are_scoped_to_their_screen(path: Path) -> None:
    screen = SCREENS[path].__name__
    for chain in _selectors(path):
        first = chain.selectors[0]
        assert (first.type, first.name) == (SelectorType.TYPE, screen), f"{path.name}: {chain.css}"


def test_app_stylesheet_names_no_widget_id() -> None:
    for chain in _selectors(Path(tui.__path__[0]) / "app.tcss"):
        assert all(s.type != SelectorType.ID for s in chain.selectors), chain.css


def test_lineage_styles_leave_the_editor_details_alone(
    app: PromptdeckApp, snap_compare: SnapCompare, settle: Settle
) -> None:
    """After the lineage screen (its own #details box), the editor's Details tab shows its
    fields: phase, provider, model, temperature."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in ("ctrl+g", "escape", "enter", "f2"):
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
