"""An interactive library (the TUI's) embeds with the file let go between batches: a CLI
writer in another process gets in while a long run goes on, and nothing is lost either way."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from storage import Library, WordLlamaProvider
from storage.search.embedding import Matrix

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = 4_000
BATCH = 250
PAUSE = 0.3  # seconds each batch takes to embed: a slower model, so the run lasts ~5 s


class SlowModel(WordLlamaProvider):
    """The bundled model, taking PAUSE seconds more per batch (as a remote one would)."""

    def embed(self, texts: Sequence[str]) -> Matrix:
        time.sleep(PAUSE)
        return super().embed(texts)


def many_prompts(path: Path, folder: Path) -> None:
    source = folder / "many.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "content"])
        writer.writerows((f"Prompt {n}", f"Write about topic number {n}.") for n in range(PROMPTS))
    with Library(path) as library:
        library.imports.run(source)


def test_a_cli_writer_gets_in_during_a_tui_embedding_run(tmp_path: Path) -> None:
    path = tmp_path / "lib.duckdb"
    many_prompts(path, tmp_path)
    (tmp_path / "new.txt").write_text("Added from the shell while the TUI embeds.")
    failures: list[BaseException] = []
    with Library(path, linger=2.0) as library:

        def run() -> None:
            try:
                library.embeddings.embed_missing(SlowModel(), batch_size=BATCH)
            except BaseException as error:  # reported by the test below
                failures.append(error)

        embedding = threading.Thread(target=run)
        embedding.start()
        time.sleep(1.0)
        cli = subprocess.run(
            [str(Path(sys.executable).parent / "promptdeck"), "--db", str(path),
             "--lock-timeout", "3",
             "add", "--name", "From the shell", "--file", str(tmp_path / "new.txt")],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "PROMPTDECK_CONFIG": str(tmp_path / "none.toml")},
        )  # fmt: skip
        still_running = embedding.is_alive()
        embedding.join(timeout=120)
        assert not failures, failures
        assert cli.returncode == 0, cli.stderr
        assert still_running, "the run ended before the writer came: make it longer"
        status = {s.model: s for s in library.embeddings.status()}
    current = status["wordllama-l2-256"]
    assert (current.current, current.missing) == (PROMPTS + 1, 0)
