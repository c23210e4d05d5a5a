"""ARCHITECTURE.md stays true: its folder map names every module, its service table every
service the Library hands out, and the rules it states hold in the code."""

from __future__ import annotations

import re
from pathlib import Path

from storage import Library
from storage.library import _BuiltOnUse

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", TEXT, re.MULTILINE | re.DOTALL)
    assert match, f"ARCHITECTURE.md has no '## {title}' section"
    return match.group(1)


def test_the_folder_map_names_every_module_and_package() -> None:
    folder_map = _section("Folder map")
    for package in ("storage", "tui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__init__.py" and path.parent.name not in ("storage", "tui"):
                name = path.parent.name + "/"
            elif path.name == "__init__.py":
                continue
            else:
                name = path.name
            inside = path.relative_to(ROOT).parts
            if inside[0] == "tui" and inside[1] in ("cli", "screens", "widgets"):
                continue  # one module per verb group, screen or widget: the folder is named
            if inside[:3] == ("storage", "search", "embedding"):
                continue  # the providers: the folder is named
            assert re.search(rf"(?<![\w./]){re.escape(name)}", folder_map), f"{path} not in map"


def test_the_service_table_is_what_library_builds(tmp_path: Path) -> None:
    listed = set(re.findall(r"^\| `library\.(\w+)` \| `(\w+)` \|", _section("Services"), re.M))
    library = Library(tmp_path / "a.duckdb")
    on_use = [name for name, value in vars(Library).items() if isinstance(value, _BuiltOnUse)]
    assert on_use  # built on first use: not in vars(library) until then
    names = [name for name in vars(library) if not name.startswith("_")] + on_use
    built = {(name, type(getattr(library, name)).__name__) for name in names}
    built = {(n, "Database" if n == "db" else kind) for n, kind in built}
    assert listed == built


def test_no_worker_calls_back_into_the_ui_thread_and_no_screen_imports_the_app() -> None:
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "call_from_thread" not in text, path
        if path.parent.name in ("screens", "widgets"):
            assert "tui.app" not in text, path


def test_no_file_in_storage_or_tui_is_over_500_lines() -> None:
    for package in ("storage", "tui"):
        for path in (ROOT / package).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").count("\n")
            assert lines <= 500, f"{path}: {lines} lines"
