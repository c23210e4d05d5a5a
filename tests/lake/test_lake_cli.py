"""The CLI on a team library: --db ducklake:postgres:..., PROMPTDECK_LAKE_DATA and the config
file's [library] table; the password in the conninfo is never printed, nor stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.lake.conftest import Lake
from tui.main import main


@pytest.fixture(autouse=True)
def _config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text('[library]\nactor = "ana"\n\n[embedding]\nprovider = "local"\n')
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(config))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PROMPTDECK_DB", raising=False)
    monkeypatch.delenv("PROMPTDECK_LAKE_DATA", raising=False)
    return config


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def test_verbs_on_a_lake_never_show_the_password(lake: Lake) -> None:
    env = {"PROMPTDECK_DB": lake.db, "PROMPTDECK_LAKE_DATA": str(lake.data)}
    added = run("add", "--name", "Haiku", stdin="Write a haiku about {{topic}}", env=env)
    assert added.exit_code == 0, added.stderr
    assert "created a new library at ducklake:postgres:" in added.stderr
    outputs = [added.stdout + added.stderr]
    for verb in (("tag", "add", "Haiku", "poetry"), ("rate", "Haiku", "5"), ("list",)):
        result = run(*verb, env={"PROMPTDECK_DB": lake.db})  # the data folder is remembered
        assert result.exit_code == 0, (verb, result.stderr)
        outputs.append(result.stdout + result.stderr)
    audit = run("--db", lake.db, "sql", "SELECT * FROM audit_log ORDER BY id")
    actors = run("--db", lake.db, "sql", "SELECT DISTINCT actor FROM audit_log")
    assert actors.stdout.split() == ["actor", "ana"]  # the config file's [library] actor
    attached = run("--db", lake.db, "sql", "SELECT path FROM duckdb_databases()")
    assert attached.exit_code == 0 and "ducklake:postgres:" not in attached.stdout
    outputs += [audit.stdout, attached.stdout]
    twice = run("--db", lake.db, "add", "--name", "Again", stdin="Write a haiku about {{topic}}")
    assert twice.exit_code == 1 and twice.stderr.count("\n") == 1, twice.stderr
    outputs.append(twice.stderr)
    assert not any(lake.password in text for text in outputs)


def test_a_wrong_password_or_no_data_folder_is_one_line_without_secrets(lake: Lake) -> None:
    wrong = lake.db.replace(lake.password, "not-the-password")
    refused = run("--db", wrong, "list")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "password authentication failed" in refused.stderr
    assert "not-the-password" not in refused.stderr and lake.password not in refused.stderr
    no_data = run("--db", lake.db, "list")
    assert no_data.exit_code == 1 and "PROMPTDECK_LAKE_DATA" in no_data.stderr
    assert lake.password not in no_data.stderr
