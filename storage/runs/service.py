"""RunService: prompts sent to chat models. `prepare` renders what will be sent (reads only),
`record` writes how it went in one transaction; `list_runs` and `get` read them back. Sending is
the runner's (storage/runs/runner.py): no network call happens here."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

import duckdb

from storage.db import rollups
from storage.db.database import Database
from storage.errors import AmbiguousReference, NotFound, PromptdeckError, ValidationError
from storage.models import UsageEvent
from storage.prompts import references as refs
from storage.prompts import roles
from storage.prompts.uses import insert_use
from storage.prompts.validation import clean_choice, clean_max_tokens, clean_temperature
from storage.runs.models import RUN_KINDS, RUN_STATUSES, PreparedRun, Run, RunOutcome

_COLUMNS = (
    "id, prompt_id, version, provider, model, answered_by, messages, variables, parameters, "
    "output, finish_reason, status, error, tokens_in, tokens_out, tokens_estimated, cost_usd, "
    "first_token_ms, latency_ms, created_at, kind"
)
_SELECT = (
    "SELECT " + ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(",")) + ", "
    "coalesce(p.name, '') FROM runs r LEFT JOIN prompts p ON p.id = r.prompt_id"
)
_ID_PART = re.compile(r"^[0-9a-f-]{6,36}$")
_MAX_COUNT = 1_000_000_000
_MAX_MS = 86_400_000


class RunService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def prepare(
        self,
        ref: str,
        values: Mapping[str, str] | None = None,
        *,
        provider: str,
        default_model: str,
        model: str | None = None,
        temperature: float | str | None = None,
        max_tokens: int | str | None = None,
        stream: bool = True,
    ) -> PreparedRun:
        """The run of REF (REF@label, REF@N: that version) with `values` filled in, for
        `provider`: its messages (a chat prompt's roles, else one user message) and parameters.
        Explicit `model`, `temperature` and `max_tokens` win; then the prompt's own (its model
        only when it names no provider or this one); then the provider's: `default_model`.
        A missing variable is a TemplateError naming each one; nothing is written."""
        given = _values(values)
        with self._db.read() as con:
            resolved = refs.resolve(con, ref)
        prompt = resolved.prompt
        own = resolved.version.metadata if resolved.version else prompt.editable()
        own_provider = own.get("provider") or None
        own_model = own.get("model") if own_provider in (None, provider) else None
        return PreparedRun(
            prompt_id=prompt.id,
            prompt_name=prompt.name,
            version=resolved.number,
            provider=_name("provider", provider),
            model=_name("model", model or own_model or default_model),
            messages=roles.messages(resolved.content, given),
            variables=given,
            temperature=clean_temperature(
                own.get("temperature") if temperature is None else temperature
            ),
            max_tokens=clean_max_tokens(
                own.get("max_tokens") if max_tokens is None else max_tokens
            ),
            stream=bool(stream),
        )

    def check_recordable(self) -> None:
        """Refuse, before anything is sent, a run that could not be recorded: on a library
        opened read-only."""
        if self._db.read_only:
            path = str(self._db.path)
            raise PromptdeckError(
                f"{path}: library is open read-only; a run is recorded", file=path
            )

    def release(self) -> None:
        """Let other processes have the library file while a model answers (it reopens when
        the run is recorded)."""
        self._db.release()

    def record(self, prepared: PreparedRun, outcome: RunOutcome) -> Run:
        """Write the run in one transaction: its runs row (cost by the price in force today),
        and when it produced an answer (ok, or cancelled after text arrived) a generations row
        with the same id and a `used_in_generation` use of the prompt; and the audit entry.
        A failed run changes nothing else."""
        status = clean_choice("status", outcome.status, RUN_STATUSES)
        tokens_in = _count("tokens_in", outcome.tokens_in, _MAX_COUNT)
        tokens_out = _count("tokens_out", outcome.tokens_out, _MAX_COUNT)
        latency = _optional_count("latency_ms", outcome.latency_ms)
        first = _optional_count("first_token_ms", outcome.first_token_ms)
        now = self._db.clock()
        for tx in self._db.write_attempts("record run"):
            with tx as con:
                name = con.execute("SELECT name FROM prompts WHERE id = ?", [prepared.prompt_id])
                found = name.fetchone()
                if found is None:
                    raise NotFound(
                        f"prompt {prepared.prompt_name!r} was deleted while it ran; "
                        "the run was not recorded"
                    )
                run = Run(
                    id=self._db.new_id(),
                    prompt_id=prepared.prompt_id,
                    prompt_name=str(found[0]),
                    version=prepared.version,
                    provider=prepared.provider,
                    model=prepared.model,
                    answered_by=outcome.answered_by,
                    messages=prepared.messages,
                    variables=dict(prepared.variables),
                    parameters=prepared.parameters,
                    output=outcome.output,
                    finish_reason=outcome.finish_reason,
                    status=status,
                    error=outcome.error,
                    tokens_in=tokens_in,
                    tokens_out=tokens_out,
                    tokens_estimated=bool(outcome.tokens_estimated),
                    cost_usd=_cost(con, prepared, now.date(), tokens_in, tokens_out),
                    first_token_ms=first,
                    latency_ms=latency,
                    created_at=now,
                    kind=prepared.kind,
                )
                _insert(con, run, self._db.actor)
                rollups.add(con, "runs", "id = ?", [run.id])
                if run.answered:
                    self._count_generation(con, run)
                self._db.audit(con, "run", f"prompt:{run.prompt_id}", after=_audited(run))
        return run

    def list_runs(
        self, ref: str | None = None, limit: int = 50, *, kind: str = "prompt"
    ) -> list[Run]:
        """Runs newest first: all of them, or REF's (REF@N, REF@label: that version's); of
        `kind` (prompt: what was sent; judge: the judges of its evals' answers)."""
        clean_choice("kind", kind, RUN_KINDS)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", limit, "must be a whole number of at least 1")
        with self._db.read() as con:
            prompt_id: str | None = None
            version: int | None = None
            if ref is not None:
                resolved = refs.resolve(con, ref)
                prompt_id = resolved.prompt.id
                version = resolved.version.version if resolved.version else None
            found = con.execute(
                f"{_SELECT} WHERE (? IS NULL OR r.prompt_id = ?) AND (? IS NULL OR r.version = ?) "
                "AND coalesce(r.kind, 'prompt') = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
                [prompt_id, prompt_id, version, version, kind, limit],
            ).fetchall()
        return [_run(row) for row in found]

    def get(self, run_id: str) -> Run:
        """A run by its id, or a unique start or end of it (the short id `runs` shows)."""
        wanted = run_id.strip()
        with self._db.read() as con:
            row = con.execute(f"{_SELECT} WHERE r.id = ?", [wanted]).fetchone()
            if row is None and _ID_PART.match(wanted):
                rows = con.execute(
                    f"{_SELECT} WHERE starts_with(r.id, ?) OR ends_with(r.id, ?) "
                    "ORDER BY r.id LIMIT 6",
                    [wanted, wanted],
                ).fetchall()
                if len(rows) > 1:
                    more = "+" if len(rows) > 5 else ""
                    raise AmbiguousReference(
                        f"run id part {wanted!r} matches {len(rows)}{more} runs; type more of it"
                    )
                row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"no run matches {run_id!r}")
        return _run(row)

    def _count_generation(self, con: duckdb.DuckDBPyConnection, run: Run) -> None:
        """The run as a generation (priced in the mart views, as a logged one is) and a use."""
        con.execute(
            "INSERT INTO generations (id, prompt_id, version, provider, model, tokens_in, "
            "tokens_out, cost_usd, latency_ms, created_at, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
            [
                run.id,
                run.prompt_id,
                run.version,
                run.provider,
                run.model,
                run.tokens_in,
                run.tokens_out,
                run.latency_ms,
                run.created_at,
                self._db.actor,
            ],
        )
        rollups.add(con, "generations", "id = ?", [run.id])
        if run.kind == "judge":  # the judge's tokens and cost, not a use of the prompt
            return
        event = self._db.new_id()
        use = UsageEvent(
            event, run.prompt_id, run.version, "used_in_generation", None, run.created_at
        )
        insert_use(con, use, run.variables, self._db.actor)


def _values(values: Mapping[str, str] | None) -> dict[str, str]:
    given = dict(values or {})
    for key, value in given.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValidationError("variables", {key: value}, "names and values must be text")
    return given


def _name(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "must not be empty")
    text = value.strip()
    if len(text) > 200 or "\n" in text:
        raise ValidationError(field, text[:40], "must be one line of at most 200 characters")
    return text


def _count(field: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValidationError(field, value, f"must be a whole number from 0 to {high}")
    return value


def _optional_count(field: str, value: Any) -> int | None:
    return None if value is None else _count(field, value, _MAX_MS)


def _cost(
    con: duckdb.DuckDBPyConnection, run: PreparedRun, day: date, tokens_in: int, tokens_out: int
) -> float | None:
    """Tokens times the price in force on `day` (the latest effective_from on or before it)."""
    price = con.execute(
        "SELECT input_per_mtok, output_per_mtok FROM prices WHERE provider = ? AND model = ? "
        "AND effective_from <= ? ORDER BY effective_from DESC LIMIT 1",
        [run.provider, run.model, day],
    ).fetchone()
    if price is None:
        return None
    cost = (tokens_in * float(price[0]) + tokens_out * float(price[1])) / 1e6
    return cost if math.isfinite(cost) else None


def _insert(con: duckdb.DuckDBPyConnection, run: Run, actor: str) -> None:
    con.execute(
        f"INSERT INTO runs ({_COLUMNS}, actor) VALUES ({', '.join('?' * 22)})",
        [
            run.id,
            run.prompt_id,
            run.version,
            run.provider,
            run.model,
            run.answered_by,
            json.dumps([asdict(m) for m in run.messages], ensure_ascii=False),
            json.dumps(run.variables, ensure_ascii=False),
            json.dumps(run.parameters),
            run.output,
            run.finish_reason,
            run.status,
            run.error,
            run.tokens_in,
            run.tokens_out,
            run.tokens_estimated,
            run.cost_usd,
            run.first_token_ms,
            run.latency_ms,
            run.created_at,
            run.kind,
            actor,
        ],
    )


def _audited(run: Run) -> dict[str, Any]:
    """What the audit log keeps of a run: which, how it ended, not the text."""
    return {
        "run": run.id,
        "version": run.version,
        "provider": run.provider,
        "model": run.model,
        "status": run.status,
        "error": run.error,
        "tokens_in": run.tokens_in,
        "tokens_out": run.tokens_out,
    }


def _run(row: tuple[Any, ...]) -> Run:
    (run_id, prompt_id, version, provider, model, answered_by, messages, variables, parameters,
     output, finish_reason, status, error, tokens_in, tokens_out, estimated, cost, first,
     latency, created_at, kind, name) = row  # fmt: skip
    return Run(
        id=run_id,
        prompt_id=prompt_id,
        prompt_name=name,
        version=version,
        provider=provider,
        model=model,
        answered_by=answered_by,
        messages=tuple(roles.ChatMessage(m["role"], m["content"]) for m in json.loads(messages)),
        variables=json.loads(variables),
        parameters=json.loads(parameters),
        output=output,
        finish_reason=finish_reason,
        status=status,
        error=error,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        tokens_estimated=estimated,
        cost_usd=cost,
        first_token_ms=first,
        latency_ms=latency,
        created_at=created_at,
        kind=kind or "prompt",
    )
