"""The nearest records by an exact search over an in-memory copy of a collection's vectors (`Remembered.warm`), kept
in one block per label so a search reads only the blocks it asks for, and concurrent searches go through as one
matrix product per block (`Grouped`). Measurements: docs/knowledge.md, "How entries are found"."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.grouping import Grouped
from knowledge.nearest import Nearest

_GROUP = 32  # searches in one product at most
L = TypeVar("L", bound=Hashable)
_Block = tuple[int, int]  # rows [start, stop) of one label
_Ask = tuple[npt.NDArray[np.float32], int, tuple[_Block, ...]]


class ExactIndex(Generic[L]):
    """Record ids and their vectors, scored by cosine similarity like chroma's `cosine` space; each record may carry a
    label (`labels`, one per id) that a search can keep to."""

    def __init__(self, ids: Sequence[str], vectors: npt.ArrayLike, labels: Sequence[L] | None = None) -> None:
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if len(ids) else np.zeros((0, 1))
        rows: dict[L | None, list[int]] = {}
        for row, label in enumerate(labels if labels is not None else [None] * len(ids)):
            rows.setdefault(label, []).append(row)
        order = [row for block in rows.values() for row in block]
        matrix = matrix[order] if order else matrix
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = np.ascontiguousarray(matrix / np.where(norms == 0, 1, norms), dtype=np.float32)
        self._ids = tuple(ids[row] for row in order)
        self._blocks: dict[L | None, _Block] = {}
        start = 0
        for label, block in rows.items():
            self._blocks[label] = (start, start + len(block))
            start += len(block)
        self._rows: dict[tuple[_Block, ...], npt.NDArray[np.intp]] = {}  # the rows of each set of blocks searched
        self._grouped: Grouped[_Ask, Nearest] = Grouped(self._search, limit=_GROUP)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def labels(self) -> frozenset[L | None]:
        return frozenset(self._blocks)

    def nearest(self, query: Vectors, n: int, among: Collection[L | None] | None = None) -> Nearest:
        """The `n` records closest to `query` (among those labelled so, if `among` is given), closest first, with
        chroma's cosine distances (1 - similarity)."""
        blocks = tuple(sorted(b for label, b in self._blocks.items() if among is None or label in among))
        n = min(n, sum(stop - start for start, stop in blocks))
        if n <= 0:
            return Nearest((), ())
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        return self._grouped((vector / (np.linalg.norm(vector) or 1.0), n, blocks))

    def _search(self, asks: list[_Ask]) -> list[Nearest]:
        """One product per block for every search in it; each search then ranks its blocks' scores."""
        searches: dict[_Block, list[int]] = {}
        for number, (_, _, blocks) in enumerate(asks):
            for block in blocks:
                searches.setdefault(block, []).append(number)
        queries = np.stack([vector for vector, _, _ in asks])
        scored = {block: (self._matrix[block[0]:block[1]] @ queries[numbers].T).T
                  for block, numbers in searches.items()}
        found = []
        for number, (_, n, blocks) in enumerate(asks):
            parts = [scored[block][searches[block].index(number)] for block in blocks]
            scores = parts[0] if len(parts) == 1 else np.concatenate(parts)
            top = np.argpartition(-scores, n - 1)[:n]
            top = top[np.argsort(-scores[top], kind="stable")]
            rows = top + blocks[0][0] if len(blocks) == 1 else self._rows_of(blocks)[top]
            found.append(Nearest(tuple(map(self._ids.__getitem__, rows.tolist())),
                                 tuple((1.0 - scores[top]).tolist())))
        return found

    def _rows_of(self, blocks: tuple[_Block, ...]) -> npt.NDArray[np.intp]:
        """The matrix rows behind the scores of these blocks put end to end."""
        rows = self._rows.get(blocks)
        if rows is None:
            rows = self._rows[blocks] = np.concatenate([np.arange(start, stop) for start, stop in blocks])
        return rows
