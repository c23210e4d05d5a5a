"""Measuring and inspecting: stats, sql, audit."""

from __future__ import annotations

import json

import click

from storage import PERIODS, Kpis, ModelLatency
from storage.errors import NotFound
from storage.models import short_id
from tui.cli.common import json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.output import count, emit_json, fields_block, rating, table


@click.command()
@click.option(
    "--period",
    type=click.Choice(list(PERIODS)),
    default="all",
    show_default=True,
    help="The period of the KPIs (uses, tokens, cost, rating), ending today.",
)
@json_option
def stats(period: str, as_json: bool) -> None:
    """Show library-wide figures and the KPIs of a period (from the mart views)."""
    lib = library()
    found = lib.analytics.stats()
    kpis = lib.analytics.kpis(period)
    latency = lib.analytics.latency(period)
    if as_json:
        emit_json(
            {
                **found.to_dict(),
                "period": {**kpis.to_dict(), "tokens": kpis.tokens},
                "latency": [row.to_dict() for row in latency],
            }
        )
        return
    average = f", average {found.avg_rating:.2f}" if found.avg_rating is not None else ""
    click.echo(
        fields_block(
            [
                ("prompts", f"{found.prompts} ({found.archived} archived)"),
                ("versions", str(found.versions)),
                ("folders", str(found.folders)),
                ("tags", str(found.tags)),
                ("uses", str(found.uses)),
                ("ratings", f"{found.ratings}{average}"),
                (
                    "generations",
                    f"{found.generations} (tokens in {found.tokens_in}, out {found.tokens_out}, "
                    f"cost ${found.cost_usd:.2f})",
                ),
            ]
        )
    )
    if found.top_prompts:
        prompts = [
            (short_id(p["id"]), p["name"], p["uses"], rating(p["rating"]))
            for p in found.top_prompts
        ]
        click.echo("\nmost used prompts")
        click.echo(table(("ID", "NAME", "USES", "RATING"), prompts, right=("USES", "RATING")))
    if found.top_tags:
        tags = [(t["tag"], t["prompts"], t["uses"]) for t in found.top_tags]
        click.echo("\nlargest tags")
        click.echo(table(("TAG", "PROMPTS", "USES"), tags, right=("PROMPTS", "USES")))
    click.echo(f"\n{_kpi_block(kpis)}")
    if latency:
        click.echo(f"\nlatency by model, {kpis.period.label} (ms)")
        click.echo(_latency_table(latency))


def _latency_table(rows: list[ModelLatency]) -> str:
    def ms(value: float | None) -> str:
        return "" if value is None else f"{value:,.0f}"

    shown = [
        (
            f"{r.provider}/{r.model}",
            r.timed,
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.first_token_p50_ms),
            ms(r.first_token_p95_ms),
        )
        for r in rows
    ]
    headers = ("MODEL", "TIMED", "P50", "P95", "FIRST P50", "FIRST P95")
    return table(headers, shown, right=headers[1:])


def _kpi_block(kpis: Kpis) -> str:
    window = kpis.period
    span = f"{window.since} .. {window.until}" if window.since else f"up to {window.until}"
    average = f"{kpis.avg_rating:.2f} from {kpis.ratings}" if kpis.avg_rating is not None else ""
    unpriced = f", {kpis.unpriced} generation(s) unpriced" if kpis.unpriced else ""
    return fields_block(
        [
            ("period", f"{window.label} ({span})"),
            ("  prompts", f"{kpis.prompts:,} live, {kpis.new_prompts:,} new"),
            ("  uses", f"{kpis.uses:,}"),
            ("  tokens", f"{kpis.tokens:,} (in {kpis.tokens_in:,}, out {kpis.tokens_out:,})"),
            (
                "  cost",
                f"${kpis.cost_usd:,.2f} ({count(kpis.generations, 'generation')}{unpriced})",
            ),
            ("  rating", average or "no ratings"),
        ]
    )


@click.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1), default=10_000, show_default=True)
@json_option
def sql(query: str, limit: int, as_json: bool) -> None:
    """Run a read-only SQL query.

    Query the tables and the mart.* views; writes and file access are refused."""
    columns, rows = library(shared_connection=False).db.query(query, limit=limit)
    if as_json:
        emit_json([dict(zip(columns, row, strict=True)) for row in rows])
    elif columns:
        click.echo(table(columns, rows))


@click.command()
@click.argument("ref", required=False, shell_complete=prompt_refs)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
def audit(ref: str | None, limit: int, as_json: bool) -> None:
    """Show the audit log, newest first.

    Of one prompt (REF, or prompt:FULL-ID for a deleted one), of an entity such as
    tag:NAME, or of everything."""
    lib = library()
    entity = None
    if ref is not None:
        try:
            entity = f"prompt:{lib.prompts.get(ref).id}"
        except NotFound:
            if ":" not in ref:  # a deleted prompt is still found as prompt:<full id>
                raise
            entity = ref
    found = lib.audit.entries(entity, limit=limit)
    if as_json:
        emit_json([entry.to_dict() for entry in found])
        return
    rows = [
        (e.id, e.ts, e.actor, e.action, _entity(e.entity), _detail(e.after or e.before))
        for e in found
    ]
    headers = ("ID", "TIME", "ACTOR", "ACTION", "ENTITY", "DETAIL")
    click.echo(table(headers, rows, widths={"DETAIL": 60}, right=("ID",)))


def _entity(entity: str) -> str:
    kind, colon, key = entity.partition(":")
    return f"{kind}:{short_id(key)}" if colon and kind == "prompt" else entity


def _detail(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)


COMMANDS = (stats, sql, audit)
