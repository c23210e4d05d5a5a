"""Fixtures shared by every test suite: libraries on real DuckDB files, with a ticking clock.

* `library_path`: tmp_path / "lib.duckdb".
* `library`: an empty, opened `storage.Library` there; its clock is a `TickingClock` (starts at
  2026-01-15 09:30, one second per call) and its ids come from `storage.db.ids.sequential_ids()`.
* `sample_library`: a library filled by `tui.demo.write_sample_library`.
* `library_from(build)`: a library in the state `build(library)` leaves an empty one in.
* `new_library(path)`: a library built in the test itself, with the same clock and ids.

Building a library through the facade costs tens of milliseconds per action, so each distinct
build runs once per session into a template file; every test gets a copy of that file, opened
with a clock and an id factory that continue exactly where the build left off. A test cannot
tell the copy from a library built in front of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage import Library
from storage.db.connection import connect
from storage.db.ids import IdFactory
from storage.errors import PromptdeckError
from tests.helpers import sequential_ids
from tests.postgres import Postgres, PostgresMissing, find_bin

# Search keeps the text index's arrays in the user cache dir: the tests' go to their own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="promptdeck-test-cache-")

START = datetime(2026, 1, 15, 9, 30)
ACTOR = "tester"
BUILD_LINGER = 600.0  # seconds: longer than any build

Builder = Callable[[Library], object]


class TickingClock:
    """A deterministic clock: starts at `start` and moves `step` forward on every call, so that
    each write is strictly later than the one before (orderings by time are reproducible)."""

    def __init__(self, start: datetime = START, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step
        self.calls = 0

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        self.calls += 1
        return current

    def peek(self) -> datetime:
        """The time the next call will return, without advancing."""
        return self.now


class CountingIds:
    """`sequential_ids()` that counts the ids it hands out, and can start after `skip` of them."""

    def __init__(self, skip: int = 0) -> None:
        self._next: IdFactory = sequential_ids()
        self.issued = 0
        for _ in range(skip):
            self()

    def __call__(self) -> str:
        self.issued += 1
        return self._next()


@dataclass(frozen=True)
class LibraryTemplate:
    """A library file as a build left it, with the state of its clock and id factory."""

    path: Path
    clock_now: datetime
    clock_calls: int
    ids_issued: int

    @classmethod
    def build(cls, path: Path, builder: Builder) -> LibraryTemplate:
        clock, ids = TickingClock(), CountingIds()
        # One connection for the whole build (several times faster than one per action); not
        # interactive, so search keeps no state in memory: the file is what a plain build writes.
        library = Library(
            path, clock=clock, new_id=ids, actor=ACTOR, linger=BUILD_LINGER, interactive=False
        ).open()
        try:
            builder(library)
        finally:
            library.close()
        return cls(path, clock.peek(), clock.calls, ids.issued)

    def clone(self, path: Path, *, linger: float = 0.0) -> Library:
        shutil.copyfile(self.path, path)
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, path.with_name(path.name + ".wal"))
        # open() reads the clock once (for a schema it has nothing to do with): start one step
        # back so that the test's first action gets the time a fresh build would have given it.
        clock = TickingClock(self.clock_now - timedelta(seconds=1))
        clock.calls = self.clock_calls - 1
        ids = CountingIds(skip=self.ids_issued)
        return Library(path, clock=clock, new_id=ids, actor=ACTOR, linger=linger).open()


@pytest.fixture(scope="session")
def _library_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LibraryTemplate]:
    return {}


@pytest.fixture
def library_from(
    _library_templates: dict[str, LibraryTemplate],
    tmp_path_factory: pytest.TempPathFactory,
    library_path: Path,
) -> Iterator[Callable[..., Library]]:
    """`library_from(build, path=None, linger=0.0)`: an opened library (at `library_path` unless
    a path is given) holding what `build(library)` writes into an empty library. Each build
    function runs once per session; tests get copies. `linger` is passed to Library."""
    opened: list[Library] = []

    def make(builder: Builder, path: Path | None = None, *, linger: float = 0.0) -> Library:
        key = f"{builder.__module__}.{builder.__qualname__}"
        template = _library_templates.get(key)
        if template is None:
            folder = tmp_path_factory.mktemp("template")
            template = LibraryTemplate.build(folder / "template.duckdb", builder)
            _library_templates[key] = template
        library = template.clone(path or library_path, linger=linger)
        opened.append(library)
        return library

    yield make
    for library in opened:
        if library.db.interactive:
            _skip_checkpoint(library.db.path)
        library.close()


def _skip_checkpoint(path: Path) -> None:
    """A lingering library checkpoints the file when it closes, a good part of a short test's
    time; the copy is thrown away, so tell DuckDB not to (the WAL keeps it readable).
    storage's own connect shares the lingering connection's database in this process."""
    try:
        con = connect(path)
    except PromptdeckError:
        return
    try:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    finally:
        con.close()


def empty(library: Library) -> None:
    """The build of an empty library: nothing but the schema."""


@pytest.fixture
def new_library() -> Iterator[Callable[..., Library]]:
    """`new_library(path, **kwargs)`: a library built right here (no template) with the same
    clock and ids as the fixtures; kwargs go to Library (e.g. linger=...)."""
    opened: list[Library] = []

    def make(path: Path, **kwargs: Any) -> Library:
        settings: dict[str, Any] = {
            "clock": TickingClock(),
            "new_id": CountingIds(),
            "actor": ACTOR,
            **kwargs,
        }
        library = Library(path, **settings).open()
        opened.append(library)
        return library

    yield make
    for library in opened:
        library.close()


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "lib.duckdb"


@pytest.fixture
def library(library_from: Callable[..., Library]) -> Library:
    return library_from(empty)


@pytest.fixture
def sample_library(library_from: Callable[..., Library], tmp_path: Path) -> Library:
    """A library filled by `tui.demo.write_sample_library`, exactly as if it had been
    built in this test: its clock and id factory continue where the build left off."""
    from tui.demo import write_sample_library

    return library_from(write_sample_library, tmp_path / "sample.duckdb")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KB tmpfs (root only): a real full disk."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL on 127.0.0.1 for the whole session (stopped at the end). Without
    PostgreSQL the team-library tests are skipped with the reason, except in CI (CI=true),
    where .ci/run installs it: there they fail."""
    try:
        bin_folder = find_bin()
    except PostgresMissing as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))
    # Under /tmp, not pytest's tmp_path: a server run as another account must reach it.
    server = Postgres(Path(tempfile.mkdtemp(prefix="promptdeck-pg-")), bin_folder)
    try:
        server.start()
        yield server
    finally:
        if server.port:
            server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
