"""Concurrent query embeddings, one forward pass: requests that arrive while the model is busy wait for it and then
go through together (`Grouped`). On two cores, eight threads each running the model at once mostly fight over the
cores."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from knowledge.embedders.base import Embedder, Vectors
from knowledge.grouping import Grouped


class BatchingEmbedder:
    """Wraps an embedder: concurrent `embed_queries` calls of up to `max_texts` texts in all share a pass. Passages
    and larger query batches (indexing) go straight through: a draft never waits behind an upload."""

    def __init__(self, inner: Embedder, *, max_texts: int = 64) -> None:
        self._inner = inner
        self._max_texts = max_texts
        # a function of `inner`, not a bound method: no reference cycle, so the model's memory goes when this does
        self.grouped: Grouped[Sequence[str], Vectors] = Grouped(functools.partial(_pass, inner), limit=max_texts,
                                                                size=len)

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > self._max_texts:
            return self._inner.embed_queries(texts)
        return self.grouped(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_passages(texts)


def _pass(inner: Embedder, asks: list[Sequence[str]]) -> list[Vectors]:
    vectors = inner.embed_queries([t for texts in asks for t in texts])
    out, start = [], 0
    for texts in asks:
        out.append(vectors[start:start + len(texts)])
        start += len(texts)
    return out
