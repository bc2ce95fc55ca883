"""Recent query vectors, kept: one request embeds the buyer's message once (retrieval and the intent classifier
both ask), and a promotion surge of near-identical questions is embedded once. A query is embedded as its normalized
text (`normalize_query`) whether or not it is cached, so no draft depends on which variant came first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from knowledge.embedders.base import Embedder, Vectors
from knowledge.embedders.normalize import normalize_query


class CachedEmbedder:
    """Wraps an embedder; `embed_queries` answers repeated (normalized) texts from a bounded LRU, passages pass
    through."""

    def __init__(self, inner: Embedder, size: int = 10_000) -> None:
        self._inner = inner
        self._size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        texts = [normalize_query(t) for t in texts]
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = self._inner.embed_queries(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    known[text] = vector
                    self._vectors[text] = vector
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_passages(texts)
