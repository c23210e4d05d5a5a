"""stats, sql, audit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import short_id

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def test_stats(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("use", "Explain", "topic=x")
    cli.ok("rate", "Explain", "4")
    stats = cli.json("stats")
    assert (stats["prompts"], stats["archived"], stats["versions"]) == (2, 0, 2)
    assert (stats["uses"], stats["ratings"], stats["avg_rating"]) == (1, 1, 4.0)
    assert stats["top_prompts"][0]["name"] == "Explain"
    text = cli.ok("stats")
    assert text.startswith("prompts      2 (0 archived)\n")
    assert "ratings      1, average 4.00\n" in text
    assert "most used prompts\nID        NAME       USES  RATING\n" in text
    assert f"{short_id(sample['Explain'])}  Explain       1     4.0\n" in text


def test_stats_of_an_empty_library(cli: Cli) -> None:
    assert cli.json("stats")["prompts"] == 0
    assert "most used" not in cli.ok("stats")


def test_sql_table_and_json(cli: Cli, sample: dict[str, str]) -> None:
    text = cli.ok("sql", "SELECT name, current_version AS v, tags FROM prompts ORDER BY name")
    assert text == "name       v  tags\nExplain    1  news\nSummarise  1  news\n"
    rows = cli.json("sql", "SELECT name, uses FROM mart.prompt_scorecard ORDER BY name")
    assert rows == [{"name": "Explain", "uses": 0}, {"name": "Summarise", "uses": 0}]
    assert len(cli.json("sql", "SELECT * FROM range(10)", "--limit", "3")) == 3


def test_sql_refuses_writes(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    message = cli.fails("sql", "DELETE FROM prompts")
    assert message.startswith("promptdeck: sql: ")
    assert "read-only" in message
    cli.fails("sql", "CREATE TABLE t (x INT)")
    cli.fails("sql", "COPY prompts TO 'out.csv'")
    assert cli.counts() == before


def test_sql_error_is_one_line(cli: Cli) -> None:
    assert cli.fails("sql", "SELECT * FROM nowhere").startswith("promptdeck: sql: ")


def test_audit_of_everything_and_of_one_prompt(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("tag", "colour", "news", "green")
    entries = cli.json("audit")
    # The first save's vector made the local model the one search uses: a config change.
    actions = ["tag_colour", "derive", "embedding_model", "create"]
    assert [e["action"] for e in entries] == actions
    assert [e["action"] for e in cli.json("audit", "Summarise")] == ["create"]
    assert [e["action"] for e in cli.json("audit", "tag:news")] == ["tag_colour"]
    assert len(cli.json("audit", "--limit", "1")) == 1
    table = cli.ok("audit").splitlines()
    assert table[0].split() == ["ID", "TIME", "ACTOR", "ACTION", "ENTITY", "DETAIL"]
    assert f"prompt:{short_id(sample['Summarise'])}" in table[4]


def test_audit_of_a_deleted_prompt(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("rm", "Explain")
    assert cli.fails("audit", "Explain") == "promptdeck: no prompt matches 'Explain'"
    entity = f"prompt:{sample['Explain']}"
    assert [e["action"] for e in cli.json("audit", entity)] == ["delete", "derive"]
