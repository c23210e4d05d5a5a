"""Library.analytics / kpis / export_analytics on the generated 90-day history: every figure of
a period against Python sums over the rows that were written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.analytics.models import Period
from storage.errors import ValidationError
from tests.analytics_history import END, history, write_history
from tests.storage.test_marts import price_cost, ratings_of

H = history()
TODAY = END.date()


@pytest.fixture
def lib(library_from: Callable[..., Library]) -> Library:
    return library_from(write_history)


def since_of(days: int | None) -> date | None:
    return None if days is None else TODAY - timedelta(days=days - 1)


def within(rows: list[dict[str, Any]], since: date | None) -> list[dict[str, Any]]:
    return [r for r in rows if since is None or r["created_at"].date() >= since]


@pytest.mark.parametrize(("name", "days"), [("7d", 7), ("30d", 30), ("90d", 90), ("all", None)])
def test_kpis_of_each_period(lib: Library, name: str, days: int | None) -> None:
    since = since_of(days)
    kpis = lib.analytics.kpis(name)
    assert kpis.period == Period(name, since, TODAY)
    generations = within(H.generations, since)
    stars = [f["rating"] for f in within(H.feedback, since)]
    costs = [price_cost(g)[0] for g in generations]
    assert (kpis.prompts, kpis.new_prompts, kpis.uses) == (
        sum(p["archived_at"] is None for p in H.prompts),
        len(within(H.prompts, since)),
        len(within(H.usage, since)),
    )
    assert (kpis.generations, kpis.tokens_in, kpis.tokens_out, kpis.unpriced) == (
        len(generations),
        sum(g["tokens_in"] for g in generations),
        sum(g["tokens_out"] for g in generations),
        sum(c is None for c in costs),
    )
    assert kpis.cost_usd == pytest.approx(sum(c for c in costs if c is not None))
    assert kpis.ratings == len(stars)
    assert kpis.avg_rating == pytest.approx(sum(stars) / len(stars))
    assert kpis.uses > 0 and (days not in (7, 30) or kpis.uses < len(H.usage))


def test_the_report_of_30_days(lib: Library) -> None:
    since = since_of(30)
    assert since is not None
    report = lib.analytics.report("30d")
    assert report.kpis == lib.analytics.kpis("30d")

    assert [p.day for p in report.days] == [since + timedelta(days=n) for n in range(30)]
    for point in report.days:
        on_day = [g for g in H.generations if g["created_at"].date() == point.day]
        assert point.used == sum(e["created_at"].date() == point.day for e in H.usage)
        assert point.edited == sum(
            v["created_at"].date() == point.day and v["version"] > 1 for v in H.versions
        )
        assert point.generations == len(on_day)
        assert point.tokens == sum(g["tokens_in"] + g["tokens_out"] for g in on_day)
        assert point.cost_usd == pytest.approx(sum(price_cost(g)[0] or 0 for g in on_day))

    generations = within(H.generations, since)
    expected_models = {
        (g["provider"], g["model"]): sum(
            price_cost(x)[0] or 0 for x in generations if x["model"] == g["model"]
        )
        for g in generations
    }
    assert {(u.provider, u.model) for u in report.models} == set(expected_models)
    for usage in report.models:
        assert usage.cost_usd == pytest.approx(expected_models[(usage.provider, usage.model)])
    assert [u.cost_usd for u in report.models] == sorted(
        (u.cost_usd for u in report.models), reverse=True
    )
    providers = {u.provider: u for u in report.providers}
    assert providers["openai"].generations == sum(g["provider"] == "openai" for g in generations)
    assert providers["ollama"].unpriced == sum(
        g["provider"] == "ollama" and g["cost_usd"] is None for g in generations
    )


@pytest.mark.parametrize("days", [7, 30, None])
def test_tag_and_phase_breakdowns_of_a_period(lib: Library, days: int | None) -> None:
    since = since_of(days)
    report = lib.analytics.report({7: "7d", 30: "30d", None: "all"}[days])
    events = within(H.usage, since)
    for group in report.tags:
        carrying = [p for p in H.prompts if group.key in p["tags"]]
        ids = {p["id"] for p in carrying}
        stars = ratings_of(ids, since)
        assert group.prompts == sum(p["archived_at"] is None for p in carrying)
        assert group.uses == sum(e["prompt_id"] in ids for e in events)
        assert group.ratings == len(stars)
        assert group.avg_rating == pytest.approx(sum(stars) / len(stars) if stars else None)
    assert {g.key for g in report.tags} == {t for p in H.prompts for t in p["tags"]}
    for group in report.phases:
        ids = {p["id"] for p in H.prompts if (p["phase"] or "") == group.key}
        assert group.uses == sum(e["prompt_id"] in ids for e in events)
    assert sum(g.uses for g in report.phases) == len(events)
    assert [g.uses for g in report.tags] == sorted((g.uses for g in report.tags), reverse=True)


@pytest.mark.parametrize("days", [7, None])
def test_top_prompts_of_a_period(lib: Library, days: int | None) -> None:
    since = since_of(days)
    report = lib.analytics.report("7d" if days else "all")
    live = [p for p in H.prompts if p["archived_at"] is None]
    events = within(H.usage, since)
    uses = {p["id"]: sum(e["prompt_id"] == p["id"] for e in events) for p in live}
    expected = sorted((p for p in live if uses[p["id"]]), key=lambda p: (-uses[p["id"]], p["name"]))
    assert [(t.name, t.uses) for t in report.top_by_use] == [
        (p["name"], uses[p["id"]]) for p in expected[:10]
    ]
    stars = {p["id"]: ratings_of({p["id"]}, since) for p in live}
    rated = sorted(
        (p for p in live if stars[p["id"]]),
        key=lambda p: (-sum(stars[p["id"]]) / len(stars[p["id"]]), -len(stars[p["id"]]), p["id"]),
    )
    assert [t.name for t in report.top_by_rating] == [p["name"] for p in rated[:10]]


def test_all_time_days_start_at_the_first_activity(lib: Library) -> None:
    report = lib.analytics.report("all")
    first = min(r["created_at"].date() for r in [*H.prompts, *H.usage, *H.generations])
    assert report.days[0].day == first and report.days[-1].day == TODAY
    assert sum(p.used for p in report.days) == len(H.usage)


def test_a_library_without_history(library: Library) -> None:
    report = library.analytics.report("7d")
    assert (report.kpis.prompts, report.kpis.uses, report.kpis.avg_rating) == (0, 0, None)
    assert len(report.days) == 7 and all(p.used == 0 for p in report.days)
    assert report.top_by_use == [] and report.tags == [] and report.models == []
    assert report.rating_distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert len(library.analytics.report("all").days) == 1


def test_an_unknown_period_is_refused(library: Library) -> None:
    with pytest.raises(ValidationError, match=r"^period: must be one of 7d, 30d, 90d, all"):
        library.analytics.report("2w")


def test_export_writes_what_the_report_holds(lib: Library, tmp_path: Path) -> None:
    report = lib.analytics.report("30d")
    folder = lib.analytics.export(report, tmp_path / "out")
    assert folder == tmp_path / "out"
    kpis = pq.read_table(folder / "kpis.parquet").to_pylist()
    assert kpis[0]["uses"] == report.kpis.uses and kpis[0]["period"] == "30d"
    assert kpis[0]["cost_usd"] == pytest.approx(report.kpis.cost_usd)
    days = pq.read_table(folder / "days.parquet")
    assert days.column("used").to_pylist() == [p.used for p in report.days]
    top = pq.read_table(folder / "top_by_use.parquet").to_pylist()
    assert [(t["id"], t["uses"]) for t in top] == [(t.id, t.uses) for t in report.top_by_use]
    tags = pq.read_table(folder / "tags.parquet").to_pylist()
    assert [t["key"] for t in tags] == [t.key for t in report.tags]
    models = pq.read_table(folder / "models.parquet").to_pylist()
    assert [m["model"] for m in models] == [m.model for m in report.models]


def test_export_of_an_empty_report_and_the_default_folder(library: Library) -> None:
    folder = library.analytics.export(library.analytics.report("7d"))
    assert folder.parent == library.db.path.parent / "exports"
    assert folder.name.startswith("analytics-7d-2026")
    assert pq.read_table(folder / "top_by_use.parquet").num_rows == 0
    assert "name" in pq.read_table(folder / "top_by_use.parquet").column_names
