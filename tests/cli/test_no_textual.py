"""The command line never loads Textual: only tui.main's no-verb path imports the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

UI_MODULES = ("textual", "tui.app", "tui.screens", "tui.widgets")


def _ui(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(UI_MODULES))


def test_importing_the_cli_loads_no_ui() -> None:
    code = "import sys, tui.cli, tui.main; print('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert _ui(done.stdout.splitlines()) == []


def test_a_verb_loads_no_ui(promptdeck_script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(promptdeck_script), "--db", str(tmp_path / "l.db")]
        + ["list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "(no prompts)\n"), done.stderr[-2000:]
    # `import time: self | cumulative | name`, one line per module imported.
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "tui.cli" in imported
    assert _ui(imported) == []
