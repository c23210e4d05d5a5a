"""A deterministic 90-day history for the analytics tests: prompts, versions, usage, ratings,
generations (with and without a cost) and prices (one of them changing mid-period).

`history()` builds it as plain Python rows, the truth the tests compute expected figures from;
`write_history(library)` writes the same rows with one `Library.bulk_insert`. The history
ends on the day of the fixtures' clock (2026-01-15, before 09:30)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from storage import Library

END = datetime(2026, 1, 15, 9, 0)  # the fixtures' clock starts at 09:30 on this day
DAYS = 90
START = END - timedelta(days=DAYS - 1)
TAGS = ("alpha", "beta", "gamma", "delta", "epsilon")
PHASES = (None, "draft", "testing", "production")
MODELS = (
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4"),
    ("ollama", "llama3.1"),
)
# (provider, model, effective_from, input, output): gpt-4o changes price on 2025-12-20;
# claude has a price only from 2025-12-01 (earlier generations without a cost stay unpriced);
# llama3.1 has none.
PRICES = (
    ("openai", "gpt-4o", date(2025, 10, 1), 2.5, 10.0),
    ("openai", "gpt-4o", date(2025, 12, 20), 5.0, 20.0),
    ("openai", "gpt-4o-mini", date(2025, 9, 1), 0.15, 0.6),
    ("anthropic", "claude-sonnet-4", date(2025, 12, 1), 3.0, 15.0),
)
PRICE_CHANGE = date(2025, 12, 20)


@dataclass
class History:
    prompts: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    generations: list[dict[str, Any]] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)


def _at(rng: random.Random, after: datetime) -> datetime:
    """A time between `after` and END, to the second."""
    span = int((END - after).total_seconds())
    return after + timedelta(seconds=rng.randint(1, max(span, 2) - 1))


@cache
def history(seed: int = 6) -> History:
    rng = random.Random(seed)
    found = History()
    for number in range(48):
        created = START + timedelta(days=rng.randint(0, 75), seconds=rng.randint(0, 86_000))
        prompt_id = f"00000000-0000-7000-a000-{number:012d}"
        found.prompts.append(
            {
                "id": prompt_id,
                "name": f"Prompt {number:02d}",
                "content": f"Prompt number {number} about {{{{topic}}}}.",
                "content_hash": f"{number:064x}",
                "tags": sorted(rng.sample(TAGS, rng.randint(0, 2))),
                "phase": rng.choice(PHASES),
                "parent_id": None,
                "relevance_score": round(rng.uniform(0.05, 1.0), 3),
                "created_at": created,
                "updated_at": created,
                "archived_at": None,
            }
        )
    for number in (5, 17, 30):  # archived a week before the end
        found.prompts[number]["archived_at"] = END - timedelta(days=7)
    for child, parent in ((10, 3), (11, 3), (12, 10), (20, 5)):
        found.prompts[child]["parent_id"] = found.prompts[parent]["id"]
    for prompt in found.prompts:
        at = prompt["created_at"]
        for version in range(1, rng.randint(1, 4) + 1):
            if version > 1:
                at = _at(rng, at)
            found.versions.append(
                {
                    "prompt_id": prompt["id"],
                    "version": version,
                    "name": prompt["name"],
                    "content": f"{prompt['content']} v{version}",
                    "content_hash": f"{prompt['content_hash'][:60]}{version:04d}",
                    "metadata": "{}",
                    "created_at": at,
                }
            )
        prompt["current_version"] = version
        prompt["updated_at"] = at
    popular = [p for p in found.prompts for _ in range(1 + int(p["relevance_score"] * 4))]
    for number in range(900):
        prompt = rng.choice(popular)
        found.usage.append(
            {
                "id": f"00000000-0000-7000-b000-{number:012d}",
                "prompt_id": prompt["id"],
                "version": 1,
                "event_type": rng.choice(("copied", "rendered", "used", "used_in_generation")),
                "created_at": _at(rng, prompt["created_at"]),
            }
        )
    for number in range(160):
        prompt = rng.choice(found.prompts)
        found.feedback.append(
            {
                "id": f"00000000-0000-7000-c000-{number:012d}",
                "prompt_id": prompt["id"],
                "version": 1,
                "rating": rng.choices((1, 2, 3, 4, 5), (1, 2, 3, 5, 4))[0],
                "created_at": _at(rng, prompt["created_at"]),
            }
        )
    for number in range(420):
        prompt = rng.choice(found.prompts)
        provider, model = rng.choice(MODELS)
        tokens_in, tokens_out = rng.randint(50, 4000), rng.randint(20, 2000)
        given = rng.random() < 0.4
        found.generations.append(
            {
                "id": f"00000000-0000-7000-d000-{number:012d}",
                "prompt_id": prompt["id"],
                "version": 1,
                "provider": provider,
                "model": model,
                "tokens_in": tokens_in,
                "tokens_out": tokens_out,
                "cost_usd": round(tokens_in * 4e-6, 6) if given else None,
                "latency_ms": rng.randint(200, 4000),
                "created_at": _at(rng, prompt["created_at"]),
            }
        )
    for prompt in found.prompts:
        uses = [e["created_at"] for e in found.usage if e["prompt_id"] == prompt["id"]]
        prompt["usage_count"] = len(uses)
        prompt["last_used_at"] = max(uses, default=None)
    found.prices = [
        {
            "provider": provider,
            "model": model,
            "effective_from": since,
            "input_per_mtok": price_in,
            "output_per_mtok": price_out,
            "currency": "USD",
            "updated_at": START,
        }
        for provider, model, since, price_in, price_out in PRICES
    ]
    return found


def write_history(library: Library) -> None:
    """The `library_from` builder: the whole history in one bulk insert."""
    rows = history()
    prompts = pa.Table.from_pylist(rows.prompts)
    prompts = prompts.set_column(
        prompts.column_names.index("tags"),
        "tags",
        pa.array([p["tags"] for p in rows.prompts], pa.list_(pa.string())),
    )
    library.db.bulk_insert(
        {
            "prompts": prompts,
            "prompt_versions": pa.Table.from_pylist(rows.versions),
            "usage_events": pa.Table.from_pylist(rows.usage),
            "feedback": pa.Table.from_pylist(rows.feedback),
            "generations": pa.Table.from_pylist(rows.generations),
            "prices": pa.Table.from_pylist(rows.prices),
        }
    )
