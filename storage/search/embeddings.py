"""Stored embeddings: embedding what is missing or stale, migrating to a new model, and the
near-duplicate warning after a save.

What is embedded: a prompt's name, description (when not empty) and content, joined by blank
lines (`embedding_text`). prompt_embeddings.content_hash is the sha256 of that text, so a
vector goes stale when any of the three changes.

Config keys (table `config`):
* `embedding_model`: the model semantic search uses (the "active" one). The first model
  embedded becomes active; `reembed` switches to a new one only once every live prompt has a
  current vector of it, so the old vectors serve search until then.
* `vector_similarity_threshold:<model>`: cosine at which a save warns of a near duplicate,
  for that model; without it the bundled models use their measured defaults (MODEL_THRESHOLDS)
  and other models `vector_similarity_threshold`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import duckdb
import numpy as np

from storage.db.database import Database
from storage.errors import EmbeddingFailed, PromptdeckError, ProviderError, ValidationError
from storage.models import Prompt, Record
from storage.search.embedding import (
    EmbeddingProvider,
    Matrix,
    WordLlamaProvider,
    normalise,
    offline_provider,
)

ACTIVE_MODEL_KEY = "embedding_model"
THRESHOLD_KEY = "vector_similarity_threshold"
# Near-duplicate cosines of the bundled models, measured on awesome-chatgpt-prompts (README,
# "Near duplicates"): lexical vectors of unrelated prompts score higher than neural ones.
MODEL_THRESHOLDS = {"local-ngram-": 0.92, "wordllama-": 0.9}

# The text embedded for a prompt, as SQL over alias p (must equal embedding_text below).
EMBEDDED_TEXT_SQL = "concat_ws(chr(10) || chr(10), p.name, nullif(p.description, ''), p.content)"
EMBEDDED_HASH_SQL = f"sha256({EMBEDDED_TEXT_SQL})"

Progress = Callable[[int, int], None]  # (prompts embedded so far, prompts to embed)


def embedding_text(name: str, description: str, content: str) -> str:
    return "\n\n".join(part for part in (name, description, content) if part)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class EmbedReport(Record):
    model: str
    provider: str
    embedded: int  # vectors written by this run
    up_to_date: int  # live prompts whose vector was already current
    batches: int
    active_model: str | None  # the model search uses after the run
    switched: bool  # this run made `model` the active one


@dataclass(frozen=True, slots=True)
class EmbeddingStatus(Record):
    model: str
    provider: str | None
    dims: int | None
    vectors: int  # stored, for live and archived prompts
    current: int  # live prompts whose vector matches their text
    stale: int  # live prompts whose vector was made from older text
    missing: int  # live prompts without a vector
    active: bool
    threshold: float


@dataclass(frozen=True, slots=True)
class SaveNotice(Record):
    """Something a caller should tell the user after a save; never a refusal."""

    kind: str  # "near_duplicate" | "not_embedded"
    message: str
    prompt_id: str | None = None  # the near twin
    score: float | None = None


class EmbeddingService:
    """Vectors for the prompts. `embedder` (when configured) embeds each saved prompt, asked
    by the caller after the save (`after_save`): a save itself never calls a provider."""

    def __init__(self, db: Database, embedder: EmbeddingProvider | None = None) -> None:
        self._db = db
        self.embedder = embedder

    # -- config ----------------------------------------------------------------------------

    def active_model(self) -> str | None:
        with self._db.read() as con:
            return _config(con, ACTIVE_MODEL_KEY)

    def similarity_threshold(self, model: str | None = None) -> float:
        """The near-duplicate cosine for `model` (default: the active model)."""
        with self._db.read() as con:
            return self._threshold(con, model or _config(con, ACTIVE_MODEL_KEY))

    def _threshold(self, con: duckdb.DuckDBPyConnection, model: str | None) -> float:
        if model:
            own = _config(con, f"{THRESHOLD_KEY}:{model}")
            if own is not None:
                return float(own)
            for prefix, threshold in MODEL_THRESHOLDS.items():
                if model.startswith(prefix):
                    return threshold
        return float(_config(con, THRESHOLD_KEY) or 0.7)

    # -- embedding -------------------------------------------------------------------------

    def embed_missing(
        self, provider: EmbeddingProvider, batch_size: int = 64, progress: Progress | None = None
    ) -> EmbedReport:
        """Embed every live prompt whose vector for provider.model is missing or stale, one
        transaction per batch: a failure keeps the batches before it, and a rerun resumes.

        An interactive library (the TUI's) lets the file go while each batch is embedded, so
        other processes can write in between: it holds the file only to store one batch and
        read the next. A one-shot process holds it through the run (`burst`)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("batch_size", batch_size, "must be a whole number of at least 1")
        with self._db.read() as con:
            todo = [row[0] for row in con.execute(_NEEDING, [provider.model]).fetchall()]
            live = con.execute("SELECT count(*) FROM prompts WHERE archived_at IS NULL").fetchone()
        batches = [todo[start : start + batch_size] for start in range(0, len(todo), batch_size)]
        done = 0
        if progress:
            progress(0, len(todo))
        with nullcontext() if self._db.interactive else self._db.burst():
            texts = self._texts(batches[0]) if batches else []
            for at in range(len(batches)):
                self._db.release()
                try:
                    vectors = _checked(provider, provider.embed([t for _, t in texts]), len(texts))
                    done += self._store(provider, texts, vectors)
                    texts = self._texts(batches[at + 1]) if at + 1 < len(batches) else []
                except PromptdeckError as error:
                    raise EmbeddingFailed(error, done, len(todo)) from error
                if progress:
                    progress(done, len(todo))
            self._db.release()
        with self._db.read() as con:
            active = _config(con, ACTIVE_MODEL_KEY)
        return EmbedReport(
            model=provider.model,
            provider=provider.name,
            embedded=done,
            up_to_date=int(live[0] if live else 0) - len(todo),
            batches=len(batches),
            active_model=active,
            switched=False,
        )

    def reembed(
        self, provider: EmbeddingProvider, batch_size: int = 64, progress: Progress | None = None
    ) -> EmbedReport:
        """Migrate search to provider.model: embed what it lacks (the active model keeps
        serving meanwhile), then make it active once every live prompt has a current vector."""
        report = self.embed_missing(provider, batch_size, progress)
        for tx in self._db.write_attempts("switch search model"):
            with tx as con:
                left = con.execute(_NEEDING, [provider.model]).fetchall()
                before = _config(con, ACTIVE_MODEL_KEY)
                if left or before == provider.model:
                    return report
                self._set_active(con, provider.model, before)
        return EmbedReport(
            report.model,
            report.provider,
            report.embedded,
            report.up_to_date,
            report.batches,
            active_model=provider.model,
            switched=True,
        )

    def _set_active(self, con: duckdb.DuckDBPyConnection, model: str, before: str | None) -> None:
        # Delete and insert: a team library has no key to replace by.
        con.execute("DELETE FROM config WHERE key = ?", [ACTIVE_MODEL_KEY])
        con.execute(
            "INSERT INTO config VALUES (?, ?, ?)",
            [ACTIVE_MODEL_KEY, model, "Embedding model that semantic search uses"],
        )
        self._db.audit(con, "embedding_model", f"config:{ACTIVE_MODEL_KEY}", before, model)

    def _texts(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        """(id, embedded text) of these prompts, by id."""
        if not ids:
            return []
        # The id range lets DuckDB skip every row group outside the batch (ids are time
        # ordered, so rows lie in id order): a batch costs the same in any size of library.
        with self._db.read() as con:
            found = con.execute(
                f"SELECT p.id, {EMBEDDED_TEXT_SQL} FROM prompts p "
                "WHERE p.id BETWEEN ? AND ? AND p.id IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
                "ORDER BY p.id",
                [min(ids), max(ids), list(ids)],
            ).fetchall()
        return [(row[0], row[1]) for row in found]

    def _store(
        self,
        provider: EmbeddingProvider,
        texts: Sequence[tuple[str, str]],
        vectors: Matrix,
        *,
        audit: bool = True,
    ) -> int:
        """Store the vectors of these (id, text) in one transaction, replacing the model's
        older ones; the first model ever embedded becomes the active one in the same
        transaction. A save's own vector is not audited apart: the audited save is what it
        follows from."""
        import pyarrow as pa  # type: ignore[import-untyped]  # here: a search stores nothing

        if not texts:
            return 0
        now = self._db.clock()
        table = pa.table(
            {
                "prompt_id": pa.array([i for i, _ in texts], pa.string()),
                "model": pa.array([provider.model] * len(texts), pa.string()),
                "provider": pa.array([provider.name] * len(texts), pa.string()),
                "dims": pa.array([provider.dims] * len(texts), pa.int32()),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.reshape(-1), pa.float32()), provider.dims
                ).cast(pa.list_(pa.float32())),
                "content_hash": pa.array([text_hash(t) for _, t in texts], pa.string()),
                "created_at": pa.array([now] * len(texts), pa.timestamp("us")),
            }
        )
        for tx in self._db.write_attempts("store vectors"):
            with tx as con:
                other = con.execute(
                    "SELECT dims FROM prompt_embeddings WHERE model = ? AND dims <> ? LIMIT 1",
                    [provider.model, provider.dims],
                ).fetchone()
                if other:
                    raise ValidationError(
                        "dims",
                        provider.dims,
                        f"model {provider.model!r} already has {other[0]}-dimension vectors",
                    )
                con.register("_vectors", table)
                con.execute(
                    "DELETE FROM prompt_embeddings WHERE model = ? "
                    "AND prompt_id IN (SELECT prompt_id FROM _vectors)",
                    [provider.model],
                )
                # A prompt deleted by another process while the batch was embedded gets no vector.
                con.execute(
                    "INSERT INTO prompt_embeddings SELECT * FROM _vectors "
                    "WHERE prompt_id IN (SELECT id FROM prompts)"
                )
                con.unregister("_vectors")
                # Vectors only: no prompt row, no rating.
                self._db.declare_changed([], embedded=(i for i, _ in texts))
                if _config(con, ACTIVE_MODEL_KEY) is None:
                    self._set_active(con, provider.model, None)
                if audit:
                    self._db.audit(
                        con,
                        "embed",
                        f"embeddings:{provider.model}",
                        after={"provider": provider.name, "prompts": len(texts)},
                    )
        return len(texts)

    def status(self) -> list[EmbeddingStatus]:
        """Per model stored (and the active one even before it has vectors): vectors, and how
        many live prompts are current, stale or missing."""
        with self._db.read() as con:
            active = _config(con, ACTIVE_MODEL_KEY)
            found = con.execute(
                f"""
                WITH live AS (SELECT p.id, {EMBEDDED_HASH_SQL} AS h
                              FROM prompts p WHERE p.archived_at IS NULL),
                models AS (SELECT model, any_value(provider) AS provider, any_value(dims) AS dims,
                                  count(*) AS vectors
                           FROM prompt_embeddings GROUP BY model)
                SELECT m.model, m.provider, m.dims, m.vectors,
                       count(e.prompt_id) FILTER (WHERE e.content_hash = l.h),
                       count(e.prompt_id) FILTER (WHERE e.content_hash <> l.h),
                       count(l.id) FILTER (WHERE e.prompt_id IS NULL)
                FROM models m CROSS JOIN live l
                LEFT JOIN prompt_embeddings e ON e.model = m.model AND e.prompt_id = l.id
                GROUP BY ALL ORDER BY m.model
                """
            ).fetchall()
            live = con.execute("SELECT count(*) FROM prompts WHERE archived_at IS NULL").fetchone()
            statuses = [
                EmbeddingStatus(
                    model,
                    provider,
                    dims,
                    vectors,
                    current,
                    stale,
                    missing,
                    model == active,
                    self._threshold(con, model),
                )  # fmt: skip
                for model, provider, dims, vectors, current, stale, missing in found
            ]
            if active and all(s.model != active for s in statuses):
                statuses.append(
                    EmbeddingStatus(
                        active,
                        None,
                        None,
                        0,
                        0,
                        0,
                        int(live[0] if live else 0),
                        True,
                        self._threshold(con, active),
                    )  # fmt: skip
                )
        return statuses

    # -- after a save ----------------------------------------------------------------------

    def after_save(self, prompt: Prompt) -> tuple[SaveNotice, ...]:
        """Embed a prompt whose save has committed and look for its near twins. A failing
        provider costs the vector, never the save: both come back as notices. Without an
        embedder there is nothing to do.

        While search still uses another model that embeds offline (a library made before the
        bundled model, not yet moved to it), the prompt gets that model's vector too, so it
        is found before the move is done."""
        if self.embedder is None or prompt.archived:
            return ()
        try:
            self._embed_ids(self.embedder, [prompt.id])
            active = self.active_model()
            companion = (
                offline_provider(active) if active not in (None, self.embedder.model) else None
            )
            if companion is not None:
                self._embed_ids(companion, [prompt.id])
        except Exception as error:  # the save is done; any failure here is only a warning
            return (
                SaveNotice("not_embedded", f"{prompt.name!r} was saved but not embedded: {error}"),
            )
        return tuple(self._twin_notices(prompt, companion or self.embedder))

    def _embed_ids(self, provider: EmbeddingProvider, ids: Sequence[str]) -> None:
        texts = self._texts(ids)
        vectors = _checked(provider, provider.embed([t for _, t in texts]), len(texts))
        self._store(provider, texts, vectors, audit=False)

    def _twin_notices(self, prompt: Prompt, provider: EmbeddingProvider) -> list[SaveNotice]:
        """Near twins of a freshly embedded prompt, by `provider`'s model (when it is the one
        search uses, or no model is active yet)."""
        with self._db.read() as con:
            active = _config(con, ACTIVE_MODEL_KEY)
            if active not in (None, provider.model):
                return []
            threshold = self._threshold(con, provider.model)
            found = con.execute(
                f"""
                SELECT o.prompt_id, p.name,
                       array_cosine_similarity(CAST(o.embedding AS FLOAT[{provider.dims}]),
                                               CAST(s.embedding AS FLOAT[{provider.dims}]))
                           AS score
                FROM prompt_embeddings s
                JOIN prompt_embeddings o ON o.model = s.model AND o.prompt_id <> s.prompt_id
                JOIN prompts p ON p.id = o.prompt_id AND p.archived_at IS NULL
                WHERE s.model = ? AND s.prompt_id = ? AND score >= ?
                ORDER BY score DESC, o.prompt_id LIMIT 3
                """,
                [provider.model, prompt.id, threshold],
            ).fetchall()
        return [
            SaveNotice(
                "near_duplicate",
                f"{prompt.name!r} is {score:.0%} similar to {name!r} ({twin_id[-8:]})",
                twin_id,
                float(score),
            )
            for twin_id, name, score in found
        ]

    def query_provider(self, provider: EmbeddingProvider | None = None) -> EmbeddingProvider:
        """The provider that embeds queries for the active model: `provider` or the library's
        embedder when their model is active (or nothing is), else the offline provider of an
        offline active model (the bundled one when nothing is active)."""
        with self._db.read() as con:
            active = _config(con, ACTIVE_MODEL_KEY)
        chosen = provider or self.embedder
        if chosen is not None and active in (None, chosen.model):
            return chosen
        if active is None:
            return WordLlamaProvider()
        offline = offline_provider(active)
        if offline is not None:
            return offline
        raise ValidationError(
            "model",
            chosen.model if chosen else None,
            f"search uses the embedding model {active!r}; configure a provider for it",
        )


# Live prompts whose vector for a model is missing or made from other text.
_NEEDING = f"""
SELECT p.id FROM prompts p
LEFT JOIN prompt_embeddings e ON e.prompt_id = p.id AND e.model = ?
WHERE p.archived_at IS NULL AND (e.prompt_id IS NULL OR e.content_hash <> {EMBEDDED_HASH_SQL})
ORDER BY p.id
"""


def _config(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def _checked(provider: EmbeddingProvider, vectors: Matrix, count: int) -> Matrix:
    """The provider's answer, refused unless it is `count` finite rows of provider.dims."""
    shape = getattr(vectors, "shape", None)
    if shape != (count, provider.dims):
        raise ProviderError(
            f"{provider.name}: expected {count} vectors of {provider.dims} dimensions "
            f"for model {provider.model!r}, got shape {shape}",
            provider=provider.name,
        )
    vectors = np.asarray(vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise ProviderError(
            f"{provider.name}: model {provider.model!r} returned a vector with NaN or infinity",
            provider=provider.name,
        )
    return normalise(vectors.copy())
