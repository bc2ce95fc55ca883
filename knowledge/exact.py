"""The nearest records by an exact search over an in-memory copy of a collection's vectors (`ChromaStore.warm`).

On the bench's 10,000 entries (20,480 records) on the 2-core Xeon, chroma's HNSW search at ef 800 took ~2.7 ms a
query and missed the nearest record for 3 of 300 dev messages (by up to 0.036 cosine); reading all 31 MB of vectors
takes ~1.2 ms and misses none. In alternating A/B rounds over HTTP it took 8 clients' p95 from 80 to 74 ms (README,
Benchmarks). numpy's `einsum`, not its BLAS: OpenBLAS's own threads would spin against the embedding model's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.nearest import Nearest


class ExactIndex:
    """Record ids and their vectors, scored by cosine similarity like chroma's `cosine` space."""

    def __init__(self, ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if len(ids) else np.zeros((0, 1))
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = np.ascontiguousarray(matrix / np.where(norms == 0, 1, norms), dtype=np.float32)
        self._ids = tuple(ids)

    def __len__(self) -> int:
        return len(self._ids)

    def nearest(self, query: Vectors, n: int) -> Nearest:
        """The `n` records closest to `query`, closest first, with chroma's cosine distances (1 - similarity)."""
        n = min(n, len(self._ids))
        if n <= 0:
            return Nearest((), ())
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        scores = np.einsum("ij,j->i", self._matrix, vector)
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return Nearest(tuple(map(self._ids.__getitem__, top.tolist())), tuple((1.0 - scores[top]).tolist()))
