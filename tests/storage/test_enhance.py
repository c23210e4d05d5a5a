"""Enhancing a prompt with a chat model on 127.0.0.1: the run asks with the phase's
instructions, and its answer is kept as a derived prompt or a new version (with a history row
tied to the run, in lineage) or refused with the library unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from storage import Library, Run, RunStream
from storage.errors import DuplicateContent, LLMError, ValidationError
from storage.llm import ChatProvider
from storage.runs.phases import PHASES, Enhancement
from tests.storage.chat_api import KINDS, ChatApi, Reply, chat_provider
from tests.storage.conftest import Sql

ORIGINAL = "Summarise {{text}} for {{audience}}."
BETTER = ("Summarise {{text}} for {{audience}}", " in three bullet points", ".")


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture(params=KINDS)
def provider(request: pytest.FixtureRequest, api: ChatApi) -> ChatProvider:
    return chat_provider(request.param, api.url, [])


def _texts(body: Any) -> Iterator[str]:
    """Every string in a request body, whichever protocol put the messages where."""
    if isinstance(body, str):
        yield body
    elif isinstance(body, dict):
        for value in body.values():
            yield from _texts(value)
    elif isinstance(body, list):
        for value in body:
            yield from _texts(value)


def enhance(
    library: Library, provider: ChatProvider, ref: str = "Summarise", phase: str = "precision"
) -> Run:
    prepared = library.enhance.prepare(
        ref, Enhancement(phase, "concise"), provider=provider.name, model=provider.model
    )
    stream = RunStream(library.runs, prepared, provider)
    list(stream)
    assert stream.run is not None
    return stream.run


def test_the_run_asks_with_the_phase_and_is_recorded_as_an_enhancement(
    library: Library, provider: ChatProvider, api: ChatApi
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL, model="tiny", temperature=1.5)
    api.script(Reply(pieces=BETTER))
    run = enhance(library, provider)
    body = api.requests[-1].body
    sent = "\n".join(_texts(body))
    assert PHASES["precision"] in sent and f"<prompt>\n{ORIGINAL}\n</prompt>" in sent
    assert body.get("temperature") is None  # the prompt's own parameters are for running it
    assert (run.prompt_id, run.version, run.status) == (prompt.id, 1, "ok")
    assert run.parameters["enhance"] == {"phase": "precision", "method": "concise"}
    proposal = library.enhance.proposal(run)
    assert proposal.original == ORIGINAL
    assert proposal.content == "".join(BETTER)


def test_kept_as_a_prompt_it_derives_from_the_one_enhanced(
    library: Library, provider: ChatProvider, api: ChatApi
) -> None:
    parent = library.prompts.create("Summarise", ORIGINAL, folder="writing", tags=["summary"])
    api.script(Reply(pieces=BETTER))
    run = enhance(library, provider)
    child = library.enhance.keep(run)
    assert (child.name, child.content) == ("Summarise (precision)", "".join(BETTER))
    assert (child.parent_id, child.source_type, child.phase) == (parent.id, "enhanced", "precision")
    assert (child.folder, child.tags, child.enhancement_method) == (
        "writing",
        ("summary",),
        "precision:concise",
    )
    _, history = library.db.query(
        "SELECT prompt_id, parent_id, method, original_content, provider, model, run_id "
        "FROM enhancement_history"
    )
    assert history == [
        (child.id, parent.id, "precision:concise", ORIGINAL, provider.name, run.answered_by, run.id)
    ]
    graph = library.lineage.graph(child.id)
    assert parent.id in {node.id for node in graph.nodes}
    assert library.prompts.get(parent.id).generation_count == 1


def test_kept_as_a_version_it_is_the_next_version(
    library: Library, provider: ChatProvider, api: ChatApi, sql: Sql
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=BETTER))
    run = enhance(library, provider, phase="human")
    kept = library.enhance.keep(run, keep_as="version")
    assert (kept.id, kept.current_version, kept.content) == (prompt.id, 2, "".join(BETTER))
    history = library.versions.history(prompt.id)
    assert history[-1].change_message.startswith("enhanced (human:concise, run ")
    assert sql("SELECT prompt_id, parent_id, run_id FROM enhancement_history") == [
        (prompt.id, prompt.id, run.id)
    ]


def test_a_version_is_refused_once_the_prompt_has_moved_on(
    library: Library, provider: ChatProvider, api: ChatApi
) -> None:
    prompt = library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=BETTER))
    run = enhance(library, provider)
    library.prompts.update(prompt.id, {"content": ORIGINAL + " Be brief."})
    counts = library.db.table_counts()
    with pytest.raises(ValidationError, match="enhanced v1 of 'Summarise', which is at v2 now"):
        library.enhance.keep(run, keep_as="version")
    assert library.db.table_counts() == counts
    assert library.enhance.keep(run).parent_id == prompt.id  # as a new prompt it still can


@pytest.mark.parametrize(
    ("pieces", "reason"),
    [
        (("Summarise {{text}}.",), "dropped the variable.s. audience"),
        (("```\n", "\n```"), "answered with no prompt"),
        (('{{role "narrator"}}\n{{text}} {{audience}}',), "unknown role 'narrator'"),
    ],
)
def test_an_answer_that_cannot_be_kept_changes_nothing(
    library: Library,
    provider: ChatProvider,
    api: ChatApi,
    pieces: tuple[str, ...],
    reason: str,
) -> None:
    library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=pieces))
    run = enhance(library, provider)
    counts = library.db.table_counts()
    with pytest.raises(ValidationError, match=reason):
        library.enhance.keep(run)
    assert library.db.table_counts() == counts


def test_the_same_answer_twice_is_a_duplicate(
    library: Library, provider: ChatProvider, api: ChatApi
) -> None:
    library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(pieces=BETTER), Reply(pieces=BETTER))
    library.enhance.keep(enhance(library, provider))
    with pytest.raises(DuplicateContent):
        library.enhance.keep(enhance(library, provider))


def test_a_failed_or_plain_run_has_nothing_to_keep(
    library: Library, provider: ChatProvider, api: ChatApi
) -> None:
    library.prompts.create("Summarise", ORIGINAL)
    api.script(Reply(status=400, body={"error": "bad request"}))
    prepared = library.enhance.prepare(
        "Summarise", Enhancement("idea"), provider=provider.name, model=provider.model
    )
    stream = RunStream(library.runs, prepared, provider)
    with pytest.raises(LLMError):
        list(stream)
    assert stream.run is not None
    with pytest.raises(ValidationError, match=r"did not finish \(failed\)"):
        library.enhance.keep(stream.run)
    plain = library.runs.prepare(
        "Summarise",
        {"text": "t", "audience": "a"},
        provider=provider.name,
        default_model=provider.model,
    )
    ran = RunStream(library.runs, plain, provider)
    list(ran)
    assert ran.run is not None
    with pytest.raises(ValidationError, match="is not an enhancement run"):
        library.enhance.keep(ran.run)


def test_a_version_four_library_gains_the_run_of_each_enhancement(tmp_path: Path) -> None:
    path = tmp_path / "v4.duckdb"
    with Library(path) as library:
        parent = library.prompts.create("Parent", "first text")
        library.lineage.derive(parent.id, content="second text")
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE enhancement_history DROP COLUMN run_id")
    con.execute("DELETE FROM schema_migrations WHERE version >= 5")
    con.close()
    with Library(path) as library:
        _, rows = library.db.query("SELECT method, run_id FROM enhancement_history")
        assert rows == [("manual", None)]
