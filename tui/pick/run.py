"""run_pick: what `promptdeck pick` runs (tui.main hands it to the CLI). Nothing here imports
Textual until it runs: it opens the terminal, starts reading the first page of prompts in a
thread (DuckDB lets the interpreter go while it queries) and only then imports the picker, so
that the read and Textual's import overlap.

The library is read read-only, so that the picker never builds an index nor holds the file
for writing while the user looks; the file is opened for writing only to record the use."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from storage import Library, PromptdeckError
from tui.pick.pages import PickPage, first_request, read_page
from tui.shared.settings import configured_embedder, library_options, load_settings

if TYPE_CHECKING:
    from storage import EmbeddingProvider

TTY = "/dev/tty"
LINGER_SECONDS = 2.0  # the file is let go when the picker has been idle this long


def open_terminal(path: str = TTY) -> TextIO:
    """The controlling terminal, open for reading keys and drawing; a process without one
    (cron, a pipeline under `ssh host cmd`) gets one clear error."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError as error:
        raise PromptdeckError(
            f"pick needs a terminal to draw on: cannot open {path} ({error.strerror or error})"
        ) from error
    if not os.isatty(fd):
        os.close(fd)
        raise PromptdeckError(f"pick needs a terminal to draw on: {path} is not one")
    return open(fd, "w", encoding="utf-8", errors="replace")  # noqa: SIM115 - the caller closes


def run_pick(
    path: Path | str, *, query: str, ids: bool, read_only: bool, lock_timeout: float
) -> str | None:
    """Pick a prompt from the library at `path` on the terminal: the text picked (the id with
    `ids`), or None. Errors (no terminal, no library, the use not recorded) are
    PromptdeckErrors."""
    if isinstance(path, Path) and not path.is_file():  # said before anything is drawn
        raise PromptdeckError(f"{path}: no such library")
    terminal = open_terminal()
    settings, config_error = load_settings()

    def embedder() -> EmbeddingProvider | None:
        """The configured provider, which embeds the queries of semantic and hybrid search:
        made when they first search (it loads numpy, and httpx for a remote one)."""
        return configured_embedder(settings)[0]

    reader = Library(
        path,
        read_only=True,
        linger=LINGER_SECONDS,
        lock_timeout=lock_timeout,
        make_embedder=embedder,
        **library_options(settings),
    )

    def first_page() -> PickPage:
        reader.open()
        return read_page(reader, first_request())

    def use_in_file(prompt_id: str, values: Mapping[str, str]) -> str:
        reader.close()  # the reading is over: a process holds a file one way at a time
        with Library(path, lock_timeout=lock_timeout, **library_options(settings)) as writer:
            return writer.usage.use(prompt_id, values)

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="pick-first-page") as early:
            first = early.submit(first_page)
            from tui.pick.app import PickApp  # Textual: imported while the page is read
            from tui.pick.terminal import terminal_driver

            app = PickApp(
                reader,
                query=query,
                ids=ids,
                use=reader.usage.render if read_only else use_in_file,
                settings=None if config_error else settings,
                driver_class=terminal_driver(terminal),
                first_page=first,
            )
            # What is alive now (modules, Textual) lives until the process ends: keep the
            # collector from walking it again while the picker starts, and at exit.
            gc.freeze()
            picked = app.run()
    finally:
        reader.close()
        terminal.close()
        gc.freeze()  # the search caches too: the process ends next
    if app.error is not None:
        raise PromptdeckError(app.error)
    if app.return_code:
        raise PromptdeckError("the picker stopped on an error (above)")
    return picked
