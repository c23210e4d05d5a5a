"""The demo library: realistic, consistent, and the same every time for the same clock and ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storage import Library, PromptFilter
from storage.prompts import templates
from tests.helpers import ancestors, fixed_clock, sequential_ids
from tui.demo import HISTORY_DAYS, write_sample_library

START = datetime(2026, 1, 15, 9, 30)  # the clock the fixtures start at


def one(library: Library, sql: str) -> Any:
    return library.db.query(sql)[1][0][0]


def test_counts_and_spread(sample_library: Library) -> None:
    stats = sample_library.analytics.stats()
    assert 12 <= stats.prompts <= 16
    assert stats.archived == 1
    assert stats.versions > stats.prompts + stats.archived  # some prompts were edited
    folders = dict(sample_library.prompts.folders())
    for folder in ("writing/blog", "eng/code-review", "eng/sql", "support/email", "research"):
        assert folders.get(folder), folder
    assert folders["marketing/social"] >= 2
    live = [sample_library.prompts.get(p.id) for p in sample_library.prompts.list_prompts()]
    assert {p.phase for p in live} >= {"ideation", "draft", "testing", "production"}
    assert len({p.provider for p in live}) >= 4
    assert all(p.model and p.temperature is not None and p.tags for p in live)
    assert sum(1 for p in live if templates.variables(p.content)) >= 8
    assert all(p.description for p in live)
    retired = sample_library.prompts.list_prompts(PromptFilter(archived=True))
    assert [p.phase for p in retired] == ["retired"]


def test_lineage_chain(sample_library: Library) -> None:
    terse = sample_library.prompts.get("Code review (security, terse)")
    assert [p.name for p in ancestors(sample_library, terse.id)] == [
        "Code review",
        "Code review (security focus)",
    ]
    assert one(sample_library, "SELECT max(depth) FROM mart.lineage") >= 2
    assert one(sample_library, "SELECT count(*) FROM mart.lineage") == one(
        sample_library, "SELECT count(*) FROM prompts"
    )
    assert sample_library.prompts.get("Code review").generation_count == 1
    assert terse.source_type == "derived" and terse.enhancement_method == "shorten"
    kinds = {
        r.type
        for p in sample_library.prompts.list_prompts()
        for r in sample_library.lineage.relationships(p.id)
    }
    assert kinds >= {"derived_from", "similar_to", "depends_on"}


def test_versions_labels_and_ratings(sample_library: Library) -> None:
    review = sample_library.prompts.get("Code review")
    assert review.current_version == 3
    messages = [v.change_message for v in sample_library.versions.history(review.id)]
    assert messages == [
        "first draft",
        "Ask for a severity on every finding",
        "More consistent reviews",
    ]
    labels = {lb.label: lb.version for lb in sample_library.versions.labels(review.id)}
    assert labels == {"production": 2, "staging": 3}
    production_version = sample_library.prompts.resolve("Code review@production").version
    assert production_version is not None
    assert (production_version.metadata["temperature"], review.temperature) == (0.3, 0.2)
    production = one(
        sample_library, "SELECT count(*) FROM prompt_labels WHERE label = 'production'"
    )
    assert production >= 3
    assert sample_library.usage.rating("Code review") == (4.5, 2)
    assert one(sample_library, "SELECT count(DISTINCT prompt_id) FROM feedback") >= 6
    assert {t.name: t.colour for t in sample_library.tags.all() if t.colour}["security"] == "red"


def test_usage_history_is_spread_and_consistent(sample_library: Library) -> None:
    now = START  # write_sample_library read the clock once: "now" for the history
    _, rows = sample_library.db.query(
        "SELECT min(u.created_at), max(u.created_at), count(DISTINCT CAST(u.created_at AS DATE)), "
        "count(*), bool_and(u.created_at >= p.created_at) "
        "FROM usage_events u JOIN prompts p ON p.id = u.prompt_id"
    )
    first, last, days, events, after_creation = rows[0]
    assert now - timedelta(days=HISTORY_DAYS) <= first < last <= now
    assert days >= 8 and events >= 30 and after_creation
    # The counters on each prompt are what the events say.
    _, mismatched = sample_library.db.query(
        "SELECT p.name FROM prompts p LEFT JOIN (SELECT prompt_id, count(*) AS n, "
        "max(created_at) AS last FROM usage_events GROUP BY ALL) u ON u.prompt_id = p.id "
        "WHERE p.usage_count <> coalesce(u.n, 0) OR p.last_used_at IS DISTINCT FROM u.last"
    )
    assert mismatched == []
    generations = one(sample_library, "SELECT count(*) FROM generations")
    assert generations == one(
        sample_library,
        "SELECT count(*) FROM usage_events WHERE event_type = 'used_in_generation'",
    )
    assert one(sample_library, "SELECT sum(cost_usd) FROM mart.usage_by_model") > 0
    assert len(sample_library.db.query("SELECT * FROM mart.daily_activity")[1]) >= 10
    # Nothing is dated after the caller's "now", so its own next action comes last.
    assert one(sample_library, "SELECT max(ts) FROM audit_log") < now
    assert sample_library.prompts.create("After", "after the sample").created_at > now


def test_it_is_deterministic(
    tmp_path: Path, sample_library: Library, new_library: Callable[..., Library]
) -> None:
    """The session's sample library and one built here with the same clock and ids."""
    fresh = new_library(tmp_path / "again.duckdb")
    write_sample_library(fresh)
    for where in (PromptFilter(), PromptFilter(archived=True)):
        assert fresh.prompts.list_prompts(where) == sample_library.prompts.list_prompts(where)
    assert fresh.db.table_counts() == sample_library.db.table_counts()
    audit = "SELECT ts, action, entity, after FROM audit_log ORDER BY id"
    assert fresh.db.query(audit) == sample_library.db.query(audit)


def test_it_follows_the_library_clock(tmp_path: Path) -> None:
    at = datetime(2030, 6, 1, 12, 0)
    library = Library(
        tmp_path / "fixed.duckdb", clock=fixed_clock(at), new_id=sequential_ids()
    ).open()
    write_sample_library(library)
    newest = max(p.updated_at for p in library.prompts.list_prompts())
    assert at - timedelta(days=HISTORY_DAYS) < newest < at
