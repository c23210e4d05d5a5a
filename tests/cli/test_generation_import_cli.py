"""`import PATH --generations`: generation logs from a file, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Cli

GATEWAY = (
    "request_id,prompt,provider,model,prompt_tokens,completion_tokens,cost,created_at\n"
    "r1,Summarise,openai,gpt-4o,1000,500,,2026-01-10T09:00:00Z\n"
    "r2,Explain,openai,gpt-4o,200,100,0.25,2026-01-11T09:00:00Z\n"
)


def test_import_generations_prices_records_uses_and_skips_a_second_time(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "gateway.csv"
    source.write_text(GATEWAY, "utf-8")
    cli.ok("price", "set", "openai", "gpt-4o", "--input", "2.5", "--output", "10",
           "--from", "2026-01-01")  # fmt: skip
    out = cli.ok("import", str(source), "--generations", "--map", "id=request_id")
    assert out == (
        f"imported 2 generations, skipped 0 already imported, rejected 0 from {source} "
        "(csv; id=request_id, tokens_in=prompt_tokens, tokens_out=completion_tokens, "
        "cost_usd=cost)\n"
    )
    stats = cli.json("stats")
    assert (stats["generations"], stats["uses"]) == (2, 2)
    assert stats["period"]["cost_usd"] == pytest.approx(0.0075 + 0.25)
    shown = cli.json("show", "Summarise")["prompt"]
    assert (shown["usage_count"], shown["last_used_at"]) == (1, "2026-01-10 09:00:00")
    again = cli.json("import", str(source), "--generations", "--map", "id=request_id")
    assert (again["imported"], again["skipped"], again["source"]) == (0, 2, "csv")
    assert cli.counts()["import_sessions"] == 2


def test_a_bad_generation_row_is_one_line_exit_1_and_nothing_changes(
    cli: Cli, sample: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_text(
        '{"prompt": "Summarise", "provider": "p", "model": "m", "tokens_in": 1, "tokens_out": 2}\n'
        '{"prompt": "Nobody", "provider": "p", "model": "m", "tokens_in": 1, "tokens_out": 2}\n',
        "utf-8",
    )
    before = cli.counts()
    assert cli.fails("import", str(source), "--generations") == (
        f"promptdeck: {source}: line 2: prompt: no prompt matches 'Nobody'; nothing imported"
    )
    assert cli.fails("import", str(source), "--generations", "--map", "name=prompt") == (
        "promptdeck: map: 'name' is not a generation field (fields: prompt, provider, model, "
        "tokens_in, tokens_out, cost_usd, latency_ms, created_at, id)"
    )
    assert cli.counts() == before
