"""The one small interface every embedding provider implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


class EmbeddingProvider(Protocol):
    """Turns texts into vectors. `name` is the provider ("wordllama", "local", "openai",
    "ollama"), `model` is what is stored in prompt_embeddings.model, `dims` the width of every
    vector, `offline` whether it embeds in this process with no network (so quickly enough to
    embed a whole import unasked)."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def dims(self) -> int: ...

    @property
    def offline(self) -> bool: ...

    def embed(self, texts: Sequence[str]) -> Matrix:
        """A float32 matrix of shape (len(texts), dims), one L2-normalised row per text."""
        ...


def normalise(matrix: Matrix) -> Matrix:
    """Rows scaled to unit length; all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix
