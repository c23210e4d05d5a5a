"""What the app's embedding workers do, in plain values: embed the prompts that lack a current
vector (or move search to the configured model), saying how far they got; load the sample
library and embed it when that is quick; see whether search uses an older offline model than
the configured one. No widgets here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from storage import Library, offline_provider
from tui.demo import write_sample_library
from tui.messages import LibraryChanged, Notice, SearchModelOffered
from tui.shared.formatting import embed_summary

if TYPE_CHECKING:
    from textual.message import Message

EMBED_BATCH = 1024  # a batch is embedded with the file let go: about half a second offline
PROGRESS_EVERY = 0.2  # seconds between progress updates on the status line


def embed(library: Library, post: Callable[[Message], object]) -> None:
    """Embed what lacks a current vector, or move search to the configured model, saying how
    far it got. The file is let go between batches, so the CLI can write meanwhile."""
    embeddings = library.embeddings
    embedder = embeddings.embedder
    assert embedder is not None
    active = embeddings.active_model()
    moving = active not in (None, embedder.model)
    doing = (
        f"moving search to {embedder.model} (search uses {active} until done)"
        if moving
        else f"embedding with {embedder.model}"
    )
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        if done == total or time.monotonic() - shown[0] > PROGRESS_EVERY:
            shown[0] = time.monotonic()
            post(Notice(f"{doing}: {done:,} of {total:,}"))

    if moving:
        report = embeddings.reembed(embedder, batch_size=EMBED_BATCH, progress=progress)
    else:
        report = embeddings.embed_missing(embedder, batch_size=EMBED_BATCH, progress=progress)
    summary = embed_summary(report.embedded, report.model, report.up_to_date, report.active_model)
    post(Notice(summary))
    post(LibraryChanged())


def load_sample(library: Library, post: Callable[[Message], object]) -> None:
    """The sample prompts, embedded at once when embedding is local."""
    write_sample_library(library)
    post(Notice("sample library loaded"))
    post(LibraryChanged())
    embedder = library.embeddings.embedder
    if embedder is not None and embedder.offline:
        embed(library, post)


def search_model_offer(library: Library, told: tuple[str, ...]) -> SearchModelOffered | None:
    """When search uses an offline model older than the configured offline one (a library
    made before the bundled model) and the user was not told yet: the offer to move."""
    embedder = library.embeddings.embedder
    if embedder is None or not embedder.offline or embedder.model in told:
        return None
    active = library.embeddings.active_model()
    if active is not None and active != embedder.model and offline_provider(active):
        return SearchModelOffered(active, embedder.model)
    return None
