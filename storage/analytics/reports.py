"""Analytics: the figures of a period, read from the mart views and macros over the rollups
(storage/db/rollups.py; the top prompts: top_prompts.py), and their export to Parquet.
Library-wide `stats` come from the same views."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from storage.analytics import scorecards
from storage.analytics.models import (
    ActorActivity,
    AnalyticsReport,
    DayPoint,
    GroupActivity,
    Kpis,
    ModelLatency,
    ModelUsage,
    Period,
    TopPrompt,
)
from storage.analytics.scorecards import EvalHistoryPoint, EvalScore
from storage.analytics.top_prompts import top_prompts
from storage.db.database import Database
from storage.models import Stats
from storage.prompts import references as refs

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

_IN_PERIOD = "($since IS NULL OR day >= $since) AND day <= $until"
_ACTIVITY = f"""
SELECT day, created, edited, used, ratings, rating_sum FROM mart.daily_activity
WHERE {_IN_PERIOD} ORDER BY day
"""
_USAGE = f"""
SELECT day, provider, model, generations, tokens_in, tokens_out, cost_usd, unpriced
FROM mart.usage_by_model WHERE {_IN_PERIOD}
"""

_LATENCY = """
SELECT provider, model, timed, p50_ms, p95_ms, runs, first_token_p50_ms, first_token_p95_ms
FROM mart.latency_by_model(CAST($since AS DATE))
ORDER BY p95_ms DESC, provider, model
"""

_ACTORS = """
SELECT actor, uses, ratings, avg_rating, generations, tokens, cost_usd, runs
FROM mart.actor_activity(CAST($since AS DATE))
ORDER BY uses DESC, generations DESC, ratings DESC, actor
"""

# The per-period breakdowns by tag and by phase (live prompts now; uses and ratings in the
# period), from the group rollups; and the live prompts (every prompt has one phase group).
_GROUPS = """
SELECT dim, key, prompts, uses, ratings, avg_rating
FROM mart.group_activity(CAST($since AS DATE))
"""
_LIVE = "SELECT coalesce(sum(prompts), 0) FROM rollup_group_prompts WHERE dim = 'phase'"


class AnalyticsService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def period(self, name: str = "30d") -> Period:
        """The period `name` (7d, 30d, 90d, all) ending today, by the library's clock."""
        return Period.ending(name, self._db.clock().date())

    def kpis(self, period: str = "all") -> Kpis:
        """The headline figures of the period (what `stats --period` prints)."""
        window = self.period(period)
        with self._db.read() as con:
            return _kpis(window, _live(con), *_series(con, window))

    def latency(self, period: str = "all") -> list[ModelLatency]:
        """Latency p50/p95 per provider and model in the period, slowest first."""
        window = self.period(period)
        with self._db.read() as con:
            return _latency(con, window)

    def actors(self, period: str = "all") -> list[ActorActivity]:
        """Who did what in the period: uses, ratings, generations, runs per actor."""
        window = self.period(period)
        with self._db.read() as con:
            return _actors(con, window)

    def report(self, period: str = "30d") -> AnalyticsReport:
        """Everything the analytics screen shows for the period. Each mart view is read once
        (its rows for the period) and summed here into the KPIs, the series and the bars."""
        window = self.period(period)
        groups: dict[str, list[Any]] = {"tag": [], "phase": []}
        with self._db.read() as con:
            activity, usage = _series(con, window)
            for row in con.execute(_GROUPS, {"since": window.since}).fetchall():
                groups[row[0]].append(row)
            by_use, by_rating = top_prompts(con, window.since)
            distribution = con.execute("SELECT rating, ratings FROM mart.rating_distribution")
            ratings = {int(k): int(v) for k, v in sorted(distribution.fetchall())}
            latency = _latency(con, window)
            actors = _actors(con, window)
            live = _live(con)
        return AnalyticsReport(
            kpis=_kpis(window, live, activity, usage),
            days=_days(window, activity, usage),
            providers=_usage_by(usage, with_model=False),
            models=_usage_by(usage, with_model=True),
            tags=_sorted_groups(groups["tag"]),
            phases=_sorted_groups(groups["phase"]),
            top_by_use=by_use,
            top_by_rating=by_rating,
            rating_distribution=ratings,
            latency=latency,
            actors=actors,
        )

    def export(self, report: AnalyticsReport, folder: Path | None = None) -> Path:
        """Write what a report holds to Parquet, one file per part, into `folder` (default:
        exports/analytics-<period>-<time>/ beside the library). Returns the folder."""
        import pyarrow as pa  # imported on use: `stats` must not pay for it
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        stamp = self._db.clock().strftime("%Y%m%dT%H%M%S")
        target = (
            folder or self._db.path.parent / "exports" / f"analytics-{report.period.name}-{stamp}"
        )
        target.mkdir(parents=True, exist_ok=True)
        kpis = {
            **{k: v for k, v in asdict(report.kpis).items() if k != "period"},
            "period": report.period.name,
            "since": report.period.since,
            "until": report.period.until,
        }
        parts: dict[str, pa.Table] = {
            "kpis": pa.Table.from_pylist([kpis]),
            "days": _table(report.days, DayPoint),
            "providers": _table(report.providers, ModelUsage),
            "models": _table(report.models, ModelUsage),
            "tags": _table(report.tags, GroupActivity),
            "phases": _table(report.phases, GroupActivity),
            "top_by_use": _table(report.top_by_use, TopPrompt),
            "top_by_rating": _table(report.top_by_rating, TopPrompt),
            "latency": _table(report.latency, ModelLatency),
            "actors": _table(report.actors, ActorActivity),
            "rating_distribution": pa.table(
                {
                    "rating": list(report.rating_distribution),
                    "ratings": list(report.rating_distribution.values()),
                }
            ),
        }
        for name, table in parts.items():
            pq.write_table(table, target / f"{name}.parquet")
        return target

    def eval_scorecard(self, ref: str | None = None, limit: int = 50) -> list[EvalScore]:
        """Per prompt version and model: pass rate, mean judge score, cost and latency over
        every eval run (REF: that prompt's), newest evaluated first."""
        with self._db.read() as con:
            prompt_id = refs.resolve(con, ref).prompt.id if ref else None
            return scorecards.scorecard(con, prompt_id, limit)

    def eval_history(self, ref: str | None = None, limit: int = 50) -> list[EvalHistoryPoint]:
        """Per eval run and target, newest first: the scorecard over time."""
        with self._db.read() as con:
            prompt_id = refs.resolve(con, ref).prompt.id if ref else None
            return scorecards.history(con, prompt_id, limit)

    def stats(self) -> Stats:
        """Library-wide figures, read from the mart views."""
        with self._db.read() as con:
            one = con.execute(
                """
                SELECT s.prompts, s.archived, s.versions, s.folders, s.tags,
                  (SELECT coalesce(sum(used), 0) FROM mart.daily_activity),
                  (SELECT sum(ratings) FROM mart.rating_distribution),
                  (SELECT sum(rating * ratings) / nullif(sum(ratings), 0)
                     FROM mart.rating_distribution),
                  (SELECT coalesce(sum(generations), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(tokens_in), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(tokens_out), 0) FROM mart.usage_by_model),
                  (SELECT coalesce(sum(cost_usd), 0) FROM mart.usage_by_model)
                FROM mart.library_summary s
                """
            ).fetchone()
            assert one is not None
            top = con.execute(
                "SELECT id, name, uses, avg_rating FROM mart.prompt_scorecard WHERE NOT archived "
                "ORDER BY uses DESC, name LIMIT 5"
            ).fetchall()
            tags = con.execute(
                "SELECT tag, prompts, uses FROM mart.tag_stats ORDER BY prompts DESC, tag LIMIT 5"
            ).fetchall()
        return Stats(
            prompts=int(one[0]),
            archived=int(one[1]),
            versions=int(one[2]),
            folders=int(one[3]),
            tags=int(one[4]),
            uses=int(one[5]),
            ratings=int(one[6]),
            avg_rating=None if one[7] is None else round(float(one[7]), 3),
            generations=int(one[8]),
            tokens_in=int(one[9]),
            tokens_out=int(one[10]),
            cost_usd=round(float(one[11]), 6),
            top_prompts=[dict(zip(("id", "name", "uses", "rating"), r, strict=True)) for r in top],
            top_tags=[dict(zip(("tag", "prompts", "uses"), r, strict=True)) for r in tags],
        )


def _live(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute(_LIVE).fetchone()
    return int(found[0]) if found else 0


def _series(con: duckdb.DuckDBPyConnection, window: Period) -> tuple[list[Any], list[Any]]:
    """The period's rows of mart.daily_activity and mart.usage_by_model."""
    bounds = {"since": window.since, "until": window.until}
    return con.execute(_ACTIVITY, bounds).fetchall(), con.execute(_USAGE, bounds).fetchall()


def _latency(con: duckdb.DuckDBPyConnection, window: Period) -> list[ModelLatency]:
    rows = con.execute(_LATENCY, {"since": window.since}).fetchall()
    return [ModelLatency(*row) for row in rows]


def _actors(con: duckdb.DuckDBPyConnection, window: Period) -> list[ActorActivity]:
    return [
        ActorActivity(
            actor=str(actor),
            uses=int(uses),
            ratings=int(ratings),
            avg_rating=None if average is None else float(average),
            generations=int(generations),
            tokens=int(tokens),
            cost_usd=float(cost),
            runs=int(runs),
        )
        for actor, uses, ratings, average, generations, tokens, cost, runs in con.execute(
            _ACTORS, {"since": window.since}
        ).fetchall()
    ]


def _kpis(window: Period, prompts: int, activity: list[Any], usage: list[Any]) -> Kpis:
    ratings = sum(row[4] for row in activity)
    return Kpis(
        period=window,
        prompts=prompts,
        new_prompts=sum(row[1] for row in activity),
        uses=sum(row[3] for row in activity),
        generations=sum(row[3] for row in usage),
        tokens_in=sum(row[4] for row in usage),
        tokens_out=sum(row[5] for row in usage),
        cost_usd=math.fsum(row[6] for row in usage),
        unpriced=sum(row[7] for row in usage),
        ratings=ratings,
        avg_rating=sum(row[5] for row in activity) / ratings if ratings else None,
    )


def _days(window: Period, activity: list[Any], usage: list[Any]) -> list[DayPoint]:
    """Every day of the period (for all time: from the first day with anything on it)."""
    seen = [row[0] for row in activity] + [row[0] for row in usage]
    first = window.since or min(seen, default=window.until)
    by_day: dict[date, list[float]] = {}
    for row in usage:
        totals = by_day.setdefault(row[0], [0, 0, 0.0])
        totals[0] += row[3]
        totals[1] += row[4] + row[5]
        totals[2] += row[6]
    done = {row[0]: row for row in activity}
    points = []
    for offset in range((window.until - first).days + 1):
        day = first + timedelta(days=offset)
        act = done.get(day, (day, 0, 0, 0))
        generations, tokens, cost = by_day.get(day, (0, 0, 0.0))
        points.append(
            DayPoint(day, act[1], act[2], act[3], int(generations), int(tokens), float(cost))
        )
    return points


def _usage_by(usage: list[Any], *, with_model: bool) -> list[ModelUsage]:
    """Generations per provider (or per provider and model), most costly first."""
    totals: dict[tuple[str, str | None], list[float]] = {}
    for _day, provider, model, generations, t_in, t_out, cost, unpriced in usage:
        key = (provider, model if with_model else None)
        sums = totals.setdefault(key, [0, 0, 0, 0.0, 0])
        for index, value in enumerate((generations, t_in, t_out, cost, unpriced)):
            sums[index] += value
    found = [
        ModelUsage(p, m, int(s[0]), int(s[1]), int(s[2]), float(s[3]), int(s[4]))
        for (p, m), s in totals.items()
    ]
    return sorted(found, key=lambda u: (-u.cost_usd, -u.generations, u.provider, u.model or ""))


def _sorted_groups(rows: list[Any]) -> list[GroupActivity]:
    found = [GroupActivity(row[1], int(row[2]), int(row[3]), int(row[4]), row[5]) for row in rows]
    return sorted(found, key=lambda g: (-g.uses, -g.prompts, g.key))


def _table(items: list[Any], kind: type) -> pa.Table:
    import pyarrow as pa  # imported on use, as in export

    if items:
        return pa.Table.from_pylist([asdict(item) for item in items])
    return pa.table({f.name: pa.nulls(0) for f in fields(kind)})
