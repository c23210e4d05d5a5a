"""The rollups never disagree with the raw rows: after any sequence of writes (create, edit,
restore a version, derive, import prompts, use, record, rate, log a generation, run, import
generations, archive, delete, purge), after a
restore, a bulk insert and the migrations that build them, every rollup row equals the same
sums recomputed from the events, and the marts read from them equal the raw aggregates (the
latency percentiles to the last bit of quantile_cont's)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import storage
from storage import Library, PromptFilter
from storage.analytics import top_prompts
from storage.analytics.models import TopPrompt
from storage.db import rollups
from storage.db.connection import connect
from storage.runs.models import RunOutcome
from tests.conftest import TickingClock
from tests.helpers import rollup_mismatches, same_row, sequential_ids

_PROMPTS = 4

ACTIONS = st.one_of(
    st.tuples(st.just("use"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("record"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("rate"), st.integers(0, _PROMPTS - 1), st.integers(1, 5)),
    st.tuples(
        st.just("generation"),
        st.integers(0, _PROMPTS - 1),
        st.sampled_from(["gpt-4o", "claude"]),
        st.none() | st.floats(0, 2),
        st.integers(0, 40),  # days before now
    ),
    st.tuples(
        st.just("run"),
        st.integers(0, _PROMPTS - 1),
        st.sampled_from(["ok", "failed"]),
        st.integers(0, 60),  # milliseconds to the first token
    ),
    st.tuples(st.just("import"), st.integers(0, _PROMPTS - 1), st.integers(1, 3)),
    st.tuples(st.just("archive"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("unarchive"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("tag"), st.integers(0, _PROMPTS - 1), st.sampled_from(["a", "b"])),
    st.tuples(st.just("untag"), st.integers(0, _PROMPTS - 1), st.sampled_from(["a", "b"])),
    st.tuples(st.just("phase"), st.integers(0, _PROMPTS - 1), st.sampled_from(["x", "y", None])),
    st.tuples(st.just("delete"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("purge")),
    st.tuples(st.just("price"), st.sampled_from(["gpt-4o", "claude"]), st.integers(0, 30)),
    st.tuples(st.just("create")),
    st.tuples(st.just("edit"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("restore"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("derive"), st.integers(0, _PROMPTS - 1)),
    st.tuples(st.just("import prompts"), st.integers(1, 3)),
    st.tuples(st.just("next day")),
)


def _check(library: Library) -> None:
    with library.db.read() as con:
        assert rollup_mismatches(con) == []
        # The marts read from the rollups give what the raw rows give.
        usage = con.execute(
            "SELECT provider, model, sum(generations), sum(tokens_in), sum(cost_usd), "
            "sum(unpriced) FROM mart.usage_by_model GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        raw = con.execute(
            "SELECT provider, model, count(*), sum(tokens_in), coalesce(sum(cost_usd), 0), "
            "count(*) FILTER (WHERE cost_from IS NULL) FROM mart.generation_costs "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        assert len(usage) == len(raw) and all(map(same_row, usage, raw))
        for period in ("7d", "all"):
            since = {"since": library.analytics.period(period).since}
            latency = con.execute(
                "SELECT * FROM mart.latency_by_model(CAST($since AS DATE)) ORDER BY ALL", since
            ).fetchall()
            assert latency == con.execute(_RAW_LATENCY, since).fetchall()


# The latency percentiles as the generations themselves give them (the macro before the
# histogram rollup).
_RAW_LATENCY = """
SELECT g.provider, g.model, count(*), quantile_cont(g.latency_ms, 0.5),
       quantile_cont(g.latency_ms, 0.95), count(r.first_token_ms),
       quantile_cont(r.first_token_ms, 0.5), quantile_cont(r.first_token_ms, 0.95)
FROM generations g LEFT JOIN runs r ON r.id = g.id
WHERE g.latency_ms IS NOT NULL AND ($since IS NULL OR g.created_at >= CAST($since AS TIMESTAMP))
GROUP BY g.provider, g.model ORDER BY ALL
"""


def _act(library: Library, clock: TickingClock, folder: Path, action: tuple[Any, ...]) -> None:
    kind = action[0]
    if kind == "unarchive":
        archived = library.prompts.list_prompts(PromptFilter(archived=True), sort="name")
        if archived:
            library.prompts.unarchive(archived[action[1] % len(archived)].id)
        return
    live = [p.id for p in library.prompts.list_prompts(sort="name", descending=False)]
    if kind == "purge":
        library.lifecycle.purge(timedelta(0), folder / f"purge-{clock.peek():%H%M%S}")
        return
    if kind == "price":
        day = clock.peek().date() - timedelta(days=action[2])
        library.costs.set_price("openai", action[1], 1.5, 6, effective_from=day)
        return
    if kind == "next day":  # saves on another day: the authored rollup's rows are per day
        clock.now += timedelta(days=1)
        return
    if kind == "create":
        library.prompts.create(f"Made {clock.peek():%d %H%M%S%f}", f"Made at {clock.peek()}")
        return
    if kind == "import prompts":
        path = folder / f"prompts-{clock.peek():%d%H%M%S%f}.csv"
        rows = [f"Imported {n},Imported text {n} at {clock.peek()}" for n in range(action[1])]
        path.write_text("name,content\n" + "\n".join(rows) + "\n", "utf-8")
        library.imports.run(path)
        return
    if not live:
        return
    ref = live[action[1] % len(live)]
    if kind == "use":
        library.usage.use(ref)
    elif kind == "record":
        library.usage.record(ref)
    elif kind == "rate":
        library.usage.rate(ref, action[2])
    elif kind == "generation":
        _, _, model, cost, days = action
        when = clock.peek() - timedelta(days=days)
        library.costs.log_generation(
            ref, provider="openai", model=model, tokens_in=100, tokens_out=40,
            cost_usd=cost, latency_ms=300 + days, at=when,
        )  # fmt: skip
    elif kind == "run":
        prepared = library.runs.prepare(ref, provider="openai", default_model="gpt-4o")
        outcome = RunOutcome(action[2], "an answer", 12, 30, False, 200 + action[3], action[3])
        library.runs.record(prepared, outcome)
    elif kind == "import":
        path = folder / f"calls-{clock.peek():%H%M%S}.csv"
        day = clock.peek() - timedelta(days=3)
        lines = ["prompt,provider,model,tokens_in,tokens_out,created_at"]
        lines += [f"{ref},openai,claude,{n},{n * 2},{day.isoformat()}" for n in range(action[2])]
        path.write_text("\n".join(lines) + "\n", "utf-8")
        library.generation_imports.run(path)
    elif kind == "archive":
        library.prompts.archive(ref)
    elif kind == "tag" and action[2] not in library.prompts.get(ref).tags:
        library.tags.add(ref, [action[2]])
    elif kind == "untag" and action[2] in library.prompts.get(ref).tags:
        library.tags.remove(ref, [action[2]])
    elif kind == "phase" and library.prompts.get(ref).phase != action[2]:
        library.prompts.update(ref, {"phase": action[2]})
    elif kind == "delete":
        library.prompts.delete(ref, force=True)
    elif kind == "edit":
        library.prompts.update(ref, {"content": f"Edited at {clock.peek()}"})
    elif kind == "restore" and library.prompts.get(ref).current_version > 1:
        library.versions.restore(ref, 1)
    elif kind == "derive":
        library.lineage.derive(ref, content=f"Derived at {clock.peek()}")


def _library(path: Path, clock: TickingClock) -> Library:
    # One connection for all the actions (linger): the rollups are kept inside each writer's
    # transaction either way, and a library per example costs far less.
    library = Library(
        path, clock=clock, new_id=sequential_ids(), actor="ana", linger=60.0, interactive=False
    ).open()
    for n in range(_PROMPTS):
        library.prompts.create(f"Prompt {n}", f"Text number {n}", tags=["a", f"t{n % 2}"])
    return library


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a library takes minutes
)
@given(st.lists(ACTIONS, max_size=14))
def test_every_write_keeps_the_rollups_equal_to_the_events(actions: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = TickingClock()
        with _library(Path(tmp) / "lib.duckdb", clock) as library:
            for action in actions:
                _act(library, clock, Path(tmp), action)
            _check(library)


def test_a_restore_and_a_bulk_insert_keep_them_equal(tmp_path: Path) -> None:
    clock = TickingClock()
    with _library(tmp_path / "lib.duckdb", clock) as library:
        for action in [("use", 0), ("rate", 1, 4), ("generation", 2, "claude", None, 5)]:
            _act(library, clock, tmp_path, action)
        library.backups.write(tmp_path / "backup")
        prompt = library.prompts.list_prompts(limit=1)[0]
        when = clock.peek() - timedelta(days=2)
        library.db.bulk_insert(
            {
                "usage_events": pa.Table.from_pylist(
                    [
                        {
                            "id": f"bulk-{n}",
                            "prompt_id": prompt.id,
                            "event_type": "used",
                            "created_at": when,
                            "actor": None,
                        }
                        for n in range(3)
                    ]  # fmt: skip
                )
            }
        )
        _check(library)
    storage.restore_backup(tmp_path / "backup", tmp_path / "restored.duckdb")
    with Library(tmp_path / "restored.duckdb").open() as restored:
        _check(restored)
        with restored.db.read() as con:
            found = con.execute("SELECT count(*) FROM rollup_daily").fetchone()
        assert found is not None and found[0] > 0


def test_the_migration_builds_them_from_an_older_library(tmp_path: Path) -> None:
    clock = TickingClock()
    path = tmp_path / "lib.duckdb"
    with _library(path, clock) as library:
        for action in [("use", 0), ("use", 0), ("rate", 1, 2), ("run", 3, "ok", 40)]:
            _act(library, clock, tmp_path, action)
    con = connect(path)  # as a version 7 library left it: no rollups
    con.execute("DROP TABLE rollup_daily")
    con.execute("DROP TABLE rollup_prompt_daily")
    con.execute("DELETE FROM schema_migrations WHERE version >= 8")
    con.close()
    with Library(path, clock=clock).open() as library:
        _check(library)
        report = library.analytics.report("all")
        assert report.kpis.uses == 3 and report.kpis.ratings == 1
        assert report.kpis.generations == 1 and report.days[-1].day == date(2026, 1, 15)


def test_the_migration_to_version_10_builds_the_latency_histogram(tmp_path: Path) -> None:
    clock = TickingClock()
    path = tmp_path / "lib.duckdb"
    with _library(path, clock) as library:
        for action in [("generation", 0, "claude", None, 3), ("run", 1, "ok", 25)]:
            _act(library, clock, tmp_path, action)
    con = connect(path)  # as a version 9 library left it: no latency histogram
    con.execute("DROP TABLE rollup_latency_daily")
    con.execute("DELETE FROM schema_migrations WHERE version >= 10")
    con.close()
    with Library(path, clock=clock).open() as library:
        _check(library)
        latency = {(m.model, m.p50_ms, m.first_token_p50_ms) for m in library.analytics.latency()}
        assert latency == {("claude", 303.0, None), ("gpt-4o", 225.0, 25.0)}


def test_the_migration_to_version_11_counts_what_was_authored_per_day(tmp_path: Path) -> None:
    clock = TickingClock()
    path = tmp_path / "lib.duckdb"
    with _library(path, clock) as library:
        clock.now += timedelta(days=1)
        # By name: the created one comes first, so the deleted one is the second edited.
        for action in [("edit", 0), ("edit", 1), ("create",), ("delete", 2)]:
            _act(library, clock, tmp_path, action)
    con = connect(path)  # as a version 10 library left it: created and edited not rolled up
    con.execute("DROP TABLE rollup_authored_daily")
    con.execute("DELETE FROM schema_migrations WHERE version >= 11")
    con.close()
    with Library(path, clock=clock).open() as library:
        _check(library)
        days = {d.day: (d.created, d.edited) for d in library.analytics.report("all").days}
        assert days[date(2026, 1, 15)] == (3, 0) and days[date(2026, 1, 16)] == (1, 1)


def test_a_bulk_insert_of_prompts_alone_rebuilds_them(tmp_path: Path) -> None:
    clock = TickingClock()
    with _library(tmp_path / "lib.duckdb", clock) as library:
        one = library.prompts.list_prompts(limit=1)[0]
        with library.db.read() as con:
            copy = con.execute("SELECT * FROM prompts WHERE id = ?", [one.id]).to_arrow_table()
        copy = copy.to_pylist()[0]
        copy.update(id="bulk-prompt", content_hash="bulk", created_at=clock.peek())
        library.db.bulk_insert({"prompts": pa.Table.from_pylist([copy])})
        _check(library)


@pytest.mark.parametrize("lookups", [(1024, 1), (0, 256)], ids=["by-key-one-at-a-time", "scan"])
def test_the_top_prompts_of_a_period_are_exact_when_the_first_candidates_do_not_settle_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookups: tuple[int, int]
) -> None:
    """Prompts used most of all time are not the period's most used: the candidates grow
    until no prompt left out can reach the list, and the lists equal the raw rows' own,
    whether the candidates' names are looked up by key (in batches) or by a scan."""
    monkeypatch.setattr(top_prompts, "LOOKUPS", lookups[0])
    monkeypatch.setattr(top_prompts, "BATCH", lookups[1])
    monkeypatch.setattr(top_prompts, "FIRST", 1)
    monkeypatch.setattr(top_prompts, "GROWTH", 2)
    monkeypatch.setattr(top_prompts, "TOP", 3)
    clock = TickingClock()
    with _library(tmp_path / "lib.duckdb", clock) as library:
        extra = [library.prompts.create(f"More {n}", f"More text {n}").id for n in range(6)]
        ids = [p.id for p in library.prompts.list_prompts(sort="name", descending=False)]
        old = clock.peek() - timedelta(days=20)
        for n, prompt_id in enumerate(ids):  # of all time: the first prompts most
            for _ in range(10 - n):
                library.costs.log_generation(
                    prompt_id, provider="openai", model="m", tokens_in=1, tokens_out=1, at=old
                )
        for n, prompt_id in enumerate(extra):  # this week: the last ones most
            for _ in range(n % 4):
                library.usage.record(prompt_id)
            library.usage.rate(prompt_id, 1 + n % 5)
        library.prompts.archive(extra[-1])
        for period in ("7d", "30d", "all"):
            report = library.analytics.report(period)
            assert report.top_by_use == _raw_top(library, report.period.since, "use")
            assert report.top_by_rating == _raw_top(library, report.period.since, "rating")


def _raw_top(library: Library, since: date | None, by: str) -> list[Any]:
    """The top prompts as the raw events give them (the macro over the events it replaced)."""
    order = "uses DESC, name, id" if by == "use" else "avg_rating DESC, ratings DESC, id"
    with library.db.read() as con:
        rows = con.execute(
            "WITH a AS (SELECT prompt_id, count(*) FILTER (WHERE k = 'u') AS uses, "
            "count(*) FILTER (WHERE k = 'r') AS ratings, sum(rating) AS rating_sum FROM ("
            "SELECT prompt_id, 'u' AS k, NULL AS rating, created_at FROM usage_events UNION ALL "
            "SELECT prompt_id, 'r', rating, created_at FROM feedback) "
            "WHERE $since IS NULL OR created_at >= CAST($since AS TIMESTAMP) GROUP BY prompt_id) "
            "SELECT p.id, p.name, a.uses, a.ratings, a.rating_sum / nullif(a.ratings, 0) AS "
            "avg_rating, p.last_used_at FROM a JOIN prompts p ON p.id = a.prompt_id "
            f"WHERE p.archived_at IS NULL AND {'uses' if by == 'use' else 'ratings'} > 0 "
            f"ORDER BY {order} LIMIT {top_prompts.TOP}",
            {"since": since},
        ).fetchall()
    return [TopPrompt(*row) for row in rows]


def test_a_prompt_key_computed_in_python_is_the_one_the_rollups_store() -> None:
    next_id = sequential_ids()
    ids = [next_id() for _ in range(50)] + ["", "é-ümlaut 漢字", "x" * 300]
    con = duckdb.connect()
    stored = con.execute(
        f"SELECT i, {rollups.prompt_key('i')} FROM unnest(?::VARCHAR[]) AS t(i)", [ids]
    ).fetchall()
    assert [(i, rollups.prompt_key_of(i)) for i in ids] == stored
