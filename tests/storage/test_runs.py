"""RunService without a network: what `prepare` renders and chooses, what `record` writes (and
prices), how runs are listed and found, and that they live and die with their prompt and travel
in backups."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from storage import Library, PreparedRun, RunOutcome, restore_backup
from storage.errors import AmbiguousReference, NotFound, TemplateError, ValidationError
from storage.prompts.roles import ChatMessage

OK = RunOutcome("ok", "Bonjour", 10, 3, False, latency_ms=900, first_token_ms=120)


def prepare(library: Library, ref: str, **options: object) -> PreparedRun:
    values = options.pop("values", {"topic": "tea"})
    given = {"provider": "openai", "default_model": "configured"} | options
    return library.runs.prepare(ref, values, **given)  # type: ignore[arg-type]


@pytest.fixture
def prompt(library: Library) -> str:
    return library.prompts.create(
        "Explain", "Explain {{topic}}.", model="own-model", temperature=0.3, max_tokens=200
    ).id


def test_prepare_renders_one_user_message_with_the_prompts_own_settings(
    library: Library, prompt: str
) -> None:
    prepared = prepare(library, "Explain")
    assert prepared.messages == (ChatMessage("user", "Explain tea."),)
    assert (prepared.prompt_id, prepared.prompt_name, prepared.version) == (prompt, "Explain", 1)
    assert (prepared.model, prepared.temperature, prepared.max_tokens) == ("own-model", 0.3, 200)
    assert prepared.variables == {"topic": "tea"}


def test_explicit_settings_win_and_bad_ones_are_refused(library: Library, prompt: str) -> None:
    prepared = prepare(library, "Explain", model="flag-model", temperature="1.5", max_tokens=9)
    assert (prepared.model, prepared.temperature, prepared.max_tokens) == ("flag-model", 1.5, 9)
    with pytest.raises(ValidationError, match="temperature: must be between 0 and 2"):
        prepare(library, "Explain", temperature=7)
    with pytest.raises(ValidationError, match="max_tokens"):
        prepare(library, "Explain", max_tokens="many")


def test_a_prompt_written_for_another_provider_keeps_its_model_to_itself(
    library: Library,
) -> None:
    library.prompts.create("Claude only", "Hi {{topic}}", provider="anthropic", model="claude-x")
    assert prepare(library, "Claude only").model == "configured"
    assert prepare(library, "Claude only", provider="anthropic").model == "claude-x"


def test_a_pinned_version_sends_that_versions_content_and_settings(
    library: Library, prompt: str
) -> None:
    library.prompts.update(prompt, {"content": "Describe {{topic}}.", "model": "newer"})
    library.versions.set_label(prompt, "production", 1)
    pinned = prepare(library, "Explain@production")
    assert pinned.version == 1 and pinned.messages[0].content == "Explain tea."
    assert pinned.model == "own-model"
    latest = prepare(library, "Explain")
    assert latest.version == 2 and (latest.messages[0].content, latest.model) == (
        "Describe tea.",
        "newer",
    )


def test_a_missing_variable_is_one_error_and_nothing_is_written(
    library: Library, prompt: str
) -> None:
    before = library.db.table_counts()
    with pytest.raises(TemplateError, match="topic"):
        prepare(library, "Explain", values={})
    assert library.db.table_counts() == before


def test_record_prices_the_run_by_the_price_in_force_today(library: Library, prompt: str) -> None:
    today = library.db.clock().date()
    library.costs.set_price("openai", "own-model", 1.0, 2.0, effective_from=date(2020, 1, 1))
    library.costs.set_price("openai", "own-model", 10.0, 20.0, effective_from=today)
    library.costs.set_price("openai", "own-model", 99.0, 99.0, effective_from=today + timedelta(1))
    run = library.runs.record(prepare(library, "Explain"), OK)
    assert run.cost_usd == pytest.approx((10 * 10 + 3 * 20) / 1e6)
    unpriced = library.runs.record(prepare(library, "Explain", model="other"), OK)
    assert unpriced.cost_usd is None
    costs: dict[str, float | None] = dict(
        library.db.query("SELECT id, cost_usd FROM mart.generation_costs")[1]
    )
    assert costs[run.id] == pytest.approx(run.cost_usd) and costs[unpriced.id] is None


def test_record_refuses_what_no_run_could_be(library: Library, prompt: str) -> None:
    prepared = prepare(library, "Explain")
    for bad, field in (
        (RunOutcome("done", "", 0, 0, True, 1), "status"),
        (RunOutcome("ok", "", -1, 0, True, 1), "tokens_in"),
        (RunOutcome("ok", "", 0, 0, True, -5), "latency_ms"),
    ):
        with pytest.raises(ValidationError, match=field):
            library.runs.record(prepared, bad)
    assert library.runs.list_runs() == []


def test_runs_are_listed_newest_first_and_found_by_a_part_of_their_id(
    library: Library, prompt: str
) -> None:
    other = library.prompts.create("Other", "Other {{topic}}").id
    first = library.runs.record(prepare(library, "Explain"), OK)
    second = library.runs.record(prepare(library, "Other"), OK)
    library.prompts.update(prompt, {"content": "Explain {{topic}} twice."})
    third = library.runs.record(prepare(library, "Explain"), OK)
    assert [r.id for r in library.runs.list_runs()] == [third.id, second.id, first.id]
    assert [r.id for r in library.runs.list_runs("Explain")] == [third.id, first.id]
    assert [r.id for r in library.runs.list_runs("Explain@1")] == [first.id]
    assert [r.id for r in library.runs.list_runs(limit=1)] == [third.id]
    assert library.runs.list_runs(other)[0].prompt_name == "Other"
    assert library.runs.get(second.id[-8:]) == second
    assert library.runs.get(f"  {first.id} ") == first
    with pytest.raises(AmbiguousReference, match="matches 3 runs"):
        library.runs.get(first.id[:20])
    with pytest.raises(NotFound, match="no run matches 'nope'"):
        library.runs.get("nope")
    with pytest.raises(ValidationError, match="limit"):
        library.runs.list_runs(limit=0)


def test_a_deleted_prompt_takes_its_runs_with_it(library: Library, prompt: str) -> None:
    library.runs.record(prepare(library, "Explain"), OK)
    prepared = prepare(library, "Explain")
    library.prompts.delete(prompt)
    assert library.db.table_counts()["runs"] == 0
    with pytest.raises(NotFound, match="was deleted while it ran"):
        library.runs.record(prepared, OK)


def test_runs_travel_in_a_backup(library: Library, prompt: str, tmp_path: Path) -> None:
    run = library.runs.record(prepare(library, "Explain"), OK)
    manifest = library.backups.write(tmp_path / "backup")
    assert manifest.tables["runs"].rows == 1
    restore_backup(tmp_path / "backup", tmp_path / "restored.duckdb")
    with Library(tmp_path / "restored.duckdb") as restored:
        assert restored.runs.get(run.id) == run


def test_runs_give_latency_and_first_token_percentiles(library: Library, prompt: str) -> None:
    for total, first in ((400, 100), (800, 200), (1200, 300)):
        outcome = RunOutcome("ok", "x", 1, 1, False, latency_ms=total, first_token_ms=first)
        library.runs.record(prepare(library, "Explain"), outcome)
    failed = RunOutcome("failed", "", 1, 0, True, latency_ms=9_000, error="openai: 500")
    library.runs.record(prepare(library, "Explain"), failed)  # not an answer: not counted
    [latency] = library.analytics.latency("7d")
    assert (latency.provider, latency.model, latency.timed, latency.runs) == (
        "openai",
        "own-model",
        3,
        3,
    )
    assert (latency.p50_ms, latency.first_token_p50_ms) == (800, 200)
    assert latency.p95_ms == pytest.approx(1160) and latency.first_token_p95_ms == pytest.approx(
        290
    )
