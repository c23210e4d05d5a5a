"""The synthetic library generator (tests/perf/generate.py): its output keeps every invariant
the facade keeps, checked with SQL on a 2,000-prompt library."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from storage import Library
from tests.helpers import ancestors

GENERATOR = Path(__file__).resolve().parents[1] / "perf" / "generate.py"
NOW = datetime(2026, 1, 15, 9, 30)
N = 2000


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("promptdeck_perf_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, dict[str, int]]:
    library = Library(tmp_path_factory.mktemp("generated") / "gen.duckdb", actor="gen").open()
    counts = gen.generate(library, N, seed=7, now=NOW)
    return library, counts


def rows(library: Library, sql: str) -> list[tuple[Any, ...]]:
    return library.db.query(sql, limit=1_000_000)[1]


def one(library: Library, sql: str) -> Any:
    return rows(library, sql)[0][0]


def test_row_counts_are_realistic(generated: tuple[Library, dict[str, int]]) -> None:
    library, counts = generated
    assert counts["prompts"] == N
    assert library.db.table_counts()["prompts"] == N
    assert 1.5 * N < counts["prompt_versions"] < 3 * N
    assert 7 * N < counts["usage_events"] < 13 * N  # ~10 per prompt
    assert 0.2 * counts["usage_events"] < counts["generations"] < 0.3 * counts["usage_events"]
    rated = one(library, "SELECT count(DISTINCT prompt_id) FROM feedback")
    assert 0.25 * N < rated < 0.35 * N
    derived = one(library, "SELECT count(*) FROM prompts WHERE parent_id IS NOT NULL")
    assert 0.15 * N < derived < 0.25 * N
    assert counts["prompt_labels"] > 0 and counts["tags"] > 0
    assert library.db.table_counts()["audit_log"] == 1  # one bulk_insert, one audit row


def test_versions_are_dense_and_end_at_the_current_one(
    generated: tuple[Library, dict[str, int]],
) -> None:
    library, _ = generated
    assert (
        rows(
            library,
            "SELECT p.id FROM prompts p JOIN (SELECT prompt_id, count(*) AS n, min(version) AS lo, "
            "max(version) AS hi, count(DISTINCT version) AS d FROM prompt_versions GROUP BY 1) v "
            "ON v.prompt_id = p.id WHERE v.lo <> 1 OR v.hi <> p.current_version OR v.n <> v.hi "
            "OR v.d <> v.n",
        )
        == []
    )
    assert one(library, "SELECT count(DISTINCT prompt_id) FROM prompt_versions") == N
    # The current version is the prompt: same content, hash, name; versions in time order.
    assert (
        rows(
            library,
            "SELECT p.id FROM prompts p JOIN prompt_versions v "
            "ON v.prompt_id = p.id AND v.version = p.current_version "
            "WHERE v.content <> p.content OR v.content_hash <> p.content_hash OR v.name <> p.name "
            "OR v.created_at <> p.updated_at",
        )
        == []
    )
    assert (
        rows(
            library,
            "SELECT a.prompt_id FROM prompt_versions a JOIN prompt_versions b "
            "ON a.prompt_id = b.prompt_id AND b.version = a.version + 1 "
            "WHERE b.created_at <= a.created_at OR b.content = a.content",
        )
        == []
    )
    assert (
        rows(
            library,
            "SELECT v.prompt_id FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id "
            "WHERE v.version = 1 AND v.created_at <> p.created_at",
        )
        == []
    )


def test_lineage_is_a_forest(generated: tuple[Library, dict[str, int]]) -> None:
    library, _ = generated
    assert (
        rows(
            library,
            "SELECT id FROM prompts WHERE parent_id IS NOT NULL "
            "AND parent_id NOT IN (SELECT id FROM prompts)",
        )
        == []
    )
    # mart.lineage reaches every prompt from a root exactly once: no cycles.
    for _ in range(3):
        assert rows(library, "SELECT count(*), count(DISTINCT id) FROM mart.lineage") == [(N, N)]
    depth = one(library, "SELECT max(depth) FROM mart.lineage")
    assert 3 <= depth <= gen.MAX_DEPTH
    assert (
        rows(
            library,
            "SELECT c.id FROM prompts c JOIN prompts p ON p.id = c.parent_id "
            "WHERE c.created_at <= p.created_at",
        )
        == []
    )
    # generation_count is the number of children.
    assert (
        rows(
            library,
            "SELECT p.id FROM prompts p LEFT JOIN (SELECT parent_id, count(*) AS n FROM prompts "
            "GROUP BY 1) c ON c.parent_id = p.id WHERE p.generation_count <> coalesce(c.n, 0)",
        )
        == []
    )
    # Every child has its derived_from edge and its enhancement_history row.
    assert (
        rows(
            library,
            "SELECT c.id FROM prompts c WHERE c.parent_id IS NOT NULL AND ("
            "NOT EXISTS (SELECT 1 FROM relationships r WHERE r.source_id = c.id "
            "AND r.target_id = c.parent_id AND r.type = 'derived_from') OR "
            "(SELECT count(*) FROM enhancement_history h WHERE h.prompt_id = c.id "
            "AND h.parent_id = c.parent_id) <> 1)",
        )
        == []
    )
    assert (
        rows(
            library,
            "SELECT r.source_id FROM relationships r WHERE r.type IN ('derived_from', "
            "'enhanced_from') AND NOT EXISTS (SELECT 1 FROM prompts p WHERE p.id = r.source_id "
            "AND p.parent_id = r.target_id)",
        )
        == []
    )
    assert (
        one(
            library,
            "SELECT count(*) FROM relationships WHERE source_id = target_id "
            "OR source_id NOT IN (SELECT id FROM prompts) "
            "OR target_id NOT IN (SELECT id FROM prompts)",
        )
        == 0
    )
    assert one(library, "SELECT count(DISTINCT type) FROM relationships") >= 3


def test_content_is_unique_hashed_and_sized(generated: tuple[Library, dict[str, int]]) -> None:
    library, _ = generated
    assert (
        rows(
            library,
            "SELECT content_hash FROM prompts WHERE archived_at IS NULL "
            "GROUP BY 1 HAVING count(*) > 1",
        )
        == []
    )
    assert one(library, "SELECT count(DISTINCT content_hash) FROM prompts") == N
    assert (
        one(library, "SELECT count(*) FROM prompt_versions WHERE sha256(content) <> content_hash")
        == 0
    )
    low, high = rows(
        library,
        "SELECT min(octet_length(encode(content))), "
        "max(octet_length(encode(content))) FROM prompt_versions",
    )[0]
    assert low >= gen.MIN_CONTENT_BYTES and high <= gen.MAX_CONTENT_BYTES
    assert high > 4000  # a spread of lengths, not one size
    with_variables = one(library, "SELECT count(*) FROM prompts WHERE content LIKE '%{{%}}%'")
    assert 0.2 * N < with_variables < 0.6 * N


def test_usage_counters_match_the_events(generated: tuple[Library, dict[str, int]]) -> None:
    library, _ = generated
    assert (
        rows(
            library,
            "SELECT p.id FROM prompts p LEFT JOIN (SELECT prompt_id, count(*) AS n, "
            "max(created_at) AS last FROM usage_events GROUP BY 1) u ON u.prompt_id = p.id "
            "WHERE p.usage_count <> coalesce(u.n, 0) OR p.last_used_at IS DISTINCT FROM u.last",
        )
        == []
    )
    # Events happen while the prompt exists, against a version that existed then.
    assert (
        rows(
            library,
            "SELECT e.id FROM usage_events e JOIN prompts p ON p.id = e.prompt_id "
            "JOIN prompt_versions v ON v.prompt_id = e.prompt_id AND v.version = e.version "
            "WHERE e.created_at < p.created_at OR e.created_at < v.created_at "
            f"OR e.created_at > TIMESTAMP '{NOW}' "
            f"OR e.created_at > coalesce(p.archived_at, TIMESTAMP '{NOW}')",
        )
        == []
    )
    assert one(library, "SELECT count(*) FROM usage_events") == one(
        library,
        "SELECT count(*) FROM usage_events e JOIN prompt_versions v "
        "ON v.prompt_id = e.prompt_id AND v.version = e.version",
    )
    assert one(library, "SELECT count(*) FROM feedback WHERE version > 5 OR version < 1") == 0
    assert one(library, "SELECT min(created_at) FROM prompts") >= datetime(2025, 10, 17)
    labels = "SELECT count(*) FROM prompt_labels l JOIN prompts p ON p.id = l.prompt_id "
    assert one(library, labels + "WHERE l.version > p.current_version") == 0


def test_analytics_views_have_something_to_show(generated: tuple[Library, dict[str, int]]) -> None:
    library, _ = generated
    models = rows(library, "SELECT DISTINCT provider, model FROM mart.usage_by_model ORDER BY 1, 2")
    assert len(models) == len(gen.MODELS)
    assert one(library, "SELECT count(*) FROM mart.daily_activity") >= 85
    assert one(library, "SELECT count(*) FROM mart.tag_stats") >= 30
    phases = {row[0] for row in rows(library, "SELECT phase FROM mart.phase_stats")}
    assert phases == set(gen.PHASES)
    stats = library.analytics.stats()
    assert stats.prompts + stats.archived == N
    assert stats.avg_rating is not None and 1 <= stats.avg_rating <= 5 and stats.cost_usd > 0


def test_the_facade_works_on_generated_prompts(
    generated: tuple[Library, dict[str, int]], tmp_path: Path
) -> None:
    source, _ = generated
    path = tmp_path / "copy.duckdb"
    path.write_bytes(source.db.path.read_bytes())
    library = Library(path, actor="gen").open()
    edited = one(
        library, "SELECT id FROM prompts WHERE current_version >= 3 AND archived_at IS NULL"
    )
    prompt = library.prompts.get(edited[-8:])
    diff = library.versions.diff(prompt.id, 1)
    assert diff.unified and diff.changed_fields == {}
    restored = library.versions.restore(prompt.id, 1)
    assert restored.current_version == prompt.current_version + 1
    child_id = one(library, "SELECT id FROM prompts WHERE parent_id IS NOT NULL LIMIT 1")
    assert ancestors(library, child_id)
    library.usage.record(prompt.id)
    assert library.prompts.get(prompt.id).usage_count == prompt.usage_count + 1


def test_it_is_deterministic_and_seeded() -> None:
    first = gen.build_tables(300, seed=3, days=30, now=NOW)
    again = gen.build_tables(300, seed=3, days=30, now=NOW)
    other = gen.build_tables(300, seed=4, days=30, now=NOW)
    assert set(first) == set(again)
    for table in first:
        assert first[table].equals(again[table]), table
    assert not first["prompts"].equals(other["prompts"])


def test_command_line(tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--db", str(path), "--prompts", "200", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "generated 200 prompts in" in done.stdout
    library = Library(path).open()
    assert library.prompts.count_prompts() + library.analytics.stats().archived == 200
