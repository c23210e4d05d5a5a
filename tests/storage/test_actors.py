"""Who did it (schema version 7): every event carries its actor, a version 5 library gets the
columns (its old events keep none), and analytics breaks usage down by actor."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from storage import Library
from storage.db.schema import SCHEMA_VERSION
from storage.runs.models import RunOutcome
from tui.main import main

EVENTS = ("usage_events", "feedback", "generations", "runs")
OK = RunOutcome("ok", "An answer.", 10, 4, False, 500, 80, "stop", "gpt-x")


def test_every_event_names_its_actor_and_usage_breaks_down_by_actor(tmp_path: Path) -> None:
    path = tmp_path / "team.duckdb"
    with Library(path, actor="ana") as lib:
        lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        lib.usage.record("Haiku")
        lib.usage.rate("Haiku", 4)
        lib.costs.log_generation("Haiku", provider="openai", model="gpt-x", tokens_in=100,
                                 tokens_out=50, cost_usd=0.5)  # fmt: skip
    with Library(path, actor="bo") as lib:
        prepared = lib.runs.prepare("Haiku", {"topic": "x"}, provider="openai", default_model="m")
        lib.runs.record(prepared, OK)
        lib.usage.rate("Haiku", 2)
        actors = {(a.actor, a.uses, a.ratings, a.avg_rating, a.generations, a.runs, a.cost_usd)
                  for a in lib.analytics.actors("all")}  # fmt: skip
        report = lib.analytics.report("all")
        _, rows = lib.db.query(
            " UNION ALL ".join(f"SELECT '{t}', actor FROM {t}" for t in EVENTS) + " ORDER BY ALL"
        )
    # ana: a use, a generation's use; bo: the run's use
    assert actors == {("ana", 2, 1, 4.0, 1, 0, 0.5), ("bo", 1, 1, 2.0, 1, 1, 0.0)}
    assert [a.actor for a in report.actors] == ["ana", "bo"]  # most uses first
    assert {t for t, actor in rows if actor} == set(EVENTS) and all(a for _, a in rows)
    shown = CliRunner().invoke(main, ["--db", str(path), "stats"], env={"PROMPTDECK_CONFIG":
                               str(tmp_path / "none.toml")})  # fmt: skip
    assert shown.exit_code == 0 and "by actor, all time" in shown.stdout
    assert [line.split()[0] for line in shown.stdout.splitlines()[-2:]] == ["ana", "bo"]


def test_a_version_five_library_gets_the_actor_columns(tmp_path: Path) -> None:
    path = tmp_path / "v5.duckdb"
    with Library(path, actor="ana") as lib:
        lib.prompts.create("Old", "used before actors were kept")
        lib.usage.record("Old")
    con = duckdb.connect(str(path))
    con.execute("DROP MACRO TABLE mart.actor_activity")  # a version 5 file has neither
    con.execute("CREATE OR REPLACE VIEW mart.generation_costs AS SELECT 1 AS x")
    for table in EVENTS:
        con.execute(f"ALTER TABLE {table} DROP COLUMN actor")
    con.execute("DELETE FROM schema_migrations WHERE version >= 6")
    con.close()
    with Library(path, actor="bo") as lib:
        lib.usage.record("Old")
        _, versions = lib.db.query("SELECT max(version) FROM schema_migrations")
        found = [(a.actor, a.uses) for a in lib.analytics.actors("all")]
    assert versions == [(SCHEMA_VERSION,)] and SCHEMA_VERSION >= 7
    assert found == [("", 1), ("bo", 1)]  # the use recorded before version 7 has no actor
