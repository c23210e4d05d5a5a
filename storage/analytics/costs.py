"""Generations (LLM calls made with a prompt) and the price table that turns tokens into cost.

A generation logged without a cost is priced in the mart views (mart.generation_costs), with
the price in force on its day: a price set or corrected later applies to it, and a price change
mid-period prices each generation by its own day."""

from __future__ import annotations

import math
from dataclasses import astuple
from datetime import UTC, date, datetime
from typing import Any

from storage.analytics.models import Generation, Price
from storage.db import rollups
from storage.db.database import Database
from storage.errors import NotFound, ValidationError
from storage.models import UsageEvent
from storage.prompts import references as refs
from storage.prompts.uses import insert_use

MAX_TOKENS = 1_000_000_000
_PRICE_COLUMNS = (
    "provider, model, effective_from, input_per_mtok, output_per_mtok, currency, updated_at"
)


def _name(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "must not be empty")
    text = value.strip()
    if len(text) > 200 or "\n" in text:
        raise ValidationError(field, text[:40], "must be one line of at most 200 characters")
    return text


def _utc(field: str, value: Any) -> datetime:
    """A time as the naive UTC the library keeps (one with an offset is that instant)."""
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "must be a time")
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _count(field: str, value: Any, *, high: int = MAX_TOKENS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValidationError(field, value, f"must be a whole number from 0 to {high}")
    return value


def _amount(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, value, "must be a number of at least 0")
    number = float(value)
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise ValidationError(field, value, "must be a number of at least 0")
    return number


class CostService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- prices ----------------------------------------------------------------------------

    def set_price(
        self,
        provider: str,
        model: str,
        input_per_mtok: float,
        output_per_mtok: float,
        *,
        effective_from: date | None = None,
        currency: str = "USD",
    ) -> Price:
        """Set what a model costs per million tokens from a day on (default: today); setting
        the same provider, model and day again replaces that price."""
        provider, model = _name("provider", provider), _name("model", model)
        price_in = _amount("input_per_mtok", input_per_mtok)
        price_out = _amount("output_per_mtok", output_per_mtok)
        if currency != "USD":
            raise ValidationError("currency", currency, "must be USD (costs are kept in USD)")
        if effective_from is not None and not isinstance(effective_from, date):
            raise ValidationError("effective_from", effective_from, "must be a date")
        now = self._db.clock()
        day = effective_from or now.date()
        price = Price(provider, model, day, price_in, price_out, currency, now)
        for tx in self._db.write_attempts("set price"):
            with tx as con:
                before = self._price(con, provider, model, day)
                con.execute(  # delete and insert: a team library has no key to replace by
                    "DELETE FROM prices WHERE provider = ? AND model = ? AND effective_from = ?",
                    [provider, model, day],
                )
                con.execute(
                    f"INSERT INTO prices ({_PRICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [provider, model, day, price_in, price_out, currency, now],
                )
                self._db.audit(
                    con,
                    "price_set",
                    f"price:{provider}/{model}@{day.isoformat()}",
                    before=before.to_dict() if before else None,
                    after=price.to_dict(),
                )
        return price

    def prices(self, provider: str | None = None, model: str | None = None) -> list[Price]:
        """Prices by provider, model and day (each filter narrows)."""
        with self._db.read() as con:
            found = con.execute(
                f"SELECT {_PRICE_COLUMNS} FROM prices "
                "WHERE (? IS NULL OR provider = ?) AND (? IS NULL OR model = ?) "
                "ORDER BY provider, model, effective_from",
                [provider, provider, model, model],
            ).fetchall()
        return [Price(*row) for row in found]

    def remove_price(self, provider: str, model: str, effective_from: date) -> Price:
        for tx in self._db.write_attempts("remove price"):
            with tx as con:
                found = self._price(con, provider, model, effective_from)
                if found is None:
                    raise NotFound(
                        f"no price for {provider}/{model} from {effective_from.isoformat()}"
                    )
                price = found
                con.execute(
                    "DELETE FROM prices WHERE provider = ? AND model = ? AND effective_from = ?",
                    [provider, model, effective_from],
                )
                self._db.audit(
                    con,
                    "price_rm",
                    f"price:{provider}/{model}@{effective_from.isoformat()}",
                    before=price.to_dict(),
                )
        return price

    def _price(self, con: Any, provider: str, model: str, day: date) -> Price | None:
        row = con.execute(
            f"SELECT {_PRICE_COLUMNS} FROM prices "
            "WHERE provider = ? AND model = ? AND effective_from = ?",
            [provider, model, day],
        ).fetchone()
        return Price(*row) if row else None

    # -- generations -----------------------------------------------------------------------

    def log_generation(
        self,
        ref: str,
        *,
        provider: str,
        model: str,
        tokens_in: int,
        tokens_out: int,
        cost_usd: float | None = None,
        latency_ms: int | None = None,
        at: datetime | None = None,
    ) -> Generation:
        """Record an LLM call made with a prompt (REF@N: that version) and its use, in one
        transaction: a `used_in_generation` event, the prompt's uses, last use and relevance.
        Without a cost, the mart views price it from the price table."""
        provider, model = _name("provider", provider), _name("model", model)
        tokens_in, tokens_out = _count("tokens_in", tokens_in), _count("tokens_out", tokens_out)
        cost = None if cost_usd is None else _amount("cost_usd", cost_usd)
        latency = None if latency_ms is None else _count("latency_ms", latency_ms, high=86_400_000)
        now = self._db.clock()
        when = now if at is None else _utc("at", at)
        if when > now:
            raise ValidationError("at", at, "must be a time no later than now")
        for tx in self._db.write_attempts("log generation"):
            with tx as con:
                resolved = refs.resolve(con, ref)
                prompt = resolved.prompt
                version = resolved.number
                generation = Generation(
                    self._db.new_id(),
                    prompt.id,
                    version,
                    provider,
                    model,
                    tokens_in,
                    tokens_out,
                    cost,
                    latency,
                    when,
                )
                con.execute(
                    "INSERT INTO generations (id, prompt_id, version, provider, model, tokens_in, "
                    "tokens_out, cost_usd, latency_ms, created_at, actor) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*astuple(generation), self._db.actor],  # the fields in the columns' order
                )
                rollups.add(con, "generations", "id = ?", [generation.id])
                event_id = self._db.new_id()
                use = UsageEvent(event_id, prompt.id, version, "used_in_generation", None, when)
                insert_use(con, use, None, self._db.actor)
                self._db.audit(
                    con,
                    "generation",
                    f"prompt:{prompt.id}",
                    after={**generation.to_dict(), "event": event_id},
                )
        return generation
