"""The same session of verbs on a library file and on a team library (DuckLake on a real
PostgreSQL): every verb gives the same answers, and the rules schema.sql's constraints keep
on a file (one live prompt per content, dense versions, one row per label, no cycles, valid
values) hold on a lake, where storage enforces them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage import Library, PromptFilter
from storage.errors import CycleError, DuplicateContent, QueryError, ValidationError
from storage.search.embedding import LocalProvider
from tests.conftest import CountingIds, TickingClock
from tests.lake.conftest import Lake


@pytest.fixture(params=["file", "lake"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    if request.param == "file":
        return str(tmp_path / "lib.duckdb"), None
    lake: Lake = request.getfixturevalue("lake")
    return lake.db, str(lake.data)


def _open(where: tuple[str, str | None], **kwargs: Any) -> Library:
    return Library(
        where[0],
        lake_data=where[1],
        clock=TickingClock(),
        new_id=CountingIds(),
        actor="ana",
        embedder=LocalProvider(),
        **kwargs,
    )


def test_a_session_of_verbs_answers_the_same(where: tuple[str, str | None]) -> None:
    with _open(where) as lib:
        assert lib.db.created
        haiku = lib.prompts.create("Haiku", "Write a haiku about {{topic}}.", temperature=0.5)
        lib.embeddings.after_save(haiku)
        lib.prompts.create("Mail", "Reply politely to this email: {{email}}", tags=["work"])
        lib.prompts.update("Haiku", {"content": "Write a haiku about {{topic}} in spring."})
        lib.versions.restore("Haiku", 1)
        assert [v.version for v in lib.versions.history("Haiku")] == [1, 2, 3]
        assert "spring" in lib.versions.diff("Haiku", 1, 2).unified
        lib.tags.add("Haiku", ["poetry"])
        lib.versions.set_label("Haiku", "production", 2)
        lib.versions.set_label("Haiku", "production", 3)  # moved, not doubled
        assert [(lb.label, lb.version) for lb in lib.versions.labels("Haiku")] == [
            ("production", 3)
        ]
        lib.usage.record("Haiku")
        lib.usage.rate("Haiku", 4)
        child = lib.lineage.derive("Haiku", name="Tanka", content="Write a tanka on {{topic}}.")
        with pytest.raises(CycleError):
            lib.lineage.set_parent("Haiku", "Tanka")
        with pytest.raises(DuplicateContent):
            lib.prompts.create("Copy", "Reply politely to this email: {{email}}")
        with pytest.raises(ValidationError):
            lib.usage.rate("Haiku", 9)
        lib.costs.set_price("openai", "gpt-x", 1.0, 2.0)
        lib.costs.set_price("openai", "gpt-x", 1.5, 2.5)  # replaced, not doubled
        assert len(lib.costs.prices()) == 1
        lib.embeddings.embed_missing(LocalProvider())
        text = lib.search.search("email", "text")
        semantic = lib.search.search("haiku spring topic", "semantic")
        hybrid = lib.search.search("haiku", "hybrid")
        assert [h.name for h in text.hits] == ["Mail"]
        assert semantic.hits[0].name in ("Haiku", "Tanka")
        assert {h.name for h in hybrid.hits} >= {"Haiku"}
        graph = lib.lineage.graph("Tanka")
        assert graph.top_id == haiku.id and len(graph.nodes) == 2
        kpis = lib.analytics.kpis("all")
        assert (kpis.prompts, kpis.uses, kpis.ratings) == (3, 1, 1)
        names = {p.name for p in lib.prompts.list_prompts(PromptFilter(tags=("poetry",)))}
        assert names == {"Haiku", "Tanka"}  # a child inherits its tags
        lib.prompts.archive(child.id)
        counts = lib.db.table_counts()
        actors = {entry.actor for entry in lib.audit.entries()}
    assert counts["prompts"] == 3 and counts["prompt_versions"] == 6  # tagging saves a version
    assert counts["prompt_labels"] == 1 and counts["prices"] == 1
    assert actors == {"ana"}


def test_reopening_finds_the_library_as_it_was(where: tuple[str, str | None]) -> None:
    with _open(where) as lib:
        lib.prompts.create("One", "the first prompt")
    with _open(where, read_only=True) as lib:
        assert not lib.db.created
        assert [p.name for p in lib.prompts.list_prompts()] == ["One"]
        columns, rows = lib.db.query("SELECT count(*) AS n FROM prompts")
        assert (columns, rows) == (["n"], [(1,)])


def test_a_version_five_lake_gets_the_actor_columns(lake: Lake) -> None:
    with Library(lake.db, lake_data=str(lake.data), actor="ana") as lib:
        lib.prompts.create("Old", "rated before actors were kept")
        lib.usage.rate("Old", 3)
        with lib.db.write() as con:
            for table in ("usage_events", "feedback", "generations", "runs"):
                con.execute(f"ALTER TABLE {table} DROP COLUMN actor")
            con.execute("DELETE FROM schema_migrations WHERE version >= 6")
    with Library(lake.db, actor="bo") as lib:
        lib.usage.rate("Old", 5)
        found = [(a.actor, a.ratings) for a in lib.analytics.actors("all")]
    assert found == [("", 1), ("bo", 1)]


def test_sql_reads_a_lake_whose_rows_are_in_parquet(lake: Lake) -> None:
    """`sql` reads the lake's own data files (a bulk import writes Parquet) while every other
    file stays out of its reach."""
    rows = [{"name": f"p{i}", "content": f"prompt number {i}"} for i in range(300)]
    source = lake.data.parent / "many.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    with Library(lake.db, lake_data=str(lake.data)) as library:
        library.imports.run(source)
        assert list(lake.data.rglob("*.parquet"))
        _, found = library.db.query("SELECT count(*) FROM prompts")
        assert found == [(300,)]
        with pytest.raises(QueryError, match="sql: "):
            library.db.query(f"SELECT * FROM read_json_auto('{source}')")
    with Library(lake.db, read_only=True) as reader:  # another process's view: a fresh open
        _, found = reader.db.query("SELECT count(*), min(name) FROM prompts")
        assert found == [(300, "p0")]
