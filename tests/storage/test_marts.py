"""Every mart view, on a generated 90-day history, against figures computed here in Python from
the rows that were written (tests/analytics_history.py), not from the database."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from storage import Library
from tests.analytics_history import END, PRICE_CHANGE, PRICES, history, write_history

H = history()
LIVE = [p for p in H.prompts if p["archived_at"] is None]


@pytest.fixture
def lib(library_from: Callable[..., Library]) -> Library:
    return library_from(write_history)


def rows(library: Library, sql: str) -> list[dict[str, Any]]:
    columns, found = library.db.query(sql, limit=10**6)
    return [dict(zip(columns, row, strict=True)) for row in found]


def day(value: datetime) -> date:
    return value.date()


def price_cost(generation: dict[str, Any]) -> tuple[float | None, str | None]:
    """The cost as the issue defines it: the source's, else the price in force on its day."""
    if generation["cost_usd"] is not None:
        return generation["cost_usd"], "source"
    key = (generation["provider"], generation["model"])
    prices = sorted((p[2], p[3], p[4]) for p in PRICES if (p[0], p[1]) == key)
    position = bisect.bisect_right([p[0] for p in prices], day(generation["created_at"])) - 1
    if position < 0:
        return None, None
    _, price_in, price_out = prices[position]
    return (
        generation["tokens_in"] * price_in + generation["tokens_out"] * price_out
    ) / 1e6, "price"


def ratings_of(prompt_ids: set[str], since: date | None = None) -> list[int]:
    return [
        f["rating"]
        for f in H.feedback
        if f["prompt_id"] in prompt_ids and (since is None or day(f["created_at"]) >= since)
    ]


def test_the_history_is_rich_enough() -> None:
    assert len({day(e["created_at"]) for e in H.usage}) >= 60
    assert len({(g["provider"], g["model"]) for g in H.generations}) == 4
    sources = Counter(price_cost(g)[1] for g in H.generations)
    assert sources["source"] and sources["price"] and sources[None]
    changed = [g for g in H.generations if g["model"] == "gpt-4o" and g["cost_usd"] is None]
    assert {day(g["created_at"]) >= PRICE_CHANGE for g in changed} == {True, False}


def test_daily_activity(lib: Library) -> None:
    expected: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for p in H.prompts:
        expected[day(p["created_at"])][0] += 1
    for v in H.versions:
        if v["version"] > 1:
            expected[day(v["created_at"])][1] += 1
    for e in H.usage:
        expected[day(e["created_at"])][2] += 1
    for f in H.feedback:
        expected[day(f["created_at"])][3] += 1
        expected[day(f["created_at"])][4] += f["rating"]
    found = {
        r["day"]: [r["created"], r["edited"], r["used"], r["ratings"], r["rating_sum"]]
        for r in rows(lib, "SELECT * FROM mart.daily_activity")
    }
    assert found == dict(expected)


def test_generation_costs_use_the_price_in_force_on_the_day(lib: Library) -> None:
    found = {r["id"]: r for r in rows(lib, "SELECT * FROM mart.generation_costs")}
    assert len(found) == len(H.generations)
    for g in H.generations:
        cost, source = price_cost(g)
        assert found[g["id"]]["cost_from"] == source
        assert found[g["id"]]["cost_usd"] == pytest.approx(cost)
    # the gpt-4o price doubled on PRICE_CHANGE: the same tokens cost twice as much after it
    before = next(
        g for g in H.generations
        if g["model"] == "gpt-4o" and g["cost_usd"] is None and day(g["created_at"]) < PRICE_CHANGE
    )  # fmt: skip
    tokens_cost = (before["tokens_in"] * 2.5 + before["tokens_out"] * 10.0) / 1e6
    assert found[before["id"]]["cost_usd"] == pytest.approx(tokens_cost)
    assert found[before["id"]]["price_from"] == date(2025, 10, 1)


def test_usage_by_model(lib: Library) -> None:
    expected: dict[tuple[date, str, str], dict[str, Any]] = {}
    for g in H.generations:
        key = (day(g["created_at"]), g["provider"], g["model"])
        item = expected.setdefault(
            key, {"n": 0, "in": 0, "out": 0, "cost": 0.0, "unpriced": 0, "latency": []}
        )
        cost, _ = price_cost(g)
        item["n"] += 1
        item["in"] += g["tokens_in"]
        item["out"] += g["tokens_out"]
        item["cost"] += cost or 0.0
        item["unpriced"] += cost is None
        item["latency"].append(g["latency_ms"])
    found = rows(lib, "SELECT * FROM mart.usage_by_model")
    assert len(found) == len(expected)
    for r in found:
        item = expected[(r["day"], r["provider"], r["model"])]
        assert (r["generations"], r["tokens_in"], r["tokens_out"], r["unpriced"]) == (
            item["n"],
            item["in"],
            item["out"],
            item["unpriced"],
        )
        assert r["cost_usd"] == pytest.approx(item["cost"])
        assert r["avg_latency_ms"] == pytest.approx(sum(item["latency"]) / len(item["latency"]))


def test_tag_stats(lib: Library) -> None:
    found = {r["tag"]: r for r in rows(lib, "SELECT * FROM mart.tag_stats")}
    tags = {t for p in LIVE for t in p["tags"]}
    assert set(found) == tags
    for tag in tags:
        carrying = [p for p in LIVE if tag in p["tags"]]
        stars = ratings_of({p["id"] for p in carrying})
        r = found[tag]
        assert (r["prompts"], r["uses"], r["ratings"]) == (
            len(carrying),
            sum(p["usage_count"] for p in carrying),
            len(stars),
        )
        assert r["avg_rating"] == pytest.approx(sum(stars) / len(stars))


def test_phase_stats(lib: Library) -> None:
    found = {r["phase"]: r for r in rows(lib, "SELECT * FROM mart.phase_stats")}
    for phase in {p["phase"] for p in LIVE}:
        members = [p for p in LIVE if p["phase"] == phase]
        stars = ratings_of({p["id"] for p in members})
        r = found[phase or ""]
        assert (r["prompts"], r["uses"], r["ratings"]) == (
            len(members),
            sum(p["usage_count"] for p in members),
            len(stars),
        )
        assert r["avg_rating"] == pytest.approx(sum(stars) / len(stars) if stars else None)
    assert len(found) == len({p["phase"] for p in LIVE})


def test_prompt_scorecard(lib: Library) -> None:
    found = {r["id"]: r for r in rows(lib, "SELECT * FROM mart.prompt_scorecard")}
    assert len(found) == len(H.prompts)
    for p in H.prompts:
        r = found[p["id"]]
        stars = ratings_of({p["id"]})
        versions = sum(1 for v in H.versions if v["prompt_id"] == p["id"])
        children = sum(1 for c in H.prompts if c["parent_id"] == p["id"])
        assert (r["versions"], r["uses"], r["last_used_at"], r["ratings"], r["children"]) == (
            versions,
            sum(1 for e in H.usage if e["prompt_id"] == p["id"]),
            max((e["created_at"] for e in H.usage if e["prompt_id"] == p["id"]), default=None),
            len(stars),
            children,
        )
        assert r["avg_rating"] == pytest.approx(sum(stars) / len(stars) if stars else None)
        assert (r["relevance_score"], r["archived"]) == (
            p["relevance_score"],
            p["archived_at"] is not None,
        )
    assert found[H.prompts[3]["id"]]["children"] == 2


def test_top_prompts_by_use_and_by_rating(lib: Library) -> None:
    by_use = sorted(
        (p for p in LIVE if p["usage_count"]), key=lambda p: (-p["usage_count"], p["name"])
    )
    found = rows(lib, "SELECT rank, name, uses FROM mart.top_prompts_by_use ORDER BY rank")
    assert [(r["name"], r["uses"]) for r in found] == [
        (p["name"], p["usage_count"]) for p in by_use
    ]
    assert [r["rank"] for r in found] == list(range(1, len(by_use) + 1))

    def score(p: dict[str, Any]) -> tuple[float, int, str]:
        stars = ratings_of({p["id"]})
        return (-sum(stars) / len(stars), -len(stars), p["name"])

    by_rating = sorted((p for p in LIVE if ratings_of({p["id"]})), key=score)
    found = rows(lib, "SELECT name FROM mart.top_prompts_by_rating ORDER BY rank")
    assert [r["name"] for r in found] == [p["name"] for p in by_rating]


def test_rating_distribution(lib: Library) -> None:
    expected = Counter(f["rating"] for f in H.feedback)
    found = rows(lib, "SELECT rating, ratings FROM mart.rating_distribution ORDER BY rating")
    assert found == [{"rating": n, "ratings": expected[n]} for n in range(1, 6)]


def test_library_summary(lib: Library) -> None:
    (found,) = rows(lib, "SELECT * FROM mart.library_summary")
    assert found == {
        "prompts": len(LIVE),
        "archived": len(H.prompts) - len(LIVE),
        "versions": len(H.versions),
        "folders": 0,
        "tags": len({t for p in LIVE for t in p["tags"]}),
    }


@pytest.mark.parametrize("days", [7, 30, None])
def test_prompt_activity_of_a_period(lib: Library, days: int | None) -> None:
    since = None if days is None else END.date() - timedelta(days=days - 1)
    literal = "NULL" if since is None else f"DATE '{since}'"
    found = {r["id"]: r for r in rows(lib, f"SELECT * FROM mart.prompt_activity({literal})")}
    assert len(found) == len(H.prompts)
    for p in H.prompts:
        uses = [
            e for e in H.usage
            if e["prompt_id"] == p["id"] and (since is None or day(e["created_at"]) >= since)
        ]  # fmt: skip
        stars = ratings_of({p["id"]}, since)
        r = found[p["id"]]
        assert (r["uses"], r["ratings"], r["rating_sum"]) == (len(uses), len(stars), sum(stars))
        assert r["avg_rating"] == pytest.approx(sum(stars) / len(stars) if stars else None)


def test_views_reflect_a_change_at_once(lib: Library) -> None:
    """Views, not snapshots: a new rating shows in every view that counts ratings."""
    target = LIVE[0]
    before = rows(lib, "SELECT sum(ratings) AS n FROM mart.rating_distribution")[0]["n"]
    lib.usage.rate(target["id"], 5)
    assert rows(lib, "SELECT sum(ratings) AS n FROM mart.rating_distribution")[0]["n"] == before + 1
    (card,) = rows(lib, f"SELECT ratings FROM mart.prompt_scorecard WHERE id = '{target['id']}'")
    assert card["ratings"] == len(ratings_of({target["id"]})) + 1
