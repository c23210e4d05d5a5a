"""What the HTTP providers share: batching, shape and width checks, learning the width from the
first answer, float32 L2-normalised rows. Subclasses say how to ask and where the vectors are."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import numpy as np

from storage.errors import ProviderError
from storage.remote.client import ApiClient
from storage.remote.urls import redact_url
from storage.search.embedding.base import Matrix, normalise

if TYPE_CHECKING:
    from storage.search.embedding.settings import ProviderSettings

PROBE_TEXT = "dimension probe"


class RemoteProvider(ABC):
    """`embed(texts)` sends the texts `batch_size` at a time and returns every vector or raises
    a ProviderError: no partial result. Empty (blank) texts are not sent; they get zero rows."""

    name: ClassVar[str]
    offline: ClassVar[bool] = False
    default_model: ClassVar[str]
    default_url: ClassVar[str]
    path: ClassVar[str]

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
    ) -> None:
        self.model = settings.model or self.default_model
        self.base_url = settings.base_url or self.default_url
        self.batch_size = settings.batch_size
        self._expected = settings.dims  # configured width, or None until the first answer
        self._configured = settings.dims is not None
        self._client = ApiClient(
            self.name,
            self.base_url,
            api_key=settings.api_key,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            max_wait=settings.max_wait,
            transport=transport,
            sleep=sleep,
            jitter=jitter,
        )

    def __repr__(self) -> str:
        shown = redact_url(self._client.base_url)  # no user:password or query in a log
        return f"{type(self).__name__}(model={self.model!r}, base_url={shown!r})"

    @property
    def dims(self) -> int:
        """The width of every vector; when neither configured nor learned yet, one short
        request learns it."""
        if self._expected is None:
            self.embed([PROBE_TEXT])
        assert self._expected is not None
        return self._expected

    def close(self) -> None:
        self._client.close()

    def embed(self, texts: Sequence[str]) -> Matrix:
        sent = [i for i, text in enumerate(texts) if text.strip()]
        parts = [
            self._batch(texts, sent[start : start + self.batch_size])
            for start in range(0, len(sent), self.batch_size)
        ]
        width = self._expected if parts or not texts else self.dims
        out = np.zeros((len(texts), width or 0), dtype=np.float32)
        if parts:
            out[sent] = np.concatenate(parts)
        return normalise(out)

    def _batch(self, texts: Sequence[str], positions: list[int]) -> Matrix:
        batch = [texts[i] for i in positions]
        answer = self._client.post(self.path, self._payload(batch), model=self.model)
        vectors = self._vectors(answer)
        if len(vectors) != len(batch):
            raise self._error(f"returned {len(vectors)} vectors for {len(batch)} inputs")
        width = self._expected
        for position, vector in zip(positions, vectors, strict=True):
            if not isinstance(vector, list) or not vector:
                raise self._malformed(f"the vector for input {position} is not a list")
            if not all(type(x) in (float, int) for x in vector):
                raise self._malformed(f"the vector for input {position} holds non-numbers")
            if width is None:
                width = len(vector)  # learned from the first answer, enforced from now on
            elif len(vector) != width:
                known = "configured" if self._configured else "learned from the first answer"
                raise self._error(
                    f"input {position} came back with {len(vector)} dims, expected {width}"
                    f" ({known}) for model {self.model!r}"
                )
        matrix = np.asarray(vectors, dtype=np.float64)
        if not np.isfinite(matrix).all():
            raise self._malformed("a vector holds NaN or infinity")
        self._expected = width
        return matrix.astype(np.float32)

    def _error(self, what: str) -> ProviderError:
        return self._client.error(what, self.path)

    def _malformed(self, what: str) -> ProviderError:
        return self._error(f"malformed response: {what}")

    def _payload(self, batch: list[str]) -> dict[str, Any]:
        """The JSON body asking for the batch's vectors (both APIs take model and input)."""
        return {"model": self.model, "input": batch}

    @abstractmethod
    def _vectors(self, answer: Any) -> list[Any]:
        """The vectors in the decoded answer, in input order; an answer of the wrong shape
        raises `_malformed`."""
