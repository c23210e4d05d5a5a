"""Search by meaning: how often each way of searching finds the prompt a paraphrased query
means, and what cosine each model gives near-copies, rewrites and unrelated prompts.

    python tests/perf/bench_meaning.py [--dataset PATH]

The library is awesome-chatgpt-prompts imported as `promptdeck import` imports it, once per
embedding model. Two query sets: *meaning*, paraphrases that share no content word with the
name of the prompt they mean (tests/perf/meaning_queries.csv, hand-written), and *keywords*,
the two rarest words of every third prompt's content (what BM25 is made for). Modes: BM25
text, semantic with `local` and with `wordllama`, and hybrid (each model's semantic ranking
fused with BM25 by the model's `MODEL_FUSION`). The reference is BM25: the naive way, words.

The near-duplicate table embeds, per model: near-copies (each prompt with about a tenth of
its words dropped and one sentence added), the hand-written rewrites of
tests/perf/meaning_rewrites.csv, and every pair of different prompts (unrelated), and says
what share of each the model's near-duplicate threshold flags."""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library  # noqa: E402
from storage.search.embedding import (  # noqa: E402
    EmbeddingProvider,
    LocalProvider,
    WordLlamaProvider,
)
from storage.search.embeddings import embedding_text  # noqa: E402

HERE = Path(__file__).resolve().parent
DATASET = HERE.parents[2] / "shared" / "datasets" / "awesome-chatgpt-prompts.csv"
QUERIES = HERE / "meaning_queries.csv"
REWRITES = HERE / "meaning_rewrites.csv"
TARGET_RECALL_5 = 0.85  # wordllama, semantic
ADDED_SENTENCE = "Keep every answer short and to the point."


@dataclass(frozen=True)
class Quality:
    recall_1: float
    recall_5: float
    mrr: float


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def queries() -> list[tuple[str, str]]:
    """(query, name of the prompt it means)."""
    return [(row["query"], row["act"]) for row in read_csv(QUERIES)]


def keyword_queries(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(the two rarest words of 5+ letters in its content, name) for every third prompt whose
    name is unique."""
    names = Counter(row["act"] for row in rows)
    words = [set(re.findall(r"[a-z]{5,}", row["prompt"].lower())) for row in rows]
    spread = Counter(word for found in words for word in found)
    return [
        (" ".join(sorted(found, key=lambda w: (spread[w], w))[:2]), row["act"])
        for row, found in list(zip(rows, words, strict=True))[::3]
        if names[row["act"]] == 1
    ]


def imported(folder: Path, dataset: Path, provider: EmbeddingProvider) -> Library:
    """The dataset imported into a new library in `folder`, embedded with `provider`, held
    open as the app holds it."""
    library = Library(folder / f"{provider.model}.duckdb", embedder=provider, linger=60)
    library.open()
    library.imports.run(dataset)
    library.embeddings.embed_missing(provider)
    return library


def quality(library: Library, asked: Sequence[tuple[str, str]], mode: str) -> Quality:
    """Recall@1, recall@5 and MRR (over the top 10) of `mode` for the (query, name) pairs."""
    ranks = []
    for query, wanted in asked:
        hits = library.search.search(query, mode, limit=10).hits
        names = [hit.name for hit in hits]
        ranks.append(names.index(wanted) + 1 if wanted in names else None)
    return Quality(
        sum(r == 1 for r in ranks) / len(ranks),
        sum(r is not None and r <= 5 for r in ranks) / len(ranks),
        sum(1 / r for r in ranks if r is not None) / len(ranks),
    )


def near_copy(text: str, rng: np.random.Generator) -> str:
    """`text` with about a tenth of its words dropped and one sentence added."""
    words = text.split()
    kept = [w for w in words if rng.random() >= 0.1] or words
    return " ".join(kept) + " " + ADDED_SENTENCE


@dataclass(frozen=True)
class Cosines:
    near_copy_min: float
    near_copy_median: float
    rewrite_min: float
    rewrite_median: float
    unrelated_median: float
    unrelated_p999: float
    unrelated_max: float
    flagged: tuple[float, float, float]  # shares of near-copies, rewrites, unrelated pairs


def cosines(provider: EmbeddingProvider, rows: list[dict[str, str]], threshold: float) -> Cosines:
    texts = [embedding_text(r["act"], "", r["prompt"]) for r in rows]
    by_name = {r["act"]: text for r, text in zip(rows, texts, strict=True)}
    rng = np.random.default_rng(7)
    originals = provider.embed(texts)
    copies = provider.embed([near_copy(t, rng) for t in texts])
    near = np.einsum("ij,ij->i", originals, copies)
    pairs = [(by_name[r["act"]], embedding_text(r["act"], "", r["rewrite"])) for r in rewrites()]
    first = provider.embed([a for a, _ in pairs])
    second = provider.embed([b for _, b in pairs])
    rewritten = np.einsum("ij,ij->i", first, second)
    grid = originals @ originals.T
    unrelated = grid[np.triu_indices(len(texts), k=1)]
    return Cosines(
        float(near.min()),
        float(np.median(near)),
        float(rewritten.min()),
        float(np.median(rewritten)),
        float(np.median(unrelated)),
        float(np.quantile(unrelated, 0.999)),
        float(unrelated.max()),
        tuple(float((found >= threshold).mean()) for found in (near, rewritten, unrelated)),  # type: ignore[arg-type]
    )


def rewrites() -> list[dict[str, str]]:
    return read_csv(REWRITES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    args = parser.parse_args(argv)
    if not args.dataset.is_file():
        print(f"skipped: {args.dataset} is absent (the awesome-chatgpt-prompts dataset)")
        return 0
    rows = read_csv(args.dataset)
    sets = {"meaning": queries(), "keywords": keyword_queries(rows)}
    sizes = ", ".join(f"{len(asked)} {name}" for name, asked in sets.items())
    print(f"{len(rows)} prompts from {args.dataset.name}; queries: {sizes}\n")
    providers: list[EmbeddingProvider] = [LocalProvider(), WordLlamaProvider()]
    results: dict[str, dict[str, Quality]] = {name: {} for name in sets}
    with tempfile.TemporaryDirectory() as folder:
        for provider in providers:
            with imported(Path(folder), args.dataset, provider) as library:
                for name, asked in sets.items():
                    found = results[name]
                    if provider is providers[0]:
                        found["BM25 text (reference)"] = quality(library, asked, "text")
                    found[f"semantic {provider.name}"] = quality(library, asked, "semantic")
                    found[f"hybrid {provider.name}"] = quality(library, asked, "hybrid")
    for name, found in results.items():
        print_quality(name, found)
    wordllama = results["meaning"]["semantic wordllama"]
    verdict = "meets" if wordllama.recall_5 >= TARGET_RECALL_5 else "MISSES"
    print(f"target: meaning, semantic wordllama recall@5 >= {TARGET_RECALL_5}: {verdict}\n")
    print_cosines(providers, rows)
    return 0


def print_quality(name: str, found: dict[str, Quality]) -> None:
    reference = found["BM25 text (reference)"]
    print(f"{name + ' queries':<24} {'recall@1':>9} {'recall@5':>9} {'MRR':>6} {'MRR / BM25':>11}")
    for label, q in found.items():
        ratio = q.mrr / reference.mrr if reference.mrr else float("inf")
        print(f"{label:<24} {q.recall_1:>9.2f} {q.recall_5:>9.2f} {q.mrr:>6.2f} {ratio:>10.2f}x")
    print()


def print_cosines(providers: Sequence[EmbeddingProvider], rows: list[dict[str, str]]) -> None:
    print("near-duplicate cosines, and the share each model's threshold flags")
    header = f"{'model':<17} {'threshold':>9} {'near-copy min/med':>18} {'rewrite min/med':>16}"
    print(f"{header} {'unrelated med/p99.9/max':>24} {'flagged copy/rewrite/unrel.':>28}")
    with tempfile.TemporaryDirectory() as folder, Library(Path(folder) / "t.duckdb") as library:
        thresholds = {p.model: library.embeddings.similarity_threshold(p.model) for p in providers}
    for provider in providers:
        c = cosines(provider, rows, thresholds[provider.model])
        flagged = " / ".join(f"{share:.0%}" for share in c.flagged)
        print(
            f"{provider.model:<17} {thresholds[provider.model]:>9.2f}"
            f" {c.near_copy_min:>8.3f} / {c.near_copy_median:.3f}"
            f" {c.rewrite_min:>7.3f} / {c.rewrite_median:.3f}"
            f" {c.unrelated_median:>8.3f} / {c.unrelated_p999:.3f} / {c.unrelated_max:.3f}"
            f" {flagged:>28}"
        )


if __name__ == "__main__":
    sys.exit(main())
