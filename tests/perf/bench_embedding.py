"""Embedding providers: wordllama and local throughput, a query's embedding, and HTTP provider
overhead (information).

    python tests/perf/bench_embedding.py [--prompts 20000] [--http-prompts 2048]

Texts are built from tests/perf/generate.py's vocabulary: a role line, a name and sentences of
one domain, 300-1,500 characters, deterministic. The wordllama provider (the default) is
measured in batches of 1,024 (as the TUI embeds) and in one call, beside wordllama's own
loader and `embed()` on the same texts (the reference the model's authors ship), and for one
query (median of 200, warm). The local provider is measured on all of them
(in batches of 64, as `promptdeck embed` sends them, and in one call); the reference is the
naive way to compute the same features: every character n-gram of every word hashed on its own
in a Python loop (zlib.crc32), measured on a subset and scaled. The HTTP row is the OpenAI
provider against the test server on 127.0.0.1, beside bare httpx posts of the same batches."""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage.search.embedding import (  # noqa: E402
    LocalProvider,
    OpenAIProvider,
    ProviderSettings,
    WordLlamaProvider,
)
from tests.perf.generate import DOMAINS  # noqa: E402
from tests.storage.embedding_api import EmbeddingApi  # noqa: E402

TARGET_PER_SECOND = 5_000
WORDLLAMA_TARGET = 1_000  # prompts/s
QUERY_TARGET_MS = 5.0
TUI_BATCH = 1_024
BATCH = 64
NAIVE_SUBSET = 1_000
_NOT_WORD = re.compile(r"[\W_]+")


def texts(count: int, seed: int = 0) -> list[str]:
    """`count` prompt-like texts of 300-1,500 characters, the same for the same seed."""
    rng = np.random.default_rng(seed)
    domains = list(DOMAINS.values())
    out = []
    for _ in range(count):
        domain = domains[rng.integers(len(domains))]
        budget = int(rng.integers(300, 1_500))
        parts = [domain["roles"][rng.integers(len(domain["roles"]))]]
        parts.append(f"Task: {domain['names'][rng.integers(len(domain['names']))]}.")
        while sum(len(p) + 1 for p in parts) < budget:
            parts.append(domain["sentences"][rng.integers(len(domain["sentences"]))])
        out.append(" ".join(parts)[:budget])
    return out


def naive_embed(batch: Sequence[str], dims: int = 384) -> np.ndarray:
    """The local provider's features the obvious way: one hash call per n-gram."""
    out = np.zeros((len(batch), dims), dtype=np.float32)
    for row, text in enumerate(batch):
        cleaned = " " + _NOT_WORD.sub(" ", text.lower()).strip() + " "
        for n in (3, 4, 5):
            for start in range(len(cleaned) - n + 1):
                h = zlib.crc32(f"{n}:{cleaned[start : start + n]}".encode())
                out[row, h % dims] += 1.0 if h & 0x80000000 else -1.0
    np.copysign(np.log1p(np.abs(out)), out, out=out)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalised: np.ndarray = np.divide(out, norms, out=out, where=norms > 0)
    return normalised


def per_second(embed: Callable[[Sequence[str]], object], data: list[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(data), batch):
        embed(data[start : start + batch])
    return len(data) / (time.perf_counter() - started)


def best_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def http_rates(count: int) -> tuple[float, float]:
    """Requests per second of the OpenAI provider and of bare httpx posts, batch 64, 384 dims."""
    data = texts(count, seed=1)
    with EmbeddingApi(dims=384) as api:
        settings = ProviderSettings("openai", model="bench", base_url=api.url + "/v1")
        provider = OpenAIProvider(settings)
        requests = math.ceil(count / BATCH)
        ours = per_second(provider.embed, data, BATCH) * requests / count
        provider.close()
        with httpx.Client() as client:

            def bare(batch: Sequence[str]) -> object:
                body = {"model": "bench", "input": list(batch)}
                return client.post(api.url + "/v1/embeddings", json=body).json()

            plain = per_second(bare, data, BATCH) * requests / count
    return ours, plain


def query_ms(embed: Callable[[Sequence[str]], object], runs: int = 200) -> float:
    timings = []
    for n in range(runs):
        started = time.perf_counter()
        embed([f"review this pull request for security problems {n}"])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def wordllama_rows(data: list[str]) -> list[tuple[str, str, str, str, str]]:
    """Ours beside wordllama's own loader (imported here only: it configures logging)."""
    import os

    import wordllama  # type: ignore[import-untyped]
    from wordllama import WordLlama

    theirs = WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)
    ours = WordLlamaProvider()
    ours.embed(data[:TUI_BATCH])  # load the model once, as a process does
    theirs.embed(data[:TUI_BATCH])
    batched = best_of(3, lambda: per_second(ours.embed, data, TUI_BATCH))
    whole = best_of(3, lambda: per_second(ours.embed, data, len(data)))
    reference = best_of(3, lambda: per_second(lambda t: theirs.embed(list(t)), data, len(data)))
    ours_query = query_ms(ours.embed)
    their_query = query_ms(lambda t: theirs.embed(list(t)))
    return [
        ("wordllama embedding, batches of 1,024 (prompts/s)", f"{batched:,.0f}",
         f">= {WORDLLAMA_TARGET:,}", f"{reference:,.0f} (wordllama embed(), one call)",
         f"{batched / reference:.2f}x"),
        ("wordllama embedding, one call (prompts/s)", f"{whole:,.0f}",
         f">= {WORDLLAMA_TARGET:,}", f"{reference:,.0f} (wordllama embed(), one call)",
         f"{whole / reference:.2f}x"),
        ("wordllama query, warm (ms)", f"{ours_query:.2f}", f"<= {QUERY_TARGET_MS:g}",
         f"{their_query:.2f} (wordllama embed())", f"{ours_query / their_query:.2f}x"),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=20_000)
    parser.add_argument("--http-prompts", type=int, default=2_048)
    args = parser.parse_args()
    data = texts(args.prompts)
    chars = statistics.mean(len(t) for t in data)
    local = LocalProvider()
    local.embed(data[:BATCH])  # warm up numpy
    batched = best_of(3, lambda: per_second(local.embed, data, BATCH))
    whole = best_of(3, lambda: per_second(local.embed, data, len(data)))
    naive = per_second(naive_embed, data[:NAIVE_SUBSET], BATCH)
    ours_http, bare_http = http_rates(args.http_prompts)
    llama = wordllama_rows(data)

    rows = [
        *llama,
        ("local embedding, batches of 64 (prompts/s)", f"{batched:,.0f}",
         f">= {TARGET_PER_SECOND:,}", f"{naive:,.0f}", f"{batched / naive:.0f}x faster"),
        ("local embedding, one call (prompts/s)", f"{whole:,.0f}",
         f">= {TARGET_PER_SECOND:,}", f"{naive:,.0f}", f"{whole / naive:.0f}x faster"),
        ("openai provider over 127.0.0.1, batch 64 (req/s)", f"{ours_http:,.1f}",
         "information", f"{bare_http:,.1f} (bare httpx)", f"{ours_http / bare_http:.2f}x"),
    ]  # fmt: skip
    print(
        f"\nembedding {len(data):,} generated prompts (mean {chars:,.0f} chars); local at 384"
        f" dims, its naive reference on {NAIVE_SUBSET:,} of them, scaled as a rate"
    )
    header = ("figure", "measured", "target", "reference", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    rates = [float(row[1].replace(",", "")) for row in llama]
    ok = min(batched, whole) >= TARGET_PER_SECOND
    ok = ok and min(rates[:2]) >= WORDLLAMA_TARGET and rates[2] <= QUERY_TARGET_MS
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
