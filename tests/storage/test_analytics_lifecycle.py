"""Prices, log_generation, config settings and the relevance lifecycle (decay, cleanup, purge)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.analytics.config_keys import RULES
from storage.analytics.lifecycle import PURGED_ROWS
from storage.errors import NotFound, PurgeError, ValidationError
from tests.conftest import START, TickingClock
from tests.storage.conftest import LINGER, Sql


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def lib(new_library: Callable[..., Library], library_path: Path, clock: TickingClock) -> Library:
    return new_library(library_path, clock=clock, linger=LINGER)


def cost_of(library: Library, generation_id: str) -> tuple[float | None, str | None]:
    _, found = library.db.query(
        f"SELECT cost_usd, cost_from FROM mart.generation_costs WHERE id = '{generation_id}'"
    )
    return found[0]


def priced(cost: float) -> tuple[object, str]:
    """What `cost_of` gives a generation priced from the price table: about `cost`."""
    return (pytest.approx(cost), "price")


class Tokens(TypedDict):
    tokens_in: int
    tokens_out: int


# -- prices and generations ----------------------------------------------------------------


def test_prices_set_list_replace_and_remove(lib: Library) -> None:
    lib.costs.set_price("openai", "gpt-4o", 2.5, 10, effective_from=date(2025, 1, 1))
    lib.costs.set_price("openai", "gpt-4o", 5, 20, effective_from=date(2026, 1, 1))
    lib.costs.set_price("anthropic", "claude", 3, 15)
    assert [(p.model, p.effective_from) for p in lib.costs.prices()] == [
        ("claude", START.date()),
        ("gpt-4o", date(2025, 1, 1)),
        ("gpt-4o", date(2026, 1, 1)),
    ]
    replaced = lib.costs.set_price("openai", "gpt-4o", 6, 24, effective_from=date(2026, 1, 1))
    assert replaced.input_per_mtok == 6 and len(lib.costs.prices(model="gpt-4o")) == 2
    audit = lib.audit.entries("price:openai/gpt-4o@2026-01-01")
    assert [e.action for e in audit] == ["price_set", "price_set"]
    assert audit[0].before["input_per_mtok"] == 5 and audit[0].after["input_per_mtok"] == 6
    lib.costs.remove_price("openai", "gpt-4o", date(2025, 1, 1))
    assert [p.effective_from for p in lib.costs.prices("openai")] == [date(2026, 1, 1)]
    counts = lib.db.table_counts()
    with pytest.raises(NotFound, match=r"no price for openai/gpt-4o from 2025-01-01"):
        lib.costs.remove_price("openai", "gpt-4o", date(2025, 1, 1))
    assert lib.db.table_counts() == counts


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "m", 1, 1), "provider"),
        (("p", "  ", 1, 1), "model"),
        (("p", "m", -1, 1), "input_per_mtok"),
        (("p", "m", 1, math.nan), "output_per_mtok"),
        (("p", "m", "1", 1), "input_per_mtok"),
    ],
)
def test_bad_prices_change_nothing(lib: Library, args: tuple[Any, ...], field: str) -> None:
    counts = lib.db.table_counts()
    with pytest.raises(ValidationError) as caught:
        lib.costs.set_price(*args)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")
    with pytest.raises(ValidationError, match=r"^currency: must be USD"):
        lib.costs.set_price("p", "m", 1, 1, currency="EUR")
    assert lib.db.table_counts() == counts


def test_a_generation_is_priced_by_the_price_in_force_on_its_day(
    lib: Library, clock: TickingClock
) -> None:
    """The price changed mid-period: each generation is priced by its own day, in the view,
    so a price set after the fact prices generations already logged."""
    prompt = lib.prompts.create("P", "p")
    lib.costs.set_price("openai", "gpt-4o", 2.5, 10, effective_from=date(2025, 12, 1))
    lib.costs.set_price("openai", "gpt-4o", 5, 20, effective_from=date(2026, 1, 10))
    tokens: Tokens = {"tokens_in": 1000, "tokens_out": 500}
    old = lib.costs.log_generation(
        "P", provider="openai", model="gpt-4o", at=datetime(2026, 1, 9, 23, 59), **tokens
    )
    new = lib.costs.log_generation(
        "P", provider="openai", model="gpt-4o", at=datetime(2026, 1, 10, 0, 0), **tokens
    )
    given = lib.costs.log_generation("P", provider="openai", model="gpt-4o", cost_usd=0.5, **tokens)
    early = lib.costs.log_generation(
        "P", provider="openai", model="gpt-4o", at=datetime(2025, 11, 30, 12), **tokens
    )
    assert cost_of(lib, old.id) == priced(0.0075)
    assert cost_of(lib, new.id) == priced(0.015)
    assert cost_of(lib, given.id) == (0.5, "source")
    assert cost_of(lib, early.id) == (None, None)
    assert lib.analytics.kpis("all").unpriced == 1
    lib.costs.set_price("openai", "gpt-4o", 1, 1, effective_from=date(2025, 11, 1))
    assert cost_of(lib, early.id) == priced(0.0015)
    assert lib.analytics.kpis("all").cost_usd == pytest.approx(0.0075 + 0.015 + 0.5 + 0.0015)
    assert lib.prompts.get(prompt.id).usage_count == 4


def test_log_generation_records_a_use(lib: Library, clock: TickingClock) -> None:
    prompt = lib.prompts.create("P", "p")
    lib.prompts.update(prompt.id, {"content": "p2"})
    clock.now = datetime(2026, 1, 20, 12)
    done = lib.costs.log_generation(
        "P@1",
        provider=" openai ",
        model="gpt-4o",
        tokens_in=10,
        tokens_out=20,
        latency_ms=900,
        at=datetime(2026, 1, 19),
    )
    assert (done.version, done.provider, done.cost_usd, done.created_at) == (
        1,
        "openai",
        None,
        datetime(2026, 1, 19),
    )
    after = lib.prompts.get(prompt.id)
    assert (after.usage_count, after.last_used_at) == (1, datetime(2026, 1, 19))
    _, events = lib.db.query("SELECT event_type, version, created_at FROM usage_events")
    assert events == [("used_in_generation", 1, datetime(2026, 1, 19))]
    entry = lib.audit.entries(f"prompt:{prompt.id}", limit=1)[0]
    assert entry.action == "generation" and entry.after["tokens_out"] == 20
    lib.costs.log_generation("P", provider="openai", model="gpt-4o", tokens_in=1, tokens_out=1)
    last_used = lib.prompts.get(prompt.id).last_used_at
    assert last_used is not None and last_used > datetime(2026, 1, 20)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tokens_in": -1}, "tokens_in"),
        ({"tokens_out": 1.5}, "tokens_out"),
        ({"cost_usd": -0.1}, "cost_usd"),
        ({"latency_ms": -5}, "latency_ms"),
        ({"provider": ""}, "provider"),
        ({"at": datetime(2030, 1, 1)}, "at"),
    ],
)
def test_bad_generations_change_nothing(lib: Library, changes: dict[str, Any], field: str) -> None:
    lib.prompts.create("P", "p")
    counts = lib.db.table_counts()
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "m",
        "tokens_in": 1,
        "tokens_out": 1,
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        lib.costs.log_generation("P", **values)
    assert caught.value.field == field
    with pytest.raises(NotFound):
        lib.costs.log_generation("nope", provider="p", model="m", tokens_in=1, tokens_out=1)
    assert lib.db.table_counts() == counts


# -- config ----------------------------------------------------------------------------------


def test_settings_are_listed_and_set(lib: Library) -> None:
    keys = [s.key for s in lib.settings.all()]
    assert keys == sorted(keys)
    assert set(keys) >= set(RULES)  # and any setting other parts keep (embedding_model)
    assert lib.settings.get("relevance_decay_rate").value == "0.95"
    assert lib.settings.set("relevance_decay_rate", "0.90").value == "0.9"
    assert lib.settings.set("max_prompts", "2500").value == "2500"
    assert lib.settings.set("min_relevance_score", 0).value == "0.0"
    assert lib.settings.values()["relevance_decay_rate"] == "0.9"
    entry = lib.audit.entries("config:relevance_decay_rate")[0]
    assert (entry.action, entry.before, entry.after) == ("config", "0.95", "0.9")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_prompts", "0", "max_prompts: must be a whole number from 1 to 10000000 (got '0')"),
        ("max_prompts", "12.5", "max_prompts: must be a whole number from 1 to 10000000"),
        ("max_unused_days", "-1", "max_unused_days: must be a whole number from 0 to 36500"),
        ("relevance_decay_rate", "0", "relevance_decay_rate: must be a number above 0 and at"),
        ("relevance_decay_rate", "1.01", "relevance_decay_rate: must be a number above 0"),
        ("min_relevance_score", "high", "min_relevance_score: must be a number from 0 to 1"),
        ("relevance_boost_on_use", "nan", "relevance_boost_on_use: must be a number from 0"),
        (
            "colour",
            "1",
            "config: not a lifecycle setting; the lifecycle settings are max_prompts, ",
        ),
    ],
)
def test_bad_settings_change_nothing(lib: Library, key: str, value: str, message: str) -> None:
    counts, before = lib.db.table_counts(), lib.settings.values()
    with pytest.raises(ValidationError) as caught:
        lib.settings.set(key, value)
    assert str(caught.value).startswith(message)
    assert (lib.db.table_counts(), lib.settings.values()) == (counts, before)


# -- decay -----------------------------------------------------------------------------------


def relevance(library: Library) -> dict[str, float]:
    _, found = library.db.query(
        "SELECT name, relevance_score FROM prompts WHERE archived_at IS NULL"
    )
    return dict(found)


def test_decay_applies_the_days_elapsed_once_per_day(lib: Library, clock: TickingClock) -> None:
    for name in ("Idle", "Busy", "Gone"):
        lib.prompts.create(name, f"{name} words")
    lib.prompts.archive("Gone")
    clock.now = START + timedelta(days=1)
    lib.usage.record("Busy")  # used yesterday, within the first run's day: not decayed
    clock.now = START + timedelta(days=2)
    first = lib.lifecycle.decay()  # a first run covers one day: yesterday
    assert (first.days, first.prompts, first.run_on) == (1, 1, (START + timedelta(days=2)).date())
    assert relevance(lib) == {"Idle": pytest.approx(0.95), "Busy": 1.0}
    counts = lib.db.table_counts()
    again = lib.lifecycle.decay()
    assert again.already_ran and again.prompts == 0
    assert lib.db.table_counts() == counts
    clock.now = START + timedelta(days=5, hours=5)
    third = lib.lifecycle.decay()
    assert (third.days, third.prompts) == (3, 2)
    assert relevance(lib) == {"Idle": pytest.approx(0.95**4), "Busy": pytest.approx(0.95**3)}
    assert lib.prompts.get("Gone").relevance_score == 1.0
    assert [e.after["days"] for e in lib.audit.entries("library") if e.action == "decay"] == [3, 1]
    _, runs = lib.db.query("SELECT action, prompts FROM lifecycle_runs ORDER BY ran_at")
    assert runs == [("decay", 1), ("decay", 2)]


# -- cleanup ---------------------------------------------------------------------------------


def _crowded(lib: Library, clock: TickingClock, sql: Sql) -> None:
    """Six live prompts with relevance 0.1 .. 0.6, created 40 days ago; F used yesterday."""
    for number, name in enumerate("ABCDEF"):
        lib.prompts.create(name, f"{name} words")
        sql("UPDATE prompts SET relevance_score = ? WHERE name = ?", [0.1 * (number + 1), name])
    clock.now = START + timedelta(days=40)
    lib.usage.record("A")  # the least relevant, but used lately: kept
    sql("UPDATE prompts SET relevance_score = 0.1 WHERE name = 'A'")
    lib.settings.set("max_prompts", "2")
    lib.settings.set("min_relevance_score", "0.45")


def test_cleanup_dry_run_lists_and_changes_nothing(
    lib: Library, clock: TickingClock, sql: Sql
) -> None:
    _crowded(lib, clock, sql)
    counts = lib.db.table_counts()
    run = lib.lifecycle.cleanup(dry_run=True)
    assert (run.live, run.max_prompts, run.dry_run) == (6, 2, True)
    assert [c.name for c in run.candidates] == ["B", "C", "D"]  # below 0.45, unused 30+ days
    assert run.candidates[0].relevance_score == pytest.approx(0.2)
    assert lib.db.table_counts() == counts and lib.prompts.count_prompts() == 6


def test_cleanup_archives_the_least_relevant_beyond_the_cap(
    lib: Library, clock: TickingClock, sql: Sql
) -> None:
    _crowded(lib, clock, sql)
    lib.settings.set("max_prompts", "4")
    run = lib.lifecycle.cleanup()
    assert [c.name for c in run.candidates] == ["B", "C"]
    assert sorted(p.name for p in lib.prompts.list_prompts()) == ["A", "D", "E", "F"]
    assert (
        lib.prompts.get("B").archived and lib.prompts.get("B").content == "B words"
    )  # archived, not deleted
    entry = lib.audit.entries(f"prompt:{lib.prompts.get('B').id}", limit=1)[0]
    assert (entry.action, entry.after["by"]) == ("archive", "lifecycle cleanup")
    assert lib.lifecycle.cleanup().candidates == []  # D is next but 4 live prompts is the cap


# -- purge -----------------------------------------------------------------------------------


def references(library: Library, prompt_id: str) -> dict[str, int]:
    """Rows per table that mention the prompt (the tables a purge exports)."""
    found = {}
    for table, where in PURGED_ROWS.items():
        _, rows = library.db.query(
            f"SELECT count(*) FROM {table} WHERE "
            + where.replace("(SELECT id FROM _purge)", f"('{prompt_id}')")
        )
        found[table] = rows[0][0]
    return found


def _with_history(lib: Library, clock: TickingClock) -> dict[str, str]:
    parent = lib.prompts.create("Parent", "parent words")
    old = lib.lineage.derive(parent.id, name="Old", content="old words")
    child = lib.lineage.derive(old.id, name="Child", content="child words")
    recent = lib.prompts.create("Recent", "recent words")
    lib.prompts.update(old.id, {"content": "old words v2"})
    lib.usage.record(old.id)
    lib.usage.rate(old.id, 4)
    lib.versions.set_label(old.id, "production", 1)
    lib.lineage.link(old.id, recent.id, "similar_to")
    lib.costs.log_generation(old.id, provider="p", model="m", tokens_in=5, tokens_out=5)
    lib.prompts.archive(old.id)
    clock.now = START + timedelta(days=100)
    lib.prompts.archive(recent.id)
    return {"parent": parent.id, "old": old.id, "child": child.id, "recent": recent.id}


def test_purge_exports_then_deletes_archived_prompts(
    lib: Library,
    clock: TickingClock,
    tmp_path: Path,
) -> None:
    ids = _with_history(lib, clock)
    before = references(lib, ids["old"])
    _, versions = lib.db.query(f"SELECT * FROM prompt_versions WHERE prompt_id = '{ids['old']}'")
    run = lib.lifecycle.purge(timedelta(days=90), tmp_path / "export")
    assert run.folder == tmp_path / "export"
    assert run.prompts == [(ids["old"], "Old")]
    # what was exported is what was there, read back by pyarrow
    prompts = pq.read_table(run.folder / "prompts.parquet").to_pylist()
    assert [(p["id"], p["name"], p["content"]) for p in prompts] == [
        (ids["old"], "Old", "old words v2")
    ]
    exported = pq.read_table(run.folder / "prompt_versions.parquet")
    assert sorted(exported.column("version").to_pylist()) == [v[1] for v in versions]
    for table in ("usage_events", "feedback", "generations", "prompt_labels", "relationships"):
        assert pq.read_table(run.folder / f"{table}.parquet").num_rows == run.rows[table] > 0
    assert run.rows["prompt_versions"] == before["prompt_versions"] == 2
    # and it is gone, with everything attached; the others stay
    assert set(references(lib, ids["old"]).values()) == {0}
    assert lib.prompts.get(ids["child"]).parent_id is None
    assert lib.prompts.get(ids["recent"]).archived  # archived only 0 days ago
    assert lib.prompts.get(ids["parent"]).generation_count == 0
    assert [e.action for e in lib.audit.entries(f"prompt:{ids['old']}", limit=1)] == ["purge"]
    _, runs = lib.db.query("SELECT action, prompts FROM lifecycle_runs")
    assert runs == [("purge", 1)]


def test_purge_into_a_used_folder_changes_nothing(
    lib: Library, clock: TickingClock, tmp_path: Path
) -> None:
    _with_history(lib, clock)
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    counts = lib.db.table_counts()
    with pytest.raises(PurgeError, match=r"busy: folder exists and is not empty$"):
        lib.lifecycle.purge(timedelta(days=90), folder)
    assert lib.db.table_counts() == counts
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_purge_with_nothing_old_enough(lib: Library, clock: TickingClock, tmp_path: Path) -> None:
    _with_history(lib, clock)
    counts = lib.db.table_counts()
    run = lib.lifecycle.purge(timedelta(days=365), tmp_path / "none")
    assert (run.folder, run.prompts) == (None, [])
    assert lib.db.table_counts() == counts and not (tmp_path / "none").exists()
    with pytest.raises(ValidationError, match="^older_than: must not be negative"):
        lib.lifecycle.purge(timedelta(days=-1))


def test_purge_default_folder_is_beside_the_library(lib: Library, clock: TickingClock) -> None:
    _with_history(lib, clock)
    run = lib.lifecycle.purge(timedelta(days=0))
    assert run.folder is not None and run.folder.parent == lib.db.path.parent / "purged"
    assert len(run.prompts) == 2
    assert (run.folder / "manifest.json").is_file()
