"""Near-duplicate FAQs: entries in one language whose questions mean the same (a knowledge owner merges them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.vocab import LOCALES
from knowledge.models import entry_id_of
from knowledge.store import EntryFilter, VectorStore

DEFAULT_THRESHOLD = 0.95  # e5 question-to-question cosine; paraphrases of one question score above this
QUESTION = "q"


@dataclass(frozen=True)
class NearDuplicate:
    first: str  # id@locale, the smaller key first
    second: str
    score: float


def near_duplicates(
    store: VectorStore, *, threshold: float = DEFAULT_THRESHOLD, locale: str | None = None, limit: int = 100
) -> list[NearDuplicate]:
    """Pairs of FAQ entries (same locale, different ids) whose questions are at least `threshold` similar, most
    similar first. Translations of one entry share an id and are never a pair."""
    found: list[NearDuplicate] = []
    for lang in [locale] if locale else LOCALES:
        vectors = store.facet_vectors(EntryFilter(locale=lang, kinds=("faq",)), QUESTION)
        keys = sorted(vectors)
        if len(keys) < 2:
            continue
        matrix = np.asarray([vectors[k] for k in keys], dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        scores = matrix @ matrix.T
        rows, cols = np.nonzero(np.triu(scores >= threshold, k=1))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if entry_id_of(keys[i]) != entry_id_of(keys[j]):
                found.append(NearDuplicate(keys[i], keys[j], round(float(scores[i, j]), 4)))
    return sorted(found, key=lambda d: (-d.score, d.first, d.second))[:limit]
