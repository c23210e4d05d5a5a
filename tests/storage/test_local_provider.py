"""The local provider: deterministic hashed character n-grams, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.search.embedding import LocalProvider
from storage.search.embedding.local import _NOT_WORD, _words

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "Act as a Linux terminal. I type commands, you reply with the terminal output.",
    "Ünïcödé: 日本語のプロンプト, emoji 🚀 and accents café",
    "x",
]


def test_shape_dtype_and_unit_norm() -> None:
    vectors = LocalProvider().embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_model_names_its_width() -> None:
    provider = LocalProvider(dims=64)
    assert (provider.name, provider.model, provider.dims) == ("local", "local-ngram-64", 64)
    assert provider.embed(["hello"]).shape == (1, 64)


def test_too_narrow_is_refused() -> None:
    with pytest.raises(ValueError, match="dims must be at least 8"):
        LocalProvider(dims=4)


def test_empty_list_and_empty_text() -> None:
    provider = LocalProvider()
    assert provider.embed([]).shape == (0, 384)
    vectors = provider.embed(["", "   ", "?!", "hello"])
    assert not vectors[:3].any()  # nothing to hash: zero rows, not NaN
    assert np.linalg.norm(vectors[3]) == pytest.approx(1.0)


def test_a_text_embeds_the_same_alone_or_in_a_batch() -> None:
    provider = LocalProvider()
    batch = provider.embed(TEXTS)
    for i, text in enumerate(TEXTS):
        np.testing.assert_array_equal(provider.embed([text])[0], batch[i])


def test_a_large_call_equals_small_batches() -> None:
    provider = LocalProvider(dims=32)
    texts = [f"prompt {i}: {'lorem ipsum ' * (i % 7)} {TEXTS[i % 3]}" for i in range(600)]
    batches = [provider.embed(texts[i : i + 64]) for i in range(0, 600, 64)]
    np.testing.assert_array_equal(provider.embed(texts), np.concatenate(batches))


def test_deterministic_across_processes() -> None:
    program = (
        "import json, sys; from storage.search.embedding import LocalProvider; "
        "print(json.dumps(LocalProvider().embed(json.loads(sys.argv[1])).tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", program, json.dumps(TEXTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    there = np.array(json.loads(done.stdout), dtype=np.float32)
    np.testing.assert_array_equal(there, LocalProvider().embed(TEXTS))


def test_similar_texts_score_higher_than_unrelated() -> None:
    query, near, far = LocalProvider().embed(
        [
            "Act as a Linux terminal and reply with the command output",
            "I want you to act as a linux terminal; answer with terminal output only",
            "Write a warm birthday poem for my grandmother",
        ]
    )
    assert float(query @ near) > 0.5
    assert float(query @ near) > float(query @ far) + 0.3


def test_case_and_punctuation_do_not_matter() -> None:
    a, b = LocalProvider().embed(["Linux Terminal!", "linux   terminal"])
    np.testing.assert_array_equal(a, b)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_the_ascii_fast_path_splits_words_as_the_regex_does(text: str) -> None:
    slow = (" " + _NOT_WORD.sub(" ", text.lower()).strip() + " ").encode()
    assert _words(text) == slow
