"""The bundled wordllama model: the vectors wordllama itself makes, loaded once, never from
the network, and every kind of text embedded or refused with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from storage.errors import ProviderError
from storage.search.embedding import WordLlamaProvider
from storage.search.embedding import wordllama as bundled

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PROMPTDECK_CONFIG": str(ROOT / "no-such-config.toml")},
    )


def test_meaning_not_letters() -> None:
    provider = WordLlamaProvider()
    query, dentist, terminal = provider.embed(
        [
            "I have a toothache",
            "Dentist\n\nI want you to act as a dentist: look after my teeth and gums.",
            "Linux Terminal\n\nI want you to act as a linux terminal and reply with its output.",
        ]
    )
    assert float(query @ dentist) > float(query @ terminal) + 0.1
    assert provider.embed(["a"]).shape == (1, 256)


def test_the_same_vectors_as_wordllama_itself(tmp_path: Path) -> None:
    """wordllama's own loader, pointed at its bundled files, in a process of its own (it
    configures the root logger when imported)."""
    texts = ["Summarise this meeting", "Écris un poème sur la mer", "x" * 3000]
    done = run_python(
        """
        import os, sys, numpy as np, wordllama
        from wordllama import WordLlama
        model = WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)
        np.save(sys.argv[1], model.embed(sys.argv[2:], norm=True))
        """,
        str(tmp_path / "theirs.npy"),
        *texts,
    )
    assert done.returncode == 0, done.stderr
    theirs = np.load(tmp_path / "theirs.npy", allow_pickle=False)
    assert np.allclose(WordLlamaProvider().embed(texts), theirs, atol=1e-5)


def test_loaded_once_per_process() -> None:
    WordLlamaProvider().embed(["first"])
    table = bundled._model().table
    WordLlamaProvider().embed(["second"])
    assert bundled._model().table is table


def test_never_reaches_the_network(tmp_path: Path) -> None:
    """With every socket refused, a new library embeds on save and answers a semantic search;
    neither wordllama's loader nor huggingface_hub is ever imported."""
    (tmp_path / "dentist.txt").write_text("Look after my teeth and gums, and say what hurts.")
    (tmp_path / "shell.txt").write_text("Reply with what the shell would print, nothing else.")
    done = run_python(
        """
        import socket, sys

        def refused(*args, **kwargs):
            raise OSError("network unreachable (test)")

        socket.socket.connect = refused
        socket.create_connection = refused
        socket.getaddrinfo = refused
        from tui.main import main

        library, folder = sys.argv[1:]
        for argv in (
            ["add", "--name", "Dentist", "--file", f"{folder}/dentist.txt"],
            ["add", "--name", "Linux Terminal", "--file", f"{folder}/shell.txt"],
            ["search", "I have a toothache", "--mode", "semantic", "--limit", "1"],
        ):
            try:
                main(["--db", library, *argv])
            except SystemExit as stop:
                assert not stop.code, stop.code
        assert "wordllama" not in sys.modules and "huggingface_hub" not in sys.modules
        """,
        str(tmp_path / "lib.duckdb"),
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "Dentist" in done.stdout.splitlines()[-1]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "text",
    ["", "   ", "日本語のプロンプトを要約してください", "مرحبا بالعالم", "🙂🚀" * 50, "\x00\x01"],
)
def test_any_text_embeds(text: str) -> None:
    vector = WordLlamaProvider().embed([text])[0]
    assert np.isfinite(vector).all()
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5) or not text.strip()


def test_a_long_text_is_embedded_from_its_start() -> None:
    head = "Review this pull request for security problems. " * 400
    provider = WordLlamaProvider()
    long, cut = provider.embed([head + "tail " * 200_000, head[: bundled.MAX_CHARS]])
    assert np.allclose(long, cut)


def test_a_damaged_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "weights").mkdir()
    (tmp_path / "tokenizers").mkdir()
    (tmp_path / bundled._WEIGHTS).write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00not json")
    (tmp_path / bundled._TOKENIZER).write_text("{}")
    monkeypatch.setattr(bundled, "_loaded", None)
    monkeypatch.setattr(bundled, "_package_folder", lambda: tmp_path)
    with pytest.raises(
        ProviderError, match=f"wordllama: cannot read the bundled model in {tmp_path}"
    ):
        WordLlamaProvider().embed(["x"])


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "_loaded", None)
    monkeypatch.setattr(bundled, "find_spec", lambda name: None)
    with pytest.raises(ProviderError, match="the package is not installed"):
        WordLlamaProvider().embed(["x"])
