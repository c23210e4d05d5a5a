"""Import of generation logs: the same rows, uses and costs as log_generation records one by
one, every reference form, every format, ids that make a second import skip, and whole-or-
nothing rejection naming the line and the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.db.connection import connect
from storage.errors import ImportRejected, TransferError
from storage.models import short_id
from tests.conftest import TickingClock

COLUMNS = ("prompt", "provider", "model", "tokens_in", "tokens_out", "cost_usd", "latency_ms",
           "created_at", "id")  # fmt: skip


def _two_prompts(library: Library) -> None:
    summarise = library.prompts.create("Summarise", "Summarise {{topic}}.")
    library.prompts.update(summarise.id, {"content": "Summarise {{topic}} briefly."}, "shorter")
    library.prompts.create("Explain", "Explain {{topic}} simply.")
    library.costs.set_price("openai", "gpt-4o", 2.5, 10, effective_from=date(2025, 1, 1))
    library.costs.set_price("openai", "gpt-4o", 5, 20, effective_from=date(2026, 1, 1))


@pytest.fixture
def two(library_from: Callable[..., Library]) -> Library:
    return library_from(_two_prompts)


def _sql(
    library: Library, statement: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    con = connect(library.db.path)
    try:
        result = con.execute(statement, params or [])
        return result.fetchall() if result.description else []
    finally:
        con.close()


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """rows as a csv, json, jsonl or Parquet file (by the suffix); None is an empty cell."""
    if path.suffix == ".csv":
        columns = list(dict.fromkeys(k for row in rows for k in row))
        lines = [",".join(columns)]
        lines += [
            ",".join("" if row.get(c) is None else str(row[c]) for c in columns) for row in rows
        ]
        path.write_text("\n".join(lines) + "\n", "utf-8")
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), "utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


ROWS: list[dict[str, Any]] = [
    {"prompt": "Summarise", "provider": "openai", "model": "gpt-4o", "tokens_in": 1000,
     "tokens_out": 500, "cost_usd": None, "latency_ms": 900, "created_at": "2025-06-01T10:00:00"},
    {"prompt": "Summarise", "provider": "openai", "model": "gpt-4o", "tokens_in": 1000,
     "tokens_out": 500, "cost_usd": None, "latency_ms": None, "created_at": "2026-01-10T08:00:00"},
    {"prompt": "Explain", "provider": "anthropic", "model": "claude-sonnet-4", "tokens_in": 10,
     "tokens_out": 20, "cost_usd": 0.25, "latency_ms": 120, "created_at": "2026-01-12T23:59:59"},
    {"prompt": "Summarise@1", "provider": "openai", "model": "gpt-4o-mini", "tokens_in": 0,
     "tokens_out": 0, "cost_usd": None, "latency_ms": None, "created_at": "2025-12-31T00:00:00"},
]  # fmt: skip


def _state(library: Library) -> dict[str, list[tuple[Any, ...]]]:
    """What a generation changes, without the ids and times only one library can make."""
    return {
        "prompts": _sql(
            library,
            "SELECT id, usage_count, last_used_at, round(relevance_score, 9) FROM prompts "
            "ORDER BY id",
        ),
        "generations": _sql(
            library,
            "SELECT prompt_id, version, provider, model, tokens_in, tokens_out, cost_usd, "
            "latency_ms, created_at FROM generations ORDER BY ALL",
        ),
        "usage_events": _sql(
            library,
            "SELECT prompt_id, version, event_type, effectiveness, variables, created_at "
            "FROM usage_events ORDER BY ALL",
        ),
        "costs": _sql(
            library,
            "SELECT prompt_id, day, model, round(cost_usd, 12), cost_from, price_from "
            "FROM mart.generation_costs ORDER BY ALL",
        ),
    }


def test_an_import_records_what_log_generation_records(
    library_from: Callable[..., Library], tmp_path: Path
) -> None:
    logged = library_from(_two_prompts, tmp_path / "logged.duckdb")
    imported = library_from(_two_prompts, tmp_path / "imported.duckdb")
    for library in (logged, imported):  # room for the relevance boost to show
        _sql(library, "UPDATE prompts SET relevance_score = 0.2")
    for row in ROWS:
        logged.costs.log_generation(
            row["prompt"],
            provider=row["provider"],
            model=row["model"],
            tokens_in=row["tokens_in"],
            tokens_out=row["tokens_out"],
            cost_usd=row["cost_usd"],
            latency_ms=row["latency_ms"],
            at=datetime.fromisoformat(row["created_at"]),
        )
    summary = imported.generation_imports.run(_write(tmp_path / "calls.csv", ROWS))
    assert (summary.imported, summary.skipped, summary.rejected) == (4, 0, 0)
    assert _state(imported) == _state(logged)
    state = _state(imported)
    summarise, explain = imported.prompts.get("Summarise"), imported.prompts.get("Explain")
    assert [p[1:] for p in state["prompts"]] == [
        (3, datetime(2026, 1, 10, 8), 0.5),  # Summarise: 3 uses (ids sort by creation)
        (1, datetime(2026, 1, 12, 23, 59, 59), 0.3),
    ]
    versions = {(g[0], g[3]): g[1] for g in state["generations"]}
    assert versions[(summarise.id, "gpt-4o")] == 2 and versions[(summarise.id, "gpt-4o-mini")] == 1
    # Costs: the source's where given, else the price in force on the generation's day.
    costs = {(c[0], c[1]): c[3:] for c in state["costs"]}
    assert costs[(summarise.id, date(2025, 6, 1))] == (0.0075, "price", date(2025, 1, 1))
    assert costs[(summarise.id, date(2026, 1, 10))] == (0.015, "price", date(2026, 1, 1))
    assert costs[(explain.id, date(2026, 1, 12))] == (0.25, "source", None)
    assert costs[(summarise.id, date(2025, 12, 31))] == (None, None, None)  # no price: unpriced


def test_one_session_row_and_one_audit_entry(two: Library, tmp_path: Path) -> None:
    started = cast(TickingClock, two.db.clock).peek()
    source = _write(tmp_path / "calls.jsonl", ROWS[:2])
    summary = two.generation_imports.run(source)
    sessions = _sql(two, "SELECT id, source, file, imported, skipped, errors, started_at "
                         "FROM import_sessions")  # fmt: skip
    assert sessions == [(summary.session_id, "jsonl", str(source), 2, 0, 0, started)]
    audit = _sql(two, "SELECT action, entity, after FROM audit_log ORDER BY id DESC LIMIT 1")
    action, entity, after = audit[0]
    assert (action, entity) == ("import_generations", f"import:{summary.session_id}")
    assert json.loads(after)["imported"] == 2
    assert two.db.table_counts()["audit_log"] == 6  # the build's 5, then one for the import


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl", ".parquet"])
def test_every_format_imports_the_same_rows(
    library_from: Callable[..., Library], tmp_path: Path, suffix: str
) -> None:
    reference = library_from(_two_prompts, tmp_path / "reference.duckdb")
    reference.generation_imports.run(_write(tmp_path / "calls.csv", ROWS))
    library = library_from(_two_prompts, tmp_path / "other.duckdb")
    library.generation_imports.run(_write(tmp_path / f"calls{suffix}", ROWS))
    assert _state(library) == _state(reference)


def test_references_by_id_id_part_name_and_version(two: Library, tmp_path: Path) -> None:
    summarise, explain = two.prompts.get("Summarise"), two.prompts.get("Explain")
    two.versions.set_label(summarise.id, "prod", 1)
    two.prompts.archive(explain.id)  # an archived prompt is still found by its name
    refs = [summarise.id, short_id(summarise.id), summarise.id[-12:], "Explain", "Summarise@prod",
            f"{short_id(summarise.id)}@latest"]  # fmt: skip
    rows = [{**ROWS[2], "prompt": ref} for ref in refs]
    two.generation_imports.run(_write(tmp_path / "refs.csv", rows))
    found = _sql(two, "SELECT prompt_id, version FROM generations ORDER BY created_at, id")
    assert sorted(found) == sorted(
        [(summarise.id, 2)] * 3 + [(explain.id, 1), (summarise.id, 1), (summarise.id, 2)]
    )


def test_columns_by_alias_and_by_map(two: Library, tmp_path: Path) -> None:
    """OpenAI's usage names are taken as they are; --map names the rest. A column mapped to
    one field is not taken for another by its name."""
    rows = [{"id": "Summarise", "vendor": "openai", "model": "gpt-4o", "prompt_tokens": 7,
             "completion_tokens": 3, "cost": 0.5, "when": "2026-01-02T03:04:05Z",
             "extra": 1}]  # fmt: skip
    source = _write(tmp_path / "gateway.csv", rows)
    preview = two.generation_imports.preview(source, mapping={"prompt": "id", "provider": "vendor"})
    assert preview.rows == 1 and preview.format == "csv"
    mapping = {"prompt": "id", "provider": "vendor", "created_at": "when"}
    assert preview.mapping == {"prompt": "id", "provider": "vendor", "model": "model",
                               "tokens_in": "prompt_tokens", "tokens_out": "completion_tokens",
                               "cost_usd": "cost"}  # fmt: skip
    summary = two.generation_imports.run(source, mapping=mapping)
    assert summary.ignored_columns == ("extra",)
    stored = _sql(
        two, "SELECT provider, tokens_in, tokens_out, cost_usd, created_at FROM generations"
    )
    assert stored == [("openai", 7, 3, 0.5, datetime(2026, 1, 2, 3, 4, 5))]


def test_times_with_an_offset_are_stored_in_utc_and_a_missing_time_is_now(
    two: Library, tmp_path: Path
) -> None:
    rows = [{**ROWS[2], "created_at": "2026-01-10T10:00:00+02:00"},
            {**ROWS[2], "created_at": "2026-01-10"}, {**ROWS[2], "created_at": None}]  # fmt: skip
    now = cast(TickingClock, two.db.clock).peek()
    two.generation_imports.run(_write(tmp_path / "times.csv", rows))
    times = [row[0] for row in _sql(two, "SELECT created_at FROM generations ORDER BY 1")]
    assert times == [datetime(2026, 1, 10), datetime(2026, 1, 10, 8), now]


def test_ids_make_a_second_import_skip_what_the_first_imported(
    two: Library, tmp_path: Path
) -> None:
    rows = [{**ROWS[0], "id": "req-1"}, {**ROWS[1], "id": "req-2"},
            {**ROWS[2], "id": "req-1"}, {**ROWS[3], "id": None}]  # fmt: skip
    source = _write(tmp_path / "calls.csv", rows)
    first = two.generation_imports.run(source)
    assert (first.imported, first.skipped) == (3, 1)  # req-1 twice in the file: the first counts
    again = two.generation_imports.run(source)
    assert (again.imported, again.skipped) == (1, 3)  # a row without an id cannot be known again
    counts = two.db.table_counts()
    assert (counts["generations"], counts["usage_events"]) == (4, 4)
    assert two.prompts.get("Summarise").usage_count == 4
    ids = {row[0] for row in _sql(two, "SELECT id FROM generations")}
    assert {"req-1", "req-2"} < ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt": "Nobody"}, "prompt: no prompt matches 'Nobody'"),
        ({"prompt": ""}, "prompt: must not be empty (got '')"),
        ({"prompt": "0000000"}, "prompt: id part '0000000' matches 2 prompts; type more of it"),
        ({"prompt": "Summarise@9"}, "prompt: prompt 'Summarise' has no version 9 (versions 1..2)"),
        ({"model": ""}, "model: must not be empty (got '')"),
        ({"provider": "x" * 201}, "provider: must be one line of at most 200 characters"),
        ({"tokens_in": -5}, "tokens_in: must be a whole number from 0 to 1000000000 (got '-5')"),
        ({"tokens_out": 2.5}, "tokens_out: must be a whole number from 0 to 1000000000"),
        ({"tokens_out": "many"}, "tokens_out: must be a whole number from 0 to 1000000000"),
        ({"cost_usd": -1}, "cost_usd: must be a number of at least 0 (got '-1')"),
        ({"latency_ms": 86_400_001}, "latency_ms: must be a whole number from 0 to 86400000"),
        ({"created_at": "yesterday"}, "created_at: must be a time like 2026-01-31T14:05"),
        ({"created_at": "2999-01-01"}, "created_at: must be a time no later than now"),
    ],
)
def test_a_bad_row_imports_nothing_and_names_its_line_and_field(
    two: Library, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    source = _write(tmp_path / "calls.csv", [ROWS[0], ROWS[1], {**ROWS[2], **change}, ROWS[3]])
    before = two.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        two.generation_imports.run(source)
    assert str(caught.value).startswith(f"{source}: line 4: {message}")
    assert str(caught.value).endswith("; nothing imported")
    assert (caught.value.row, caught.value.rejected) == (4, 1)
    assert two.db.table_counts() == before
    assert [p[1:3] for p in _state(two)["prompts"]] == [(0, None), (0, None)]  # no use counted


def test_the_first_bad_row_is_named_with_the_count(two: Library, tmp_path: Path) -> None:
    two.prompts.create("Summarise", "another prompt of the same name")
    ids = sorted(row[0] for row in _sql(two, "SELECT id FROM prompts WHERE name = 'Summarise'"))
    named = ", ".join(short_id(i) for i in ids)
    rows = [ROWS[0], {**ROWS[1], "prompt": "Explain"}, {**ROWS[2], "tokens_in": -1},
            {**ROWS[3], "prompt": "Nobody"}]  # fmt: skip
    source = _write(tmp_path / "calls.jsonl", rows)
    before = two.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        two.generation_imports.run(source)
    assert str(caught.value) == (
        f"{source}: line 1: prompt: 'Summarise' names 2 prompts ({named}); use an id; "
        "nothing imported (3 rows rejected)"
    )
    assert two.db.table_counts() == before


def test_what_cannot_start_is_refused_before_reading_rows(two: Library, tmp_path: Path) -> None:
    source = _write(tmp_path / "calls.csv", [{"prompt": "Summarise", "model": "m"}])
    with pytest.raises(TransferError, match=r"no column for provider .* --map provider=COLUMN"):
        two.generation_imports.run(source)
    with pytest.raises(TransferError, match="map: 'name' is not a generation field"):
        two.generation_imports.run(source, mapping={"name": "prompt"})
    with pytest.raises(TransferError, match="has no column 'vendor'"):
        two.generation_imports.run(source, mapping={"provider": "vendor"})
    (tmp_path / "notes").mkdir()
    with pytest.raises(TransferError, match="reads csv, json, jsonl, parquet"):
        two.generation_imports.run(tmp_path / "notes")
