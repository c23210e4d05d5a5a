"""Opening the library file: short-lived connections, lock retry, offline fts extension."""

from __future__ import annotations

import re
import time
from importlib.util import find_spec
from pathlib import Path

import duckdb

from storage.errors import LibraryLocked, SchemaError

_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def extension_path(name: str) -> Path | None:
    """The extension `name` shipped by its pip package (duckdb-extension-NAME), if installed."""
    spec = find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    wanted = base / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if wanted.is_file():
        return wanted
    found = sorted(base.glob(f"*/{name}.duckdb_extension"))
    return found[-1] if found else None


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Load an extension from its pip package (never downloaded); False when it cannot."""
    path = extension_path(name)
    if path is None:
        return False
    try:
        con.execute(f"LOAD '{path.as_posix()}'")
    except duckdb.InterruptException:  # a background read paused: not a missing extension
        raise
    except duckdb.Error:
        return False
    return True


def load_fts(con: duckdb.DuckDBPyConnection) -> bool:
    return load_extension(con, "fts")


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_closing_race(error: duckdb.Error) -> bool:
    """Another thread of this process just closed the file's last connection and DuckDB has
    not let go of its handle yet: opening again a moment later succeeds."""
    return "Unique file handle conflict" in str(error)


def connect(
    path: Path, *, read_only: bool = False, lock_timeout: float = 5.0
) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying with backoff while another process holds its lock."""
    deadline = time.monotonic() + lock_timeout
    delay = 0.02
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise SchemaError(
                    f"{path}: cannot open library: {error}", file=str(path)
                ) from error
            if time.monotonic() >= deadline:
                match = _LOCK_HOLDER.search(str(error))
                pid = int(match.group(1)) if match else None
                raise LibraryLocked(str(path), pid, lock_timeout) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        except duckdb.Error as error:
            if _is_closing_race(error) and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            raise SchemaError(
                f"{path}: not a promptdeck library: {error}", file=str(path)
            ) from error
