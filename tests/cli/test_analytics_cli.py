"""log-generation, price, lifecycle, purge, config and `stats --period`, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage.models import short_id

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def test_log_generation_priced_from_the_price_table(cli: Cli, sample: dict[str, str]) -> None:
    out = cli.ok("price", "set", "openai", "gpt-4o", "--input", "2.5", "--output", "10",
                 "--from", "2020-01-01")  # fmt: skip
    assert out == "price openai/gpt-4o from 2020-01-01: $2.5 in, $10 out per 1M tokens\n"
    out = cli.ok("log-generation", "Summarise", "--provider", "openai", "--model", "gpt-4o",
                 "--tokens-in", "1000", "--tokens-out", "500", "--latency-ms", "900")  # fmt: skip
    assert out.startswith(f"{short_id(sample['Summarise'])}: generation ")
    assert out.endswith("(openai/gpt-4o, 1000+500 tokens, cost from the price table)\n")
    stats = cli.json("stats", "--period", "7d")
    assert stats["generations"] == 1 and stats["uses"] == 1
    assert stats["cost_usd"] == pytest.approx(0.0075)
    assert stats["period"]["period"]["name"] == "7d" and stats["period"]["tokens"] == 1500
    given = cli.json("log-generation", "Explain", "--provider", "x", "--model", "y",
                     "--tokens-in", "1", "--tokens-out", "2", "--cost", "0.25",
                     "--at", "2020-02-03T04:05")  # fmt: skip
    assert (given["cost_usd"], given["created_at"]) == (0.25, "2020-02-03 04:05:00")
    assert cli.json("stats", "--period", "7d")["period"]["cost_usd"] == pytest.approx(0.0075)
    assert cli.json("stats")["period"]["cost_usd"] == pytest.approx(0.2575)


def test_bad_generations_are_refused(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    base = ("log-generation", "Summarise", "--provider", "p", "--model", "m")
    assert cli.fails(*base, "--tokens-in", "-5", "--tokens-out", "1") == (
        "promptdeck: tokens_in: must be a whole number from 0 to 1000000000 (got -5)"
    )
    assert cli.fails(*base, "--tokens-in", "1", "--tokens-out", "1", "--cost", "-1") == (
        "promptdeck: cost_usd: must be a number of at least 0 (got -1.0)"
    )
    message = cli.fails(*base, "--tokens-in", "1", "--tokens-out", "1", "--at", "2999-01-01")
    assert message.startswith("promptdeck: at: must be a time no later than now")
    assert "is not a time" in cli.fails(*base, "--tokens-in", "1", "--tokens-out", "1",
                                        "--at", "soon", code=2)  # fmt: skip
    cli.fails(*base, "--tokens-in", "many", "--tokens-out", "1", code=2)
    assert cli.counts() == before


def test_price_list_and_rm(cli: Cli) -> None:
    assert cli.ok("price", "list") == "(no prices)\n"
    cli.ok("price", "set", "openai", "gpt-4o", "--input", "2.5", "--output", "10",
           "--from", "2025-01-01")  # fmt: skip
    cli.ok("price", "set", "openai", "gpt-4o", "--input", "5", "--output", "20",
           "--from", "2025-06-01")  # fmt: skip
    assert cli.ok("price", "list").splitlines() == [
        "PROVIDER  MODEL   FROM        INPUT/1M  OUTPUT/1M",
        "openai    gpt-4o  2025-01-01       2.5         10",
        "openai    gpt-4o  2025-06-01         5         20",
    ]
    assert cli.ok("price", "rm", "openai", "gpt-4o", "--from", "2025-01-01") == (
        "price openai/gpt-4o from 2025-01-01: removed\n"
    )
    assert [p["effective_from"] for p in cli.json("price", "list")] == ["2025-06-01"]
    before = cli.counts()
    assert cli.fails("price", "rm", "openai", "gpt-4o", "--from", "2025-01-01") == (
        "promptdeck: no price for openai/gpt-4o from 2025-01-01"
    )
    assert cli.fails("price", "set", "a", "b", "--input", "-1", "--output", "1") == (
        "promptdeck: input_per_mtok: must be a number of at least 0 (got -1.0)"
    )
    euro = cli.fails("price", "set", "a", "b", "--input", "1", "--output", "1", "--currency", "EUR")
    assert euro.startswith("promptdeck: currency: must be USD")
    assert "not a date" in cli.fails("price", "rm", "a", "b", "--from", "May", code=2)
    assert cli.counts() == before


def test_config_get_and_set(cli: Cli) -> None:
    lines = cli.ok("config", "get").splitlines()
    assert lines[0].split()[:3] == ["KEY", "VALUE", "DESCRIPTION"]
    assert {line.split()[0] for line in lines[1:]} >= {"max_prompts", "relevance_decay_rate"}
    assert cli.ok("config", "get", "relevance_decay_rate") == "0.95\n"
    assert cli.ok("config", "set", "relevance_decay_rate", "0.90") == "relevance_decay_rate  0.9\n"
    assert cli.json("config", "get", "relevance_decay_rate")["value"] == "0.9"
    before = cli.counts()
    assert cli.fails("config", "set", "max_prompts", "-3") == (
        "promptdeck: max_prompts: must be a whole number from 1 to 10000000 (got '-3')"
    )
    assert cli.fails("config", "get", "colour").startswith("promptdeck: config: no setting")
    assert cli.fails("config", "set", "colour", "red").startswith(
        "promptdeck: config: not a lifecycle setting; the lifecycle settings are max_prompts"
    )
    assert cli.counts() == before


def test_lifecycle_decay_and_cleanup(cli: Cli, sample: dict[str, str]) -> None:
    first = cli.ok("lifecycle", "decay")
    assert first == "decayed 0 unused prompt(s) by 0.95^1 (1 day(s))\n"  # both made today
    again = cli.json("lifecycle", "decay")
    assert again["already_ran"] is True and again["days"] == 0
    cli.ok("config", "set", "max_prompts", "1")
    cli.ok("config", "set", "max_unused_days", "0")
    cli.ok("config", "set", "min_relevance_score", "0.5")
    with duckdb.connect(str(cli.db)) as con:  # as if weeks of decay had passed
        con.execute("UPDATE prompts SET relevance_score = 0.2 WHERE name = 'Explain'")
    before = cli.counts()
    dry = cli.ok("lifecycle", "cleanup", "--dry-run").splitlines()
    assert dry[0] == "2 live prompts, max_prompts 1: would archive 1"
    assert dry[1].split() == ["ID", "NAME", "RELEVANCE", "LAST", "ACTIVE"]
    assert cli.counts() == before
    done = cli.json("lifecycle", "cleanup")
    assert [c["name"] for c in done["candidates"]] == ["Explain"] and not done["dry_run"]
    assert len(cli.json("list")) == 1 and len(cli.json("list", "--archived")) == 1


def test_purge_exports_first(cli: Cli, sample: dict[str, str], tmp_path: Path) -> None:
    cli.ok("use", "Explain", "topic=x")
    cli.ok("archive", "Explain")
    assert cli.ok("purge", "--older-than", "30d") == (
        "no prompt archived more than 30 day(s) ago; nothing purged\n"
    )
    out = cli.ok("purge", "--older-than", "0d", "--to", str(tmp_path / "gone")).splitlines()
    assert out[0].startswith(f"exported to {tmp_path / 'gone'} (prompts 1, prompt_versions 1, ")
    assert "usage_events 1, audit_log " in out[0]
    assert out[1] == "purged 1 archived prompt(s)"
    exported = pq.read_table(tmp_path / "gone" / "prompts.parquet").to_pylist()
    assert [p["id"] for p in exported] == [sample["Explain"]]
    assert cli.fails("show", "Explain") == "promptdeck: no prompt matches 'Explain'"
    assert cli.fails("purge", "--older-than", "ninety", code=2).count("age in days") == 1


def test_stats_keeps_its_text_and_adds_the_period(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("use", "Explain", "topic=x")
    cli.ok("rate", "Explain", "4")
    text = cli.ok("stats", "--period", "30d")
    assert text.startswith("prompts      2 (0 archived)\n")
    assert "period     last 30 days (" in text
    assert "  uses     1\n" in text and "  rating   4.00 from 1\n" in text
    assert "  prompts  2 live, 2 new\n" in text
    cli.fails("stats", "--period", "2w", code=2)


def test_stats_shows_latency_per_model_in_the_period(cli: Cli, sample: dict[str, str]) -> None:
    for latency in (100, 200, 300, 400, 1000):
        cli.ok("log-generation", "Summarise", "--provider", "openai", "--model", "gpt-4o",
               "--tokens-in", "1", "--tokens-out", "1", "--latency-ms", str(latency))  # fmt: skip
    cli.ok("log-generation", "Summarise", "--provider", "openai", "--model", "old",
           "--tokens-in", "1", "--tokens-out", "1", "--latency-ms", "50",
           "--at", "2020-02-03T04:05")  # fmt: skip
    [latency] = cli.json("stats", "--period", "7d")["latency"]
    assert (latency["model"], latency["timed"], latency["p50_ms"]) == ("gpt-4o", 5, 300)
    assert latency["p95_ms"] == pytest.approx(880) and latency["first_token_p50_ms"] is None
    assert len(cli.json("stats")["latency"]) == 2
    text = cli.ok("stats", "--period", "7d")
    assert "\nlatency by model, last 7 days (ms)\nMODEL  " in text
    assert "\nopenai/gpt-4o      5  300  880\n" in text
