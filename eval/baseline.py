"""A naive baseline pipeline to measure draftdesk against: dense top-1 retrieval, answer pasted into one sentence.

It searches the same knowledge base the same way draftdesk's retriever does (every facet: the question, the
example questions and the passage), so a difference in scores comes from what draftdesk does with the hits:
no threshold (it always answers, never holds or asks for a human), no intents, situations or playbooks, no
announcement ordering or validity window, no LLM.
It returns a `Draft` like `DraftService.draft`, so the same harness scores both; a draft citing an entry is in
`entry` mode, so the wrong-answer rate compares.
"""

from __future__ import annotations

import time

from drafting.models import Citation, Draft, DraftRequest
from knowledge.embedders import Embedder
from knowledge.language import detect_locale
from knowledge.retrieval import ANSWER_KINDS
from knowledge.store import EntryFilter, VectorStore
from prompts import render

PROVIDER = "baseline"
CANDIDATES = 3  # reported for hit@3; the draft uses the first


class BaselinePipeline:
    """Embeds the message, takes the store's nearest entry in the message's locale and platform, and pastes it."""

    def __init__(self, embedder: Embedder, store: VectorStore) -> None:
        self._embedder = embedder
        self._store = store

    @property
    def provider(self) -> str:
        return PROVIDER

    def draft(self, request: DraftRequest) -> Draft:
        started = time.perf_counter()
        locale = request.locale or detect_locale(request.message)
        vector = self._embedder.embed_queries([request.message])[0]
        flt = EntryFilter(platform=request.platform, locale=locale, kinds=ANSWER_KINDS)
        hits = self._store.query(vector, CANDIDATES, flt)
        top = hits[0] if hits else None
        text = render(f"baseline.{locale}", entry=top.entry if top else None)
        return Draft(
            draft=text, language=locale,
            citations=[Citation.from_hit(top)] if top else [], candidates=[Citation.from_hit(h) for h in hits],
            confidence=min(1.0, max(0.0, top.score)) if top else 0.0, answer_mode="entry" if top else "holding",
            needs_human=False, reasons=[], provider=PROVIDER, degraded=False,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
