"""The demo library: a small, hand-written set of prompts with three weeks of history.

Used on first run and by `promptdeck --demo`, and by the tests and TUI snapshots, so it is
deterministic: given the same clock and id factory, the same library comes out.

Everything goes through the `Library` facade, so counters (usage_count, last_used_at,
relevance, generation_count), versions and the audit log are exactly what real use would have
produced. To give the analytics something to show, the history is *replayed*: the facade calls
run on a second `Library` over the same file whose clock starts three weeks before the caller's
clock said "now" and moves forward through a fixed schedule. Generation records (tokens, cost,
latency), which have no counters on the prompt, are appended with `bulk_insert` at the times of
their `used_in_generation` events.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from storage import Library, WordLlamaProvider
from storage.models import Prompt, UsageEvent
from tui.demo_prompts import PROMPTS

HISTORY_DAYS = 21
_SEED = 20260115


_EDITS: tuple[tuple[str, dict[str, Any], str], ...] = (
    (
        "Code review",
        {
            "content": (
                "You are a senior {{language}} engineer reviewing a pull request.\n\n"
                "Review the diff below. For each finding give the file and line, a severity "
                "(blocker, major, minor, nit), what is wrong, why it matters, and a concrete "
                "fix. Cover correctness first, then error handling, tests, readability and "
                "performance. Say explicitly when something is good.\n\n"
                "Diff:\n{{diff}}"
            )
        },
        "Ask for a severity on every finding",
    ),
    (
        "SQL from a question",
        {
            "content": (
                "You write SQL for DuckDB.\n\n"
                "Schema:\n{{schema}}\n\n"
                "Question: {{question}}\n\n"
                "Answer with a single SQL query in a code block, then one sentence explaining "
                "any assumption you made. Use only the tables and columns in the schema. "
                "Prefer CTEs over nested subqueries and comment each CTE in one line."
            )
        },
        "Prefer CTEs, commented",
    ),
    (
        "Support reply: refund request",
        {"temperature": 0.3, "tags": ("support", "email", "tone", "policy")},
        "Lower temperature: replies were drifting from the policy",
    ),
    ("Code review", {"temperature": 0.2}, "More consistent reviews"),
    (
        "Blog post outline",
        {"description": "A structured outline for a blog post, with a title and a promise."},
        "Clearer description",
    ),
)

# The derivation chain: (parent name, child name, changes, method).
_DERIVATIONS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    (
        "Code review",
        "Code review (security focus)",
        {
            "content": (
                "You are an application security engineer reviewing a pull request written in "
                "{{language}}.\n\n"
                "Look only for security problems: injection, authentication and authorisation "
                "mistakes, secrets in code, unsafe deserialisation, path traversal, SSRF and "
                "missing input validation. For each finding give the file and line, a severity "
                "(critical, high, medium, low), how it could be exploited, and the fix.\n"
                "If you find nothing, say so and list what you checked.\n\n"
                "Diff:\n{{diff}}"
            ),
            "tags": ("code", "review", "security"),
            "phase": "testing",
            "description": "The code review, narrowed to security problems.",
        },
        "specialise",
    ),
    (
        "Code review (security focus)",
        "Code review (security, terse)",
        {
            "content": (
                "Security review of this {{language}} diff. One line per finding: "
                "`severity file:line problem -> fix`. Severities: critical, high, medium, low. "
                "No preamble, no summary. If nothing is found, answer `no findings`.\n\n"
                "{{diff}}"
            ),
            "tags": ("code", "review", "security", "terse"),
            "phase": "draft",
            "model": "claude-haiku",
            "description": "The security review as a compact list for CI comments.",
        },
        "shorten",
    ),
    (
        "Support reply: refund request",
        "Support reply: refund request (German)",
        {
            "content": (
                "Du bist Kundenservice-Mitarbeiter eines Onlineshops.\n\n"
                "Antworte {{customer_name}} auf die Rückerstattungsanfrage zu Bestellung "
                "{{order_id}}. Unsere Richtlinie: {{policy}}\n\n"
                "Sei freundlich und direkt, duze nicht, höchstens 150 Wörter. "
                "Unterschreibe mit „Ihr Support-Team“."
            ),
            "language": "de",
            "phase": "draft",
            "description": "The refund reply, for German-speaking customers.",
        },
        "translate",
    ),
)

_LABELS: tuple[tuple[str, str, int | None], ...] = (
    ("Code review", "production", 2),
    ("Code review", "staging", None),
    ("SQL from a question", "production", None),
    ("Support reply: refund request", "production", None),
    ("Blog post outline", "production", 1),
)

_RATINGS: tuple[tuple[str, int, str | None], ...] = (
    ("Code review", 5, "Catches real bugs, and the severities help triage."),
    ("Code review", 4, None),
    ("Code review (security focus)", 4, "Found an SQL injection in review."),
    ("SQL from a question", 5, None),
    ("SQL from a question", 4, "Sometimes invents a column when the schema is vague."),
    ("Support reply: refund request", 4, None),
    ("Blog post outline", 5, None),
    ("Blog post outline", 3, "Sections get generic for niche topics."),
    ("Paper summary", 4, None),
    ("Commit message", 5, None),
    ("Explain a query plan", 2, "qwen2.5 misreads the operator tree; try a bigger model."),
)

_TAG_COLOURS = (
    ("security", "red"),
    ("marketing", "magenta"),
    ("sql", "#5f87ff"),
    ("support", "yellow"),
)

_LINKS: tuple[tuple[str, str, str, float], ...] = (
    ("Thread from a blog post", "Blog post outline", "depends_on", 0.6),
    ("Support reply: bug acknowledgement", "Support reply: refund request", "similar_to", 0.7),
    ("Thread from a blog post", "Tweet writer (280 characters)", "overrides", 1.0),
)

# Per model: (price per 1M input tokens, per 1M output tokens, typical latency in ms).
_MODEL_COSTS = {
    "gpt-4o": (2.5, 10.0, 1400),
    "gpt-4o-mini": (0.15, 0.6, 700),
    "claude-sonnet-4": (3.0, 15.0, 1800),
    "claude-haiku": (0.8, 4.0, 600),
    "qwen2.5": (0.0, 0.0, 2500),
    "llama3.1": (0.0, 0.0, 2200),
    "gemini-2.0-flash": (0.1, 0.4, 500),
}


class _ReplayClock:
    """Moves through the schedule: `at` is set before each action; every call ticks a second."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def move_to(self, when: datetime) -> None:
        self.at = max(self.at, when)

    def __call__(self) -> datetime:
        now = self.at
        self.at += timedelta(seconds=1)
        return now


def write_sample_library(library: Library) -> None:
    """Fill `library` (normally an empty one) with the demo prompts and their history."""
    now = library.db.clock()
    start = now - timedelta(days=HISTORY_DAYS)
    clock = _ReplayClock(start)
    # One connection for the whole build (linger): about a hundred actions, each of which
    # would otherwise open and close the file.
    lib = Library(
        library.db.path,
        clock=clock,
        new_id=library.db.new_id,
        actor=library.db.actor,
        lock_timeout=library.db.lock_timeout,
        linger=60.0,
    ).open()
    try:
        _replay(lib, clock, start)
    finally:
        lib.close()


def write_demo_library(path: Path) -> None:
    """`promptdeck --demo`'s library at `path`: the sample, embedded with the bundled model
    (offline), so that semantic search works at once."""
    with Library(path) as seed:
        write_sample_library(seed)
        seed.embeddings.embed_missing(WordLlamaProvider())


def _replay(lib: Library, clock: _ReplayClock, start: datetime) -> None:
    rng = random.Random(_SEED)
    prompts: dict[str, Prompt] = {}
    specs = {spec.name: spec for spec in PROMPTS}

    def at(day: float, minute: int = 0) -> None:
        clock.move_to(start + timedelta(days=day, minutes=minute))

    # Week one: the library is written.
    for number, spec in enumerate(PROMPTS):
        at(number * 0.35, 9 * 60)
        prompts[spec.name] = lib.prompts.create(
            spec.name,
            spec.content,
            message="first draft",
            description=spec.description,
            folder=spec.folder,
            tags=spec.tags,
            phase=spec.phase,
            provider=spec.provider,
            model=spec.model,
            temperature=spec.temperature,
            max_tokens=spec.max_tokens,
            format_type=spec.format_type,
            language="en",
        )
    for colour_number, (tag, colour) in enumerate(_TAG_COLOURS):
        at(5, colour_number)
        lib.tags.set_colour(tag, colour)

    # Weeks two and three: edits, derivations, labels, links, ratings, and use throughout.
    actions: list[tuple[float, int, str, tuple[Any, ...]]] = []
    for number, (name, changes, message) in enumerate(_EDITS):
        actions.append((6 + number * 2.5, 0, "edit", (name, changes, message)))
    for number, derivation in enumerate(_DERIVATIONS):
        actions.append((8 + number * 2, 1, "derive", derivation))
    for number, link in enumerate(_LINKS):
        actions.append((9 + number, 2, "link", link))
    for number, label in enumerate(_LABELS):
        actions.append((16 + number * 0.5, 3, "label", label))
    for number, rating in enumerate(_RATINGS):
        actions.append((12 + number * 0.8, 4, "rate", rating))
    actions.append((18, 5, "archive", ("Tweet writer (280 characters)",)))

    used = [spec for spec in PROMPTS if spec.popularity]
    weights = [spec.popularity for spec in used]
    derived = [child for _, child, _, _ in _DERIVATIONS]
    for _ in range(40):
        day = 7 + rng.random() * (HISTORY_DAYS - 7.5)
        if day > 14 and rng.random() < 0.3:
            name = rng.choice(derived)
        else:
            name = rng.choices(used, weights)[0].name
        kind = rng.choices(("use", "copied", "used_in_generation"), (3, 3, 4))[0]
        actions.append((day, 6, "usage", (name, kind, round(rng.uniform(0.5, 1.0), 2))))

    generations: list[dict[str, Any]] = []
    for day, _order, action, args in sorted(actions, key=lambda a: (a[0], a[1])):
        at(day)
        if action == "edit":
            name, changes, message = args
            prompts[name] = lib.prompts.update(prompts[name].id, changes, message)
        elif action == "derive":
            parent, child, changes, method = args
            prompts[child] = lib.lineage.derive(
                prompts[parent].id,
                name=child,
                message=f"derived: {method}",
                method=method,
                **changes,
            )
        elif action == "link":
            source, target, kind, strength = args
            lib.lineage.link(prompts[source].id, prompts[target].id, kind, strength=strength)
        elif action == "label":
            name, label, version = args
            lib.versions.set_label(prompts[name].id, label, version)
        elif action == "rate":
            name, stars, comment = args
            lib.usage.rate(prompts[name].id, stars, comment=comment, helpful=stars >= 4)
        elif action == "archive":
            lib.prompts.archive(prompts[args[0]].id)
        else:
            name, kind, effectiveness = args
            if kind == "use":  # rendered with the example values of its (root) prompt
                lib.usage.use(prompts[name].id, specs[_root_of(name)].example)
                continue
            event = lib.usage.record(prompts[name].id, kind, effectiveness=effectiveness)
            if kind == "used_in_generation":
                generations.append(_generation(lib, rng, prompts[name], event))
    if generations:
        clock.move_to(start + timedelta(days=HISTORY_DAYS - 0.25))
        lib.db.bulk_insert({"generations": pa.Table.from_pylist(generations)})


def _root_of(name: str) -> str:
    for parent, child, _, _ in _DERIVATIONS:
        if child == name:
            return _root_of(parent)
    return name


def _generation(
    lib: Library, rng: random.Random, prompt: Prompt, event: UsageEvent
) -> dict[str, Any]:
    model = prompt.model or "gpt-4o-mini"
    price_in, price_out, latency = _MODEL_COSTS.get(model, (1.0, 1.0, 1000))
    tokens_in = len(prompt.content) // 4 + rng.randint(50, 900)
    tokens_out = rng.randint(80, 1200)
    return {
        "id": lib.db.new_id(),
        "prompt_id": prompt.id,
        "version": event.version,
        "provider": prompt.provider or "openai",
        "model": model,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost_usd": round((tokens_in * price_in + tokens_out * price_out) / 1_000_000, 6),
        "latency_ms": int(latency * rng.uniform(0.6, 1.8)),
        "created_at": event.created_at + timedelta(milliseconds=latency),
        "actor": lib.db.actor,
    }
