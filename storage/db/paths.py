"""Where the default library lives: PROMPTDECK_DB, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "promptdeck"


def default_library_path() -> Path:
    override = os.environ.get("PROMPTDECK_DB")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library.duckdb"
