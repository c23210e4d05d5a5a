"""Import, backup and restore at 100,000 prompts, beside the naive per-row insert.

    python tests/perf/bench_transfer.py [--prompts 100000] [--naive 5000]

A library from tests/perf/generate.py, plus a 384-dim embedding per prompt (written in bulk
here), is exported to JSONL and CSV; each file is imported into a new library; the library is
backed up and restored. The reference is the naive way: one `Library.create` (one INSERT of
the prompt and of its version, one transaction) per row, on the first `--naive` rows."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from storage import Library  # noqa: E402
from storage.transfer import restore_backup  # noqa: E402
from tests.perf.generate import generate  # noqa: E402

DIMS = 384
T = TypeVar("T")
TARGET_IMPORT = 20_000.0  # prompts/s
TARGET_BACKUP = 5.0  # s
TARGET_RESTORE = 10.0  # s


def add_embeddings(library: Library, seed: int = 0) -> int:
    _, rows = library.db.query("SELECT id, content_hash FROM prompts", limit=10**9)
    ids = [r[0] for r in rows]
    vectors = np.random.default_rng(seed).standard_normal((len(ids), DIMS), dtype=np.float32)
    flat = pa.array(vectors.reshape(-1))
    embeddings = pa.ListArray.from_arrays(
        pa.array(np.arange(0, len(ids) * DIMS + 1, DIMS, dtype=np.int32)), flat
    )
    library.db.bulk_insert(
        {
            "prompt_embeddings": pa.table(
                {
                    "prompt_id": ids,
                    "model": ["local-ngram-384"] * len(ids),
                    "provider": ["local"] * len(ids),
                    "dims": pa.array([DIMS] * len(ids), pa.int32()),
                    "embedding": embeddings,
                    "content_hash": [r[1] for r in rows],
                    "created_at": [datetime(2026, 1, 1)] * len(ids),
                }
            )
        }
    )
    return len(ids)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def naive_rate(source: Path, work: Path, rows: int) -> float:
    """Prompts/s of one `create` per row (a lingering connection, as the TUI keeps)."""
    records = [json.loads(line) for line in source.open(encoding="utf-8")][:rows]
    fields = ("description", "folder", "tags", "phase", "provider", "model", "temperature",
              "max_tokens", "format_type", "language", "metadata")  # fmt: skip
    with Library(work / "naive.duckdb", linger=60.0) as library:
        started = time.perf_counter()
        for record in records:
            library.prompts.create(
                record["name"], record["content"], **{f: record[f] for f in fields}
            )
        return len(records) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = Library(work / "source.duckdb").open()
        _, seconds = timed(lambda: generate(source, args.prompts))
        print(f"generated {args.prompts:,} prompts in {seconds:.1f} s", flush=True)
        add_embeddings(source)
        live = source.prompts.count_prompts()
        jsonl = source.exports.write(work / "prompts.jsonl")
        csv = source.exports.write(work / "prompts.csv")
        imports = {}
        for name, export in (("JSONL", jsonl), ("CSV", csv)):
            with Library(work / f"import-{name}.duckdb") as target:
                summary, seconds = timed(partial(target.imports.run, export.path))
            assert summary.imported == live, summary
            imports[name] = summary.imported / seconds
            print(f"import {name}: {summary.imported:,} in {seconds:.2f} s", flush=True)
        manifest, backup_s = timed(lambda: source.backups.write(work / "backup"))
        source.close()
        _, restore_s = timed(lambda: restore_backup(work / "backup", work / "restored.duckdb"))
        naive = naive_rate(Path(jsonl.path), work, args.naive)
    size = manifest.size / 2**20
    rows = [
        *(
            (f"import {name} ({live:,} prompts), prompts/s", f"{rate:,.0f}",
             f">= {TARGET_IMPORT:,.0f}", f"{naive:,.0f}", f"{rate / naive:.0f}x")
            for name, rate in imports.items()
        ),
        (f"backup ({manifest.rows:,} rows, {size:,.0f} MB), s", f"{backup_s:.2f}",
         f"< {TARGET_BACKUP:.0f}", "", ""),
        ("restore (verify + load + checksums), s", f"{restore_s:.2f}",
         f"< {TARGET_RESTORE:.0f}", "", ""),
    ]  # fmt: skip
    embeddings = manifest.tables["prompt_embeddings"].rows
    print(f"\ntransfer: {live:,} live prompts, {embeddings:,} embeddings of {DIMS} dims")
    header = ("figure", "measured", "target", f"naive create() x{args.naive:,}", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    ok = (
        min(imports.values()) >= TARGET_IMPORT
        and backup_s < TARGET_BACKUP
        and restore_s < TARGET_RESTORE
    )
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
