"""An import embeds the new prompts when embedding is local, as a save does."""

from __future__ import annotations

from pathlib import Path

from storage import Library
from tests.cli.conftest import Cli


def test_import_embeds_with_the_local_provider_and_similar_has_nothing_to_say(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "pack.csv"
    source.write_text(
        "name,content\nLinux Terminal,Act as a linux terminal.\nPoet,Write a short poem.\n",
        encoding="utf-8",
    )
    out = cli.ok("import", str(source))
    assert "embedded 2 prompts for semantic search" in out
    assert cli.json("import", str(tmp_path / "pack.csv"))["imported"] == 0  # duplicates
    result = cli("similar", "Linux Terminal")
    assert result.exit_code == 0 and result.stderr == "" and "Poet" in result.stdout


def test_similar_names_the_prompts_without_vectors(cli: Cli, tmp_path: Path) -> None:
    cli.ok("add", "--name", "Linux Terminal", stdin="Act as a linux terminal.")
    cli.ok("add", "--name", "Poet", stdin="Write a short poem.")
    # The vector lost, as after an import with a remote provider.
    with Library(cli.db) as library, library.db.write() as con:
        con.execute(
            "DELETE FROM prompt_embeddings "
            "WHERE prompt_id IN (SELECT id FROM prompts WHERE name = 'Poet')"
        )
    result = cli("similar", "Linux Terminal")
    assert result.exit_code == 0
    assert "promptdeck: note: 1 prompt has no vector" in result.stderr
