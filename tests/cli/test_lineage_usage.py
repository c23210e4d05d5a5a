"""derive, link, unlink, render, use, rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import short_id

if TYPE_CHECKING:
    from tests.cli.conftest import Cli


def test_derive_inherits_fields_and_records_lineage(cli: Cli, sample: dict[str, str]) -> None:
    child = cli.json(
        "derive",
        "Summarise",
        "--model",
        "gpt-4o-mini",
        "--method",
        "shorten",
        "-m",
        "shorter",
        stdin="Summarise {{topic}} in one line.",
    )
    assert child["name"] == "Summarise (derived)"
    assert child["parent_id"] == sample["Summarise"]
    assert child["folder"] == "writing/summaries"
    assert child["model"] == "gpt-4o-mini"
    assert child["enhancement_method"] == "shorten"
    links = cli.json("show", child["id"])["relationships"]
    assert [(r["type"], r["target_id"]) for r in links] == [("derived_from", sample["Summarise"])]


def test_derive_child_marks_an_existing_prompt(cli: Cli, sample: dict[str, str]) -> None:
    other = cli.add("Other", "Another prompt.")
    out = cli.ok("derive", "Explain", "--child", "Other")
    assert out == f"Other ({short_id(other)}) now derives from Explain\n"
    assert cli.json("show", "Other")["prompt"]["parent_id"] == sample["Explain"]


def test_derive_child_refuses_content_flags(cli: Cli, sample: dict[str, str]) -> None:
    assert "--child takes no content" in cli.fails(
        "derive", "Summarise", "--child", "Explain", "--name", "x", code=2
    )


def test_link_and_unlink(cli: Cli, sample: dict[str, str]) -> None:
    out = cli.ok(
        "link",
        "Explain",
        "Summarise",
        "--type",
        "similar_to",
        "--strength",
        "0.7",
        "--context",
        "same job",
    )
    assert out == "linked 'Explain' similar_to 'Summarise'\n"
    shown = cli.ok("show", "Explain")
    assert f"similar_to -> Summarise ({short_id(sample['Summarise'])}) strength 0.7: same job" in (
        shown
    )
    assert "similar_to <- Explain" in cli.ok("show", "Summarise")
    relationship = cli.json("link", "Summarise", "Explain", "--type", "depends_on")
    assert relationship["strength"] == 1.0
    cli.ok("unlink", "Explain", "Summarise", "--type", "similar_to")
    cli.ok("unlink", "Summarise", "Explain", "--type", "depends_on")
    types = [r["type"] for r in cli.json("show", "Explain")["relationships"]]
    assert types == ["derived_from"]
    # Unlinking the derivation detaches the parent too.
    cli.ok("unlink", "Explain", "Summarise", "--type", "derived_from")
    assert cli.json("show", "Explain")["prompt"]["parent_id"] is None


def test_link_refuses_a_derivation_cycle(cli: Cli, sample: dict[str, str]) -> None:
    before = cli.counts()
    message = cli.fails("link", "Summarise", "Explain", "--type", "derived_from")
    assert "cycle" in message
    assert cli.counts() == before


def test_render_fills_variables_and_records_a_rendered_event(
    cli: Cli, sample: dict[str, str]
) -> None:
    before = cli.counts()
    text = cli.ok("render", "Summarise", "topic=DuckDB", "audience=engineers", "extra=ignored")
    assert text == "Summarise DuckDB for engineers."
    assert cli.ok("render", "Summarise", "--vars") == "topic\naudience\n"
    assert cli.json("render", "Summarise", "--vars") == ["topic", "audience"]
    assert cli.json("render", "Explain", "topic=a=b") == {"text": "Explain a=b simply."}
    after = cli.counts()
    assert after["usage_events"] == before["usage_events"] + 2  # --vars renders nothing
    rendered = cli.json("sql", "SELECT count(*) AS n FROM usage_events WHERE event_type='rendered'")
    assert rendered == [{"n": 2}]


def test_render_a_labelled_version(cli: Cli, sample: dict[str, str]) -> None:
    cli.ok("label", "set", "Explain", "production")
    cli.ok("edit", "Explain", stdin="Explain {{topic}} in detail.")
    assert cli.ok("render", "Explain@production", "topic=x") == "Explain x simply."
    assert cli.ok("render", "Explain", "topic=x") == "Explain x in detail."


def test_use_renders_and_records_usage(cli: Cli, sample: dict[str, str]) -> None:
    assert cli.ok("use", "Explain", "topic=DNS") == "Explain DNS simply."
    cli.ok("use", "Explain", "topic=TLS")
    prompt = cli.json("show", "Explain")["prompt"]
    assert prompt["usage_count"] == 2
    assert prompt["last_used_at"] is not None
    assert "uses         2, last " in cli.ok("show", "Explain")


def test_rate_records_feedback(cli: Cli, sample: dict[str, str]) -> None:
    out = cli.ok("rate", "Explain", "4", "--comment", "clear", "--helpful")
    assert out == f"Explain ({short_id(sample['Explain'])}): rated 4/5, average 4.0 from 1\n"
    feedback = cli.json("rate", "Explain", "5", "--not-helpful", "--suggestion", "shorter")
    assert (feedback["rating"], feedback["helpful"], feedback["suggestion"]) == (
        5,
        False,
        "shorter",
    )
    assert cli.json("show", "Explain")["rating"] == {"average": 4.5, "count": 2}
    assert "rating       4.5 from 2" in cli.ok("show", "Explain")
