"""Retrieve the entries that answer a buyer message, or say that none does well enough."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowledge.embedders.base import Embedder
from knowledge.store import EntryFilter, Hit, VectorStore

ANSWER_KINDS = ("faq", "policy", "announcement")  # templates are macros for agents, not answers


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]  # best first, all above the threshold
    candidates: list[Hit]  # the top-k as retrieved, best first, above the threshold or not
    best_score: float  # of the best candidate, even when it fell below the threshold
    threshold: float

    @property
    def confident(self) -> bool:
        return bool(self.hits)


class Retriever:
    """Dense top-k with metadata filters; `thresholds` maps a locale to its minimum similarity."""

    def __init__(
        self, embedder: Embedder, store: VectorStore, *, thresholds: dict[str, float], top_k: int = 4
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._thresholds = thresholds
        self._top_k = top_k

    def retrieve(self, message: str, *, platform: str, locale: str, at: datetime) -> Retrieval:
        vector = self._embedder.embed_queries([message])[0]
        flt = EntryFilter(platform=platform, locale=locale, kinds=ANSWER_KINDS, valid_at=at)
        candidates = self._store.query(vector, self._top_k, flt)
        threshold = self._thresholds.get(locale, min(self._thresholds.values(), default=0.0))
        best = candidates[0].score if candidates else 0.0
        hits = [h for h in candidates if h.score >= threshold]
        return Retrieval(hits=hits, candidates=candidates, best_score=best, threshold=threshold)
