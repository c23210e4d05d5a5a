"""Where the default library lives: PROMPTDECK_DB, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from storage.db.lake_spec import is_lake

APP_NAME = "promptdeck"


def data_home() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_library_path() -> Path | str:
    """PROMPTDECK_DB (a file, or a team library's `ducklake:...`, kept as written), else
    library.duckdb in the user data dir."""
    override = os.environ.get("PROMPTDECK_DB")
    if override:
        return override if is_lake(override) else Path(override).expanduser()
    return data_home() / "library.duckdb"
