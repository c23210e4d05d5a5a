"""add, list, show, edit, versions, diff, revert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from storage.models import short_id

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def test_add_from_stdin_prints_the_id_and_stores_every_flag(cli: Cli) -> None:
    prompt_id = cli.add(
        "Summarise",
        "Summarise {{topic}}.",
        "--description",
        "short summaries",
        "--folder",
        "writing/summaries",
        "--tag",
        "news",
        "--tag",
        "short",
        "--phase",
        "draft",
        "--provider",
        "openai",
        "--model",
        "gpt-4o",
        "--temperature",
        "0.2",
        "--max-tokens",
        "300",
        "--persona",
        "editor",
        "--target-model-family",
        "gpt",
        "--format",
        "markdown",
        "--language",
        "en",
        "--metadata",
        '{"team": "docs"}',
        "-m",
        "first draft",
    )
    shown = cli.json("show", prompt_id)
    prompt = shown["prompt"]
    assert prompt["id"] == prompt_id
    assert prompt["content"] == "Summarise {{topic}}."
    assert prompt["tags"] == ["news", "short"]
    assert prompt["temperature"] == 0.2
    assert prompt["max_tokens"] == 300
    assert prompt["format_type"] == "markdown"
    assert prompt["metadata"] == {"team": "docs"}
    assert (prompt["folder"], prompt["phase"], prompt["persona"]) == (
        "writing/summaries",
        "draft",
        "editor",
    )
    assert shown["variables"] == ["topic"]
    assert cli.json("versions", prompt_id)[0]["change_message"] == "first draft"


def test_add_from_file_and_json_output(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "prompt.md"
    source.write_text("# Review\nReview this code.\n", encoding="utf-8")
    prompt = cli.json("add", "--name", "Review", "--file", str(source))
    assert prompt["content"] == "# Review\nReview this code.\n"
    assert prompt["current_version"] == 1


def test_add_with_parent_derives(cli: Cli) -> None:
    parent = cli.add("Base", "Base prompt.", "--model", "gpt-4o")
    child = cli.json("add", "--name", "Child", "--parent", parent, stdin="Child prompt.")
    assert child["parent_id"] == parent
    assert child["model"] == "gpt-4o"  # inherited
    assert child["source_type"] == "derived"


def test_list_table_and_json(cli: Cli, sample: dict[str, str]) -> None:
    text = cli.ok("list", "--sort", "name")
    header, *rows = text.splitlines()
    assert header.split() == ["ID", "NAME", "FOLDER", "TAGS", "MODEL", "USES", "RATING", "UPDATED"]
    assert [row.split()[1] for row in rows] == ["Explain", "Summarise"]
    assert rows[1].startswith(short_id(sample["Summarise"]))
    # Columns are aligned: every row's NAME starts where the header's does.
    assert {row.index(name) for row, name in zip(rows, ("Explain", "Summarise"), strict=True)} == {
        header.index("NAME")
    }
    listed = cli.json("list")
    assert {p["id"] for p in listed} == set(sample.values())
    assert {p["name"] for p in listed} == {"Summarise", "Explain"}


def test_list_filters_sort_and_limit(cli: Cli) -> None:
    cli.add("Alpha", "alpha text", "--folder", "a/b", "--tag", "x", "--model", "m1")
    cli.add("Beta", "beta text", "--folder", "a", "--tag", "x", "--tag", "y", "--phase", "p")
    cli.add("Gamma", "gamma needle", "--provider", "prov")

    def names(*args: str) -> list[str]:
        return [p["name"] for p in cli.json("list", *args)]

    assert names("--folder", "a", "--sort", "name") == ["Alpha", "Beta"]
    assert names("--tag", "x", "--tag", "y") == ["Beta"]
    assert names("--phase", "p") == ["Beta"]
    assert names("--provider", "prov") == ["Gamma"]
    assert names("--model", "m1") == ["Alpha"]
    assert names("--search", "NEEDLE") == ["Gamma"]
    assert names("--sort", "name") == ["Alpha", "Beta", "Gamma"]
    assert names("--sort", "name", "--desc") == ["Gamma", "Beta", "Alpha"]
    assert names("--sort", "created", "--asc", "--limit", "2") == ["Alpha", "Beta"]
    assert cli.ok("list", "--archived") == "(no prompts)\n"


def test_list_clips_long_cells(cli: Cli) -> None:
    cli.add("N" * 80, "long name")
    row = cli.ok("list").splitlines()[1]
    assert "N" * 31 + "…" in row
    assert "N" * 33 not in row


def test_show_text_has_fields_links_and_content(cli: Cli, sample: dict[str, str]) -> None:
    text = cli.ok("show", "Explain")
    assert text.startswith("name         Explain\n")
    assert f"id           {sample['Explain']}\n" in text
    assert "version      1 of 1\n" in text
    assert "folder       writing/summaries\n" in text
    assert f"parent       Summarise ({short_id(sample['Summarise'])})\n" in text
    assert f"links        derived_from -> Summarise ({short_id(sample['Summarise'])})" in text
    assert "variables    topic\n" in text
    assert text.endswith("\n\nExplain {{topic}} simply.\n")
    parent = cli.ok("show", "Summarise")
    assert "derived_from <- Explain" in parent


def test_show_content_only_is_exact(cli: Cli) -> None:
    prompt_id = cli.add("Exact", "line one\nline two")
    assert cli.ok("show", prompt_id, "--content-only") == "line one\nline two"


def test_references_short_id_prefix_name_and_pins(cli: Cli, sample: dict[str, str]) -> None:
    full = sample["Summarise"]
    for ref in (full, short_id(full), full[:20], "Summarise"):
        assert cli.json("show", ref)["prompt"]["id"] == full
    cli.ok("edit", "Summarise", "-m", "v2", stdin="Summarise {{topic}} briefly.")
    assert (
        cli.ok("show", "Summarise@1", "--content-only") == "Summarise {{topic}} for {{audience}}."
    )
    assert cli.ok("show", "Summarise", "--version", "1", "--content-only").endswith("}}.")
    assert cli.ok("show", "Summarise@latest", "--content-only") == "Summarise {{topic}} briefly."
    pinned = cli.json("show", f"{short_id(full)}@1")
    assert pinned["version"]["version"] == 1
    assert "version      1 of 2 (pinned)" in cli.ok("show", "Summarise@1")


def test_edit_content_and_flags_make_new_versions(cli: Cli, sample: dict[str, str]) -> None:
    out = cli.ok("edit", "Summarise", "-m", "shorter", stdin="Summarise {{topic}} in a line.")
    assert out == f"Summarise ({short_id(sample['Summarise'])}): saved version 2\n"
    # No stdin content: only the flags given change.
    cli.ok("edit", "Summarise", "--model", "gpt-4o-mini", "--tag", "a", "--tag", "b")
    prompt = cli.json("show", "Summarise")["prompt"]
    assert prompt["current_version"] == 3
    assert prompt["content"] == "Summarise {{topic}} in a line."
    assert prompt["model"] == "gpt-4o-mini"
    assert prompt["tags"] == ["a", "b"]
    assert prompt["folder"] == "writing/summaries"
    cli.ok("edit", "Summarise", "--clear-tags", "--temperature", "", "--name", "Summary")
    prompt = cli.json("show", "Summary")["prompt"]
    assert (prompt["tags"], prompt["temperature"], prompt["current_version"]) == ([], None, 4)


def test_edit_from_file(cli: Cli, sample: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "new.txt"
    source.write_text("From a file.", encoding="utf-8")
    edited = cli.json("edit", "Explain", "--file", str(source), "-m", "from file")
    assert edited["content"] == "From a file."


def test_versions_diff_and_revert(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("edit", "Summarise", "-m", "bullets", stdin="Summarise {{topic}} as bullets.")
    cli.ok("edit", "Summarise", "--temperature", "0.7", "-m", "warmer")
    cli.ok("label", "set", "Summarise", "production", "--version", "1")
    table = cli.ok("versions", "Summarise").splitlines()
    assert table[0].split() == ["VERSION", "CREATED", "NAME", "MESSAGE", "LABELS"]
    assert table[1].split()[0] == "1" and table[1].endswith("production")
    assert table[3].split()[0] == "3*" and "warmer" in table[3]
    assert [v["version"] for v in cli.json("versions", "Summarise")] == [1, 2, 3]

    assert cli.ok("diff", "Summarise") == "# temperature: 0.2 -> 0.7\n"
    full = cli.ok("diff", "Summarise", "1", "3")
    assert "-Summarise {{topic}} for {{audience}}." in full
    assert "+Summarise {{topic}} as bullets." in full
    assert cli.ok("diff", "Summarise@production") == full
    assert cli.json("diff", "Summarise", "1", "2")["changed_fields"] == {}
    assert cli.ok("diff", "Summarise", "2", "2") == "versions 2 and 2 are the same\n"

    out = cli.ok("revert", "Summarise", "1")
    assert out.endswith("version 1 restored as version 4\n")
    prompt = cli.json("show", "Summarise")["prompt"]
    assert prompt["content"] == "Summarise {{topic}} for {{audience}}."
    assert prompt["temperature"] == 0.2
    assert cli.json("versions", "Summarise")[-1]["change_message"] == "restored version 1"
    cli.ok("revert", "Summarise", "2", "-m", "back to bullets")
    assert cli.json("versions", "Summarise")[-1]["change_message"] == "back to bullets"


def test_json_output_is_parseable_for_every_read_verb(cli: Cli, sample: dict[str, str]) -> None:
    for args in (
        ("list",),
        ("show", "Summarise"),
        ("versions", "Summarise"),
        ("diff", "Summarise", "1", "1"),
        ("render", "Explain", "topic=x"),
        ("render", "Explain", "--vars"),
        ("tag", "list"),
        ("label", "list", "Summarise"),
        ("stats",),
        ("sql", "SELECT 1 AS one"),
        ("audit",),
    ):
        json.loads(cli.ok(*args, "--json"))
