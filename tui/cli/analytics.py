"""Costs and the relevance lifecycle: log-generation, price, lifecycle, purge, config."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from storage.models import short_id
from tui.cli.common import Group, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.output import emit_json, fields_block, table

_AGE = re.compile(r"^\s*(\d{1,6})\s*d\s*$")


class _Date(click.ParamType[date]):
    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-01-31", param, ctx)


class _Time(click.ParamType[datetime]):
    name = "TIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-01-31T14:05 (UTC)", param, ctx)


class _Age(click.ParamType[timedelta]):
    name = "AGE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = _AGE.match(str(value))
        if match is None:
            self.fail(f"{value!r} is not an age in days like 90d", param, ctx)
        return timedelta(days=int(match.group(1)))


# -- generations and prices ----------------------------------------------------------------


@click.command("log-generation")
@click.argument("ref", shell_complete=prompt_refs)
@click.option("--provider", required=True, help="Who served the call: openai, anthropic ...")
@click.option("--model", required=True, help="The model called.")
@click.option("--tokens-in", type=int, required=True, help="Prompt tokens.")
@click.option("--tokens-out", type=int, required=True, help="Completion tokens.")
@click.option("--cost", type=float, help="Cost in USD; without it the price table prices it.")
@click.option("--latency-ms", type=int, help="How long the call took.")
@click.option("--at", type=_Time(), help="When the call was made (UTC; default: now).")
@json_option
def log_generation(
    ref: str,
    provider: str,
    model: str,
    tokens_in: int,
    tokens_out: int,
    cost: float | None,
    latency_ms: int | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """Record an LLM call made with a prompt (REF@N: with that version).

    Also records a use of the prompt (uses, last use, relevance)."""
    found = library().costs.log_generation(
        ref,
        provider=provider,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost,
        latency_ms=latency_ms,
        at=at,
    )
    if as_json:
        emit_json(found.to_dict())
        return
    priced = f"${found.cost_usd:.6f}" if found.cost_usd is not None else "cost from the price table"
    click.echo(
        f"{short_id(found.prompt_id)}: generation {short_id(found.id)} logged "
        f"({found.provider}/{found.model}, {found.tokens_in}+{found.tokens_out} tokens, {priced})"
    )


@click.group(cls=Group)
def price() -> None:
    """Set, list and remove model prices (USD per million tokens, from a date on)."""


@price.command("set")
@click.argument("provider")
@click.argument("model")
@click.option("--input", "price_in", type=float, required=True, help="USD per 1M input tokens.")
@click.option("--output", "price_out", type=float, required=True, help="USD per 1M output tokens.")
@click.option("--from", "since", type=_Date(), help="First day the price applies (default today).")
@click.option("--currency", default="USD", show_default=True, help="Only USD is kept.")
def price_set(
    provider: str, model: str, price_in: float, price_out: float, since: date | None, currency: str
) -> None:
    """Set what MODEL of PROVIDER costs from a day on.

    Generations logged without a cost are priced with the price in force on their day."""
    found = library().costs.set_price(
        provider, model, price_in, price_out, effective_from=since, currency=currency
    )
    click.echo(
        f"price {found.provider}/{found.model} from {found.effective_from}: "
        f"${found.input_per_mtok:g} in, ${found.output_per_mtok:g} out per 1M tokens"
    )


@price.command("list")
@click.option("--provider", help="Only this provider.")
@click.option("--model", help="Only this model.")
@json_option
def price_list(provider: str | None, model: str | None, as_json: bool) -> None:
    """List prices by provider, model and day."""
    found = library().costs.prices(provider, model)
    if as_json:
        emit_json([p.to_dict() for p in found])
    elif not found:
        click.echo("(no prices)")
    else:
        rows = [
            (p.provider, p.model, p.effective_from, p.input_per_mtok, p.output_per_mtok)
            for p in found
        ]
        headers = ("PROVIDER", "MODEL", "FROM", "INPUT/1M", "OUTPUT/1M")
        click.echo(table(headers, rows, right=("INPUT/1M", "OUTPUT/1M")))


@price.command("rm")
@click.argument("provider")
@click.argument("model")
@click.option("--from", "since", type=_Date(), required=True, help="The day the price starts.")
def price_rm(provider: str, model: str, since: date) -> None:
    """Remove the price of MODEL of PROVIDER that starts on a day."""
    found = library().costs.remove_price(provider, model, since)
    click.echo(f"price {found.provider}/{found.model} from {found.effective_from}: removed")


# -- lifecycle -----------------------------------------------------------------------------


@click.group(cls=Group)
def lifecycle() -> None:
    """The relevance engine: decay unused prompts, archive the least relevant."""


@lifecycle.command("decay")
@json_option
def lifecycle_decay(as_json: bool) -> None:
    """Decay the relevance of prompts unused since the last run.

    Multiplies by relevance_decay_rate once per day elapsed; running twice a day is harmless."""
    run = library().lifecycle.decay()
    if as_json:
        emit_json({**run.to_dict(), "already_ran": run.already_ran})
    elif run.already_ran:
        click.echo(f"decay already ran on {run.run_on}; nothing to do")
    else:
        click.echo(
            f"decayed {run.prompts} unused prompt(s) by {run.rate:g}^{run.days} ({run.days} day(s))"
        )


@lifecycle.command("cleanup")
@click.option("--dry-run", is_flag=True, help="Only list what would be archived.")
@json_option
def lifecycle_cleanup(dry_run: bool, as_json: bool) -> None:
    """Archive the least relevant long-unused prompts beyond max_prompts.

    Candidates are below min_relevance_score and unused for max_unused_days. Nothing is
    deleted: `unarchive` brings a prompt back."""
    run = library().lifecycle.cleanup(dry_run=dry_run)
    if as_json:
        emit_json(run.to_dict())
        return
    verb = "would archive" if dry_run else "archived"
    click.echo(
        f"{run.live} live prompts, max_prompts {run.max_prompts}: {verb} {len(run.candidates)}"
    )
    if run.candidates:
        rows = [
            (short_id(c.id), c.name, f"{c.relevance_score:.3f}", c.last_active)
            for c in run.candidates
        ]
        click.echo(table(("ID", "NAME", "RELEVANCE", "LAST ACTIVE"), rows, right=("RELEVANCE",)))


@click.command()
@click.option(
    "--older-than", type=_Age(), required=True, help="Archived longer ago than this (e.g. 90d)."
)
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Export folder (default: purged/<library>-<time> beside the library).",
)
@json_option
def purge(older_than: timedelta, folder: Path | None, as_json: bool) -> None:
    """Delete prompts archived longer ago than --older-than, for good.

    Every row of them (versions, usage, feedback, generations, links ...) is first exported to
    Parquet and read back; nothing is deleted unless the export matches."""
    run = library().lifecycle.purge(older_than, folder)
    if as_json:
        emit_json(run.to_dict())
    elif run.folder is None:
        click.echo(f"no prompt archived more than {older_than.days} day(s) ago; nothing purged")
    else:
        rows = ", ".join(f"{table} {count}" for table, count in run.rows.items() if count)
        click.echo(f"exported to {run.folder} ({rows})")
        click.echo(f"purged {len(run.prompts)} archived prompt(s)")


# -- config --------------------------------------------------------------------------------


@click.group(cls=Group)
def config() -> None:
    """Show and change the lifecycle settings."""


@config.command("get")
@click.argument("key", required=False)
@json_option
def config_get(key: str | None, as_json: bool) -> None:
    """Show one setting, or all of them with their descriptions."""
    lib = library()
    found = [lib.settings.get(key)] if key else lib.settings.all()
    if as_json:
        emit_json(found[0].to_dict() if key else [s.to_dict() for s in found])
    elif key:
        click.echo(found[0].value)
    else:
        rows = [(s.key, s.value, s.description) for s in found]
        click.echo(table(("KEY", "VALUE", "DESCRIPTION"), rows, widths={"DESCRIPTION": 70}))


@config.command("set", context_settings={"ignore_unknown_options": True})  # a value may be -3
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Change a setting (checked against its type and range)."""
    found = library().settings.set(key, value)
    click.echo(fields_block([(found.key, found.value)]))


COMMANDS: list[click.Command] = [log_generation, price, lifecycle, purge, config]
