"""tag *, label *, archive, unarchive, rm."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import short_id

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def test_tag_add_rm_list_and_colour(cli: Cli, sample: dict[str, str]) -> None:
    out = cli.ok("tag", "add", "Summarise", "weekly", "digest")
    assert out == f"Summarise ({short_id(sample['Summarise'])}): tags news, weekly, digest\n"
    cli.ok("tag", "rm", "Summarise", "news", "digest")
    assert cli.json("show", "Summarise")["prompt"]["tags"] == ["weekly"]
    assert cli.ok("tag", "colour", "weekly", "#ff8800") == "tag weekly: colour #ff8800\n"
    assert cli.json("tag", "list") == [
        {"name": "news", "colour": None, "prompts": 1},  # Explain's, inherited when derived
        {"name": "weekly", "colour": "#ff8800", "prompts": 1},
    ]
    assert cli.ok("tag", "list") == (
        "TAG     PROMPTS  COLOUR\nnews          1\nweekly        1  #ff8800\n"
    )
    versions = cli.json("versions", "Summarise")
    assert [v["change_message"] for v in versions[1:]] == [
        "tagged weekly, digest",
        "untagged digest, news",
    ]


def test_tag_rm_of_a_missing_tag_fails(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    assert cli.fails("tag", "rm", "Summarise", "nope") == (
        "promptdeck: prompt 'Summarise' has no tag 'nope'"
    )
    assert cli.counts() == before


def test_label_set_show_list_and_rm(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("edit", "Summarise", "-m", "v2", stdin="Summarise {{topic}}, version two.")
    out = cli.ok("label", "set", "Summarise", "production", "--version", "1")
    assert out == f"Summarise ({short_id(sample['Summarise'])}): production -> version 1\n"
    cli.ok("label", "set", "Summarise", "staging")
    shown = cli.json("show", "Summarise@production")
    assert shown["version"]["version"] == 1
    assert shown["version"]["content"] == "Summarise {{topic}} for {{audience}}."
    assert "labels       production=1, staging=2\n" in cli.ok("show", "Summarise@production")
    assert [(x["label"], x["version"]) for x in cli.json("label", "list", "Summarise")] == [
        ("production", 1),
        ("staging", 2),
    ]
    table = cli.ok("label", "list", "Summarise").splitlines()
    assert table[0].split() == ["LABEL", "VERSION", "UPDATED"]
    assert table[1].split()[:2] == ["production", "1"]
    cli.ok("label", "rm", "Summarise", "staging")
    assert cli.ok("label", "list", "Explain") == "(no labels)\n"
    assert [x["label"] for x in cli.json("label", "list", "Summarise")] == ["production"]
    assert cli.fails("show", "Summarise@staging") == (
        "promptdeck: prompt 'Summarise' has no label 'staging'"
    )


def test_archive_and_unarchive(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("archive", "Explain")
    assert [p["name"] for p in cli.json("list")] == ["Summarise"]
    assert [p["name"] for p in cli.json("list", "--archived")] == ["Explain"]
    assert "archived" in cli.fails("archive", "Explain")
    cli.ok("unarchive", "Explain")
    assert {p["name"] for p in cli.json("list")} == {"Summarise", "Explain"}


def test_rm_refuses_a_parent_without_force(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    message = cli.fails("rm", "Summarise")
    assert "'Summarise' has 1 derived prompt(s) ('Explain')" in message
    assert cli.counts() == before
    out = cli.ok("rm", "Summarise", "--force")
    assert out == f"Summarise ({short_id(sample['Summarise'])}): deleted\n"
    assert [p["name"] for p in cli.json("list")] == ["Explain"]
    assert cli.json("show", "Explain")["prompt"]["parent_id"] is None


def test_rm_a_leaf(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("rm", "Explain")
    assert cli.fails("show", "Explain") == "promptdeck: no prompt matches 'Explain'"
    assert cli.counts()["prompts"] == 1
