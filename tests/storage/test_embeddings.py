"""Stored embeddings: embed_missing batch by batch (a failure keeps earlier batches, a rerun
resumes), stale vectors, reembed switching the active model only when complete, thresholds,
and the embedding of a saved prompt (a failure is a notice, never a lost save). Remote
providers talk to a real HTTP server on 127.0.0.1 (tests/storage/embedding_api.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from storage import Library
from storage.errors import EmbeddingFailed, ProviderError, ValidationError
from storage.search.embedding import (
    EmbeddingProvider,
    LocalProvider,
    OpenAIProvider,
    ProviderSettings,
)
from storage.search.embeddings import embedding_text
from tests.storage.conftest import Sql
from tests.storage.embedding_api import EmbeddingApi, Reply

TEXTS = [
    ("Linux Terminal", "Act as a linux terminal and answer commands with their output."),
    ("Poet", "Act as a poet: write poems that stir feelings, on any topic asked."),
    ("Travel Guide", "Act as a travel guide: suggest places to visit near a location."),
    ("Doctor", "Act as a doctor and suggest treatments for the symptoms described."),
    ("Chef", "Act as a chef: propose recipes from the ingredients I have."),
]


@pytest.fixture
def api() -> Iterator[EmbeddingApi]:
    with EmbeddingApi(dims=8) as server:
        yield server


def remote(api: EmbeddingApi, *, model: str = "emb", dims: int | None = 8) -> OpenAIProvider:
    settings = ProviderSettings(
        "openai", model=model, base_url=api.url + "/v1", dims=dims, max_retries=0, timeout=2.0
    )
    return OpenAIProvider(settings, sleep=lambda _: None, jitter=False)


def fill(library: Library) -> list[str]:
    return [library.prompts.create(name, content, description="").id for name, content in TEXTS]


def stored(sql: Sql, model: str) -> dict[str, str]:
    return dict(
        sql("SELECT prompt_id, content_hash FROM prompt_embeddings WHERE model = ?", [model])
    )


def test_embeds_every_live_prompt_with_the_hash_of_its_text(library: Library, sql: Sql) -> None:
    ids = fill(library)
    library.prompts.archive(ids[-1])
    progress: list[tuple[int, int]] = []
    report = library.embeddings.embed_missing(
        LocalProvider(), batch_size=3, progress=lambda *p: progress.append(p)
    )
    assert (report.embedded, report.batches, report.up_to_date) == (4, 2, 0)
    assert progress == [(0, 4), (3, 4), (4, 4)]
    hashes = stored(sql, "local-ngram-384")
    assert set(hashes) == set(ids[:-1])
    prompt = library.prompts.get(ids[0])
    text = embedding_text(prompt.name, prompt.description, prompt.content)
    assert hashes[ids[0]] == hashlib.sha256(text.encode()).hexdigest()
    vector = sql("SELECT embedding FROM prompt_embeddings WHERE prompt_id = ?", [ids[0]])[0][0]
    assert np.allclose(vector, LocalProvider().embed([text])[0])
    assert library.embeddings.active_model() == "local-ngram-384"
    assert sql("SELECT count(*) FROM audit_log WHERE action = 'embed'") == [(2,)]


def test_edits_make_vectors_stale_and_a_rerun_embeds_only_those(library: Library) -> None:
    ids = fill(library)
    library.embeddings.embed_missing(LocalProvider())
    library.prompts.update(
        ids[1], {"description": "Verses on demand"}
    )  # description is embedded too
    library.prompts.update(ids[2], {"folder": "travel"})  # the folder is not
    status = library.embeddings.status()[0]
    assert (status.vectors, status.current, status.stale, status.missing) == (5, 4, 1, 0)
    library.prompts.create("Chemist", "Act as a chemist.")
    assert library.embeddings.status()[0].missing == 1
    report = library.embeddings.embed_missing(LocalProvider())
    assert (report.embedded, report.up_to_date) == (2, 4)
    assert library.embeddings.embed_missing(LocalProvider()).embedded == 0


def test_a_failing_batch_keeps_the_earlier_ones_and_a_rerun_resumes(
    library: Library, sql: Sql, api: EmbeddingApi
) -> None:
    fill(library)
    api.script(Reply(), Reply(500, body={"error": "boom"}))
    with pytest.raises(EmbeddingFailed) as caught:
        library.embeddings.embed_missing(remote(api), batch_size=2)
    assert (caught.value.done, caught.value.total) == (2, 5)
    assert "500" in str(caught.value) and "2 of 5 prompts embedded" in str(caught.value)
    assert len(stored(sql, "emb")) == 2
    report = library.embeddings.embed_missing(remote(api), batch_size=2)
    assert (report.embedded, report.up_to_date) == (3, 2)
    assert len(stored(sql, "emb")) == 5


@pytest.mark.parametrize(
    "reply",
    [Reply(dims=7), Reply(count=1), Reply(body={"data": "nope"}), Reply(body=b"not json")],
    ids=["wrong-dimension", "partial-batch", "malformed", "not-json"],
)
def test_a_bad_answer_changes_nothing(library: Library, api: EmbeddingApi, reply: Reply) -> None:
    fill(library)
    before = library.db.table_counts()
    api.script(reply)
    with pytest.raises(EmbeddingFailed) as caught:
        library.embeddings.embed_missing(remote(api), batch_size=10)
    assert isinstance(caught.value.__cause__, ProviderError)
    assert "\n" not in str(caught.value)
    assert library.db.table_counts() == before
    assert library.embeddings.active_model() is None


def test_a_model_keeps_one_width(library: Library, api: EmbeddingApi) -> None:
    fill(library)
    library.embeddings.embed_missing(remote(api), batch_size=2)
    library.prompts.create("Chemist", "Act as a chemist.")
    before = library.db.table_counts()
    with EmbeddingApi(dims=16) as wider, pytest.raises(EmbeddingFailed, match="8-dimension"):
        library.embeddings.embed_missing(remote(wider, dims=16))
    assert library.db.table_counts() == before


def test_reembed_switches_only_when_the_new_set_is_complete(
    library: Library, api: EmbeddingApi
) -> None:
    fill(library)
    library.embeddings.embed_missing(LocalProvider())
    api.script(Reply(), Reply(503))
    with pytest.raises(EmbeddingFailed):
        library.embeddings.reembed(remote(api), batch_size=2)
    assert library.embeddings.active_model() == "local-ngram-384"
    hits = library.search.search("linux terminal", mode="semantic").hits  # old vectors still serve
    assert hits[0].name == "Linux Terminal"
    report = library.embeddings.reembed(remote(api), batch_size=2)
    assert (report.embedded, report.switched, report.active_model) == (3, True, "emb")
    assert library.embeddings.active_model() == "emb"
    assert {s.model: s.active for s in library.embeddings.status()} == {
        "emb": True,
        "local-ngram-384": False,
    }


def test_thresholds_per_model(library: Library, sql: Sql) -> None:
    assert library.embeddings.similarity_threshold("local-ngram-384") == 0.92
    assert (
        library.embeddings.similarity_threshold("text-embedding-3-small") == 0.7
    )  # the global default
    sql(
        "INSERT INTO config VALUES ('vector_similarity_threshold:text-embedding-3-small', '0.8', "
        "''), ('vector_similarity_threshold:local-ngram-384', '0.95', '')"
    )
    assert library.embeddings.similarity_threshold("text-embedding-3-small") == 0.8
    assert library.embeddings.similarity_threshold("local-ngram-384") == 0.95
    assert library.embeddings.similarity_threshold("other") == 0.7
    before = library.db.table_counts()
    for bad in (0, 1.5, "high", True):
        with pytest.raises(ValidationError, match="vector_similarity_threshold"):
            library.settings.set("vector_similarity_threshold", bad)
    assert library.db.table_counts() == before


def test_batch_size_must_be_positive(library: Library) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        library.embeddings.embed_missing(LocalProvider(), batch_size=0)


# -- after a save ---------------------------------------------------------------------------


def embedding(
    library_path: Path, new_library: Callable[..., Library], provider: EmbeddingProvider
) -> Library:
    return new_library(library_path, embedder=provider)


def test_a_save_embeds_and_warns_of_a_near_twin(
    library_path: Path, new_library: Callable[..., Library], sql: Sql
) -> None:
    library = embedding(library_path, new_library, LocalProvider())
    first = library.prompts.create("Linux Terminal", TEXTS[0][1])
    assert library.embeddings.after_save(first) == ()
    assert len(stored(sql, "local-ngram-384")) == 1
    twin = library.prompts.create("Linux Terminal", TEXTS[0][1] + " Please.")
    assert twin.id not in stored(sql, "local-ngram-384")  # a save alone calls no provider
    notices = library.embeddings.after_save(twin)
    assert [n.kind for n in notices] == ["near_duplicate"]
    assert notices[0].prompt_id == first.id and notices[0].score is not None
    assert notices[0].score >= 0.92 and first.id[-8:] in notices[0].message
    edited = library.prompts.update(twin.id, {"content": TEXTS[1][1]})
    assert library.embeddings.after_save(edited) == ()
    prompt = library.prompts.get(edited.id)
    text = embedding_text(prompt.name, prompt.description, prompt.content)
    assert stored(sql, "local-ngram-384")[edited.id] == hashlib.sha256(text.encode()).hexdigest()
    child = library.lineage.derive(first.id, name="Shell", content="Act as a bash shell.")
    library.embeddings.after_save(child)
    assert child.id in stored(sql, "local-ngram-384")


def test_a_failing_embedder_costs_the_vector_not_the_save(
    library_path: Path, new_library: Callable[..., Library], sql: Sql, api: EmbeddingApi
) -> None:
    library = embedding(library_path, new_library, remote(api))
    api.script(Reply(401, body={"error": "bad key"}))
    prompt = library.prompts.create("Poet", TEXTS[1][1])
    notices = library.embeddings.after_save(prompt)
    assert library.prompts.get(prompt.id).content == TEXTS[1][1]
    assert [n.kind for n in notices] == ["not_embedded"]
    assert "'Poet' was saved but not embedded" in notices[0].message and "401" in notices[0].message
    assert stored(sql, "emb") == {}
    assert library.embeddings.embed_missing(remote(api)).embedded == 1  # the next run catches up
