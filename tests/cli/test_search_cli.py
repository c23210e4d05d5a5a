"""search, similar, embed, reembed through the CLI, and the near-twin warning on add/edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Cli

PROMPTS = {
    "Linux Terminal": "I want you to act as a linux terminal. Reply with the terminal output.",
    "SQL terminal": "I want you to act as a SQL terminal in front of an example database.",
    "Poet": "I want you to act as a poet. Write poems that evoke feelings.",
    "Chef": "I want you to act as a chef and suggest recipes for dinner.",
}


@pytest.fixture
def filled(cli: Cli) -> dict[str, str]:
    ids = {}
    for name, content in PROMPTS.items():
        folder = ["--folder", "tech"] if "terminal" in name.lower() else []
        ids[name] = cli.add(name, content, *folder)
    return ids


def test_text_search_table_and_json(cli: Cli, filled: dict[str, str]) -> None:
    out = cli.ok("search", "linux terminal")
    lines = out.splitlines()
    assert lines[0].split() == ["RANK", "SCORE", "ID", "NAME", "SNIPPET"]
    assert lines[1].split()[:5] == [
        "1",
        lines[1].split()[1],
        filled["Linux Terminal"][-8:],
        "Linux",
        "Terminal",
    ]
    found = cli.json("search", "termin", "--folder", "tech", "--limit", "5")
    assert found["mode"] == "text" and found["notice"] is None
    assert sorted(h["name"] for h in found["hits"]) == ["Linux Terminal", "SQL terminal"]
    assert [h["rank"] for h in found["hits"]] == [1, 2]
    assert cli.ok("search", "zebra") == "(no matches)\n"


def test_semantic_and_hybrid(cli: Cli, filled: dict[str, str]) -> None:
    for mode in ("semantic", "hybrid"):
        hits = cli.json("search", "act as a poet writing poems", "--mode", mode)["hits"]
        assert hits[0]["name"] == "Poet", mode
    assert cli.json("search", "poet", "--mode", "semantic", "--min-score", "0.99")["hits"] == []


def test_similar(cli: Cli, filled: dict[str, str]) -> None:
    hits = cli.json("similar", "Linux Terminal", "--limit", "1")
    assert [h["name"] for h in hits] == ["SQL terminal"]
    assert "SQL terminal" in cli.ok("similar", filled["Linux Terminal"][-8:])


def test_saves_are_embedded_and_a_near_twin_is_a_warning(cli: Cli, filled: dict[str, str]) -> None:
    status = cli.json("embed", "--status")
    assert [(s["model"], s["current"], s["active"]) for s in status] == [
        ("wordllama-l2-256", 4, True)
    ]
    result = cli("add", "--name", "Linux Terminal 2", stdin=PROMPTS["Linux Terminal"] + " Thanks.")
    assert result.exit_code == 0
    assert result.stderr.startswith("promptdeck: warning: 'Linux Terminal 2' is ")
    assert "similar to 'Linux Terminal'" in result.stderr
    assert cli.counts()["prompts"] == 5


def test_embed_and_reembed(cli: Cli, filled: dict[str, str]) -> None:
    out = cli.ok("embed")
    assert out.startswith("embedded 0 prompt(s) with wordllama-l2-256 (wordllama)")
    report = cli.json("reembed", "--provider", "local", "--model", "local-ngram-64")
    assert (report["embedded"], report["switched"], report["active_model"]) == (
        4,
        True,
        "local-ngram-64",
    )
    assert "local-ngram-64 *" in cli.ok("embed", "--status")
    assert cli.json("search", "poet", "--mode", "semantic")["hits"][0]["name"] == "Poet"


def test_user_errors(cli: Cli, filled: dict[str, str]) -> None:
    before = cli.counts()
    assert cli.fails("search", "  ") == "promptdeck: query: must not be empty (got '  ')"
    assert "no prompt matches 'nobody'" in cli.fails("similar", "nobody")
    assert "wordllama has wordllama-l2-256 (got 'big')" in cli.fails("embed", "--model", "big")
    wrong = cli.fails("embed", "--provider", "local", "--model", "big")
    assert "local models are named local-ngram-<dims>" in wrong
    assert cli.counts() == before
    assert "--mode" in cli.fails("search", "x", "--mode", "fuzzy", code=2)
