"""Usage, ratings, templates, stats and the read-only query door."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage import Library
from storage.errors import QueryError, TemplateError, ValidationError
from storage.models import USAGE_EVENT_TYPES
from storage.prompts import templates

Sql = Callable[..., list[tuple[Any, ...]]]


def test_record_usage_bumps_counters_in_the_same_transaction(library: Library, sql: Sql) -> None:
    prompt = library.prompts.create("Used", "use me")
    sql("UPDATE prompts SET relevance_score = 0.5 WHERE id = ?", [prompt.id])
    event = library.usage.record(prompt.id, "copied", effectiveness=0.8)
    after = library.prompts.get(prompt.id)
    assert after.usage_count == 1
    assert after.last_used_at == event.created_at
    assert after.relevance_score == pytest.approx(0.6)  # relevance_boost_on_use = 0.1
    assert after.updated_at == prompt.updated_at  # use is not an edit
    assert after.current_version == 1
    rows = sql(
        "SELECT id, prompt_id, version, event_type, effectiveness, variables FROM usage_events"
    )
    assert rows == [(event.id, prompt.id, 1, "copied", 0.8, None)]


def test_relevance_bump_is_capped_at_one(library: Library, sql: Sql) -> None:
    prompt = library.prompts.create("Popular", "popular")
    sql("UPDATE prompts SET relevance_score = 0.95 WHERE id = ?", [prompt.id])
    library.usage.record(prompt.id)
    assert library.prompts.get(prompt.id).relevance_score == 1.0
    library.usage.record(prompt.id)
    assert library.prompts.get(prompt.id).relevance_score == 1.0
    assert library.prompts.get(prompt.id).usage_count == 2


@pytest.mark.parametrize("kind", USAGE_EVENT_TYPES)
def test_every_event_type_is_recorded(library: Library, kind: str) -> None:
    prompt = library.prompts.create("Any", "any")
    event = library.usage.record(prompt.id, kind)
    assert event.event_type == kind
    assert library.audit.entries(f"prompt:{prompt.id}", limit=1)[0].action == kind


def test_usage_of_a_pinned_version_records_that_version(library: Library, sql: Sql) -> None:
    prompt = library.prompts.create("Pinned", "v1")
    library.prompts.update(prompt.id, {"content": "v2"})
    library.versions.set_label(prompt.id, "production", 1)
    assert library.usage.record("Pinned@production").version == 1
    assert library.usage.record("Pinned").version == 2
    assert library.usage.use("Pinned@1") == "v1"
    assert sql("SELECT version FROM usage_events ORDER BY created_at") == [(1,), (2,), (1,)]


def test_bad_usage_input_records_nothing(library: Library) -> None:
    prompt = library.prompts.create("Any", "any")
    counts = library.db.table_counts()
    with pytest.raises(ValidationError) as caught:
        library.usage.record(prompt.id, "printed")
    assert caught.value.field == "event_type"
    with pytest.raises(ValidationError) as caught:
        library.usage.record(prompt.id, effectiveness=1.5)
    assert caught.value.field == "effectiveness"
    assert library.db.table_counts() == counts


def test_use_renders_and_records_together(library: Library, sql: Sql) -> None:
    prompt = library.prompts.create("Greeting", "Hello {{name}}, welcome to {{ place }}.")
    text = library.usage.use(prompt.id, {"name": "Ada", "place": "Paris", "unused": "x"})
    assert text == "Hello Ada, welcome to Paris."
    after = library.prompts.get(prompt.id)
    assert after.usage_count == 1 and after.last_used_at is not None
    ((kind, variables),) = sql("SELECT event_type, variables FROM usage_events")
    assert kind == "used"
    assert json.loads(variables) == {"name": "Ada", "place": "Paris", "unused": "x"}


def test_use_with_a_missing_variable_records_nothing(library: Library) -> None:
    prompt = library.prompts.create("Greeting", "Hello {{name}} from {{city}}")
    counts = library.db.table_counts()
    with pytest.raises(TemplateError, match="missing template variable: city") as caught:
        library.usage.use(prompt.id, {"name": "Ada"})
    assert caught.value.field == "city"
    assert library.db.table_counts() == counts
    assert library.prompts.get(prompt.id).usage_count == 0


def test_render_records_nothing(library: Library) -> None:
    prompt = library.prompts.create("Greeting", "Hi {{name}}")
    counts = library.db.table_counts()
    assert library.usage.render(prompt.id, {"name": "Bo"}) == "Hi Bo"
    with pytest.raises(TemplateError) as caught:
        library.usage.render(prompt.id, {})
    assert caught.value.field == "name"
    assert library.db.table_counts() == counts


def test_template_variables_in_order_of_first_appearance() -> None:
    content = "{{b}} and {{ a }} then {{b}} {{c.d}} {{e-f}} {{ bad name }} {x} {{1x}}"
    assert templates.variables(content) == ["b", "a", "c.d", "e-f"]
    assert templates.variables("no variables") == []
    assert templates.render("{{b}}/{{ a }}/{{b}}", {"a": "1", "b": "2"}) == "2/1/2"
    with pytest.raises(TemplateError, match="missing template variable: a, c") as caught:
        templates.render("{{a}} {{b}} {{c}}", {"b": "x"})
    assert caught.value.field == "a"


def test_rating(library: Library) -> None:
    prompt = library.prompts.create("Rated", "rate me")
    assert library.usage.rating(prompt.id) == (None, 0)
    first = library.usage.rate(prompt.id, 5, comment="great", helpful=True, met_expectations=True)
    assert (first.rating, first.version, first.comment, first.helpful) == (5, 1, "great", True)
    library.prompts.update(prompt.id, {"content": "rate me again"})
    second = library.usage.rate(prompt.id, 2, suggestion="shorter")
    assert second.version == 2
    assert library.usage.rating(prompt.id) == (3.5, 2)
    assert [f.rating for f in library.usage.feedback(prompt.id)] == [2, 5]  # newest first
    assert library.usage.rate(f"{prompt.id}@1", 4).version == 1


@pytest.mark.parametrize("bad", [0, 6, 9, -1, 3.5, "4", True, None])
def test_ratings_are_whole_numbers_from_one_to_five(library: Library, bad: Any) -> None:
    prompt = library.prompts.create("Rated", "rate me")
    counts = library.db.table_counts()
    with pytest.raises(ValidationError) as caught:
        library.usage.rate(prompt.id, bad)
    assert caught.value.field == "rating"
    assert library.db.table_counts() == counts


def test_stats(library: Library) -> None:
    empty = library.analytics.stats()
    assert (empty.prompts, empty.versions, empty.uses, empty.avg_rating) == (0, 0, 0, None)

    a = library.prompts.create("A", "a", folder="x/y", tags=["t1", "t2"])
    b = library.prompts.create("B", "b", folder="x", tags=["t1"])
    c = library.prompts.create("C", "c")
    library.prompts.update(a.id, {"content": "a2"})
    library.prompts.archive(c.id)
    for _ in range(3):
        library.usage.record(a.id)
    library.usage.record(b.id)
    library.usage.rate(a.id, 5)
    library.usage.rate(b.id, 2)
    stats = library.analytics.stats()
    assert (stats.prompts, stats.archived, stats.versions, stats.folders, stats.tags) == (
        2,
        1,
        4,
        2,
        2,
    )
    assert (stats.uses, stats.ratings, stats.avg_rating) == (4, 2, 3.5)
    assert (stats.generations, stats.tokens_in, stats.cost_usd) == (0, 0, 0.0)
    assert [p["name"] for p in stats.top_prompts] == ["A", "B"]
    assert stats.top_prompts[0] == {"id": a.id, "name": "A", "uses": 3, "rating": 5.0}
    assert stats.top_tags[0] == {"tag": "t1", "prompts": 2, "uses": 4}
    assert stats.to_dict()["prompts"] == 2


def test_query_reads(library: Library) -> None:
    library.prompts.create("A", "a", tags=["x"])
    columns, rows = library.db.query("SELECT name, tags FROM prompts")
    assert columns == ["name", "tags"]
    assert rows == [("A", ["x"])]
    _, many = library.db.query("SELECT * FROM range(100)", limit=7)
    assert len(many) == 7
    assert library.db.query("SELECT count(*) AS n FROM mart.prompt_scorecard") == (["n"], [(1,)])


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM prompts",
        "UPDATE prompts SET name = 'x'",
        "INSERT INTO tags VALUES ('t', NULL, now())",
        "DROP TABLE prompts",
        "CREATE TABLE evil (x INTEGER)",
        "COPY prompts TO '{out}'",
        "COPY (SELECT * FROM prompts) TO '{out}' (FORMAT parquet)",
        "EXPORT DATABASE '{dir}'",
        "ATTACH '{dir}/other.duckdb' AS other",
        "SELECT * FROM read_csv('{out}')",
        "SET enable_external_access = true",
        "SELECT * FROM nope",
        "not sql at all",
    ],
)
def test_query_refuses_writes_and_file_access(
    library: Library, tmp_path: Path, statement: str
) -> None:
    library.prompts.create("A", "a")
    out = tmp_path / "out.csv"
    counts = library.db.table_counts()
    with pytest.raises(QueryError) as caught:
        library.db.query(statement.format(out=out, dir=tmp_path / "export"))
    assert str(caught.value).startswith("sql: ")
    assert "\n" not in str(caught.value)
    assert not out.exists()
    assert not (tmp_path / "export").exists()
    assert library.db.table_counts() == counts


def test_config_defaults(library: Library) -> None:
    config = library.settings.values()
    assert config["relevance_boost_on_use"] == "0.1"
    assert set(config) >= {"max_prompts", "min_relevance_score", "relevance_decay_rate"}
