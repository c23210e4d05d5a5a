"""One CLI session, verb by verb, on a library file and on a team library (DuckLake on a real
PostgreSQL): add, edit, versions, tag, rate, search in every mode, derive and lineage,
analytics, backup and audit give the same answers, and a lake's output never holds the
password."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.lake.conftest import Lake
from tui.main import main


@pytest.fixture(params=["file", "lake"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text('[library]\nactor = "ana"\n\n[embedding]\nprovider = "local"\n')
    found = {
        "PROMPTDECK_CONFIG": str(config),
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    if request.param == "file":
        return {**found, "PROMPTDECK_DB": str(tmp_path / "lib.duckdb")}
    lake: Lake = request.getfixturevalue("lake")
    return {**found, "PROMPTDECK_DB": lake.db, "PROMPTDECK_LAKE_DATA": str(lake.data)}


class Session:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.printed: list[str] = []

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(main, list(args), input=stdin, env=self.env)
        self.printed.append(result.stdout + result.stderr)
        assert result.exit_code == 0, (args, result.stderr)
        return result.stdout

    def json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", stdin=stdin))


def test_the_same_cli_session_on_a_file_and_on_a_lake(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # also for what the verbs read outside click
    cli = Session(env)
    cli.ok("add", "--name", "Haiku", "--tag", "poetry", stdin="Write a haiku about {{topic}}.")
    cli.ok("add", "--name", "Mail", "--tag", "work", stdin="Reply politely to {{email}}.")
    cli.ok("edit", "Haiku", "--temperature", "0.5", "-m", "warmer")
    assert [v["version"] for v in cli.json("versions", "Haiku")] == [1, 2]
    cli.ok("tag", "add", "Haiku", "nature")
    cli.ok("rate", "Haiku", "4", "--comment", "crisp")
    cli.ok("use", "Haiku", "topic=rain")
    cli.ok("derive", "Haiku", "--name", "Tanka", stdin="Write a tanka about {{topic}}.")
    cli.ok("embed")
    text = cli.json("search", "email", "--mode", "text")
    semantic = cli.json("search", "a haiku about a topic", "--mode", "semantic")
    hybrid = cli.json("search", "haiku", "--mode", "hybrid")
    assert [h["name"] for h in text["hits"]] == ["Mail"]
    assert semantic["total"] == 3 and semantic["hits"][0]["name"] in ("Haiku", "Tanka")
    assert hybrid["hits"][0]["name"] == "Haiku"
    lineage = cli.ok("lineage", "Tanka")
    assert "Haiku" in lineage and "Tanka" in lineage
    stats = cli.json("stats", "--period", "all")
    assert (stats["prompts"], stats["versions"], stats["uses"], stats["ratings"]) == (3, 5, 1, 1)
    assert stats["avg_rating"] == 4.0
    backup = cli.ok("backup", str(tmp_path / "backup"))
    assert "backup of" in backup and (tmp_path / "backup" / "manifest.json").is_file()
    assert re.search(r": ok, \d+ tables, \d+ rows", cli.ok("verify", str(tmp_path / "backup")))
    actions = [e["action"] for e in cli.json("audit", "Haiku", "--limit", "10")]
    assert actions[:4] == ["used", "rate", "update", "update"]
    password = env["PROMPTDECK_DB"].partition("password=")[2]
    assert not password or not any(password in text for text in cli.printed)
