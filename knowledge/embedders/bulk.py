"""Two runtimes of one model: passages in bulk (indexing) go to the one that is fastest on long texts in batches,
built on first use, and so do queries in bulk once it is built (an index's questions and examples); a draft's
message, the intent examples at start-up and a few passages go to the one that is fastest for short texts, so a
server that never indexes a large batch never loads the other."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from knowledge.embedders.base import Embedder, Vectors


class BulkEmbedder:
    """Calls of more than `few` passages go to `bulk()`, built once, on the first such call, and calls of more
    than `few` queries once it is built; everything else to `small`. Both runtimes must embed into the same space
    (one `model_id`)."""

    def __init__(self, small: Embedder, bulk: Callable[[], Embedder], *, few: int = 64) -> None:
        self._small = small
        self._make_bulk = bulk
        self._bulk: Embedder | None = None
        self._lock = threading.Lock()
        self._few = few

    @property
    def model_id(self) -> str:
        return self._small.model_id

    @property
    def dimension(self) -> int:
        return self._small.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Many queries (an index's questions and examples) go to the bulk runtime once something built it; never
        are they the reason to build it (the intent examples at start-up are a few hundred)."""
        bulk = self._bulk
        if bulk is not None and len(texts) > self._few:
            return bulk.embed_queries(texts)
        return self._small.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if len(texts) <= self._few:
            return self._small.embed_passages(texts)
        return self._bulk_runtime().embed_passages(texts)

    def _bulk_runtime(self) -> Embedder:
        with self._lock:
            if self._bulk is None:
                self._bulk = self._make_bulk()
            return self._bulk
