"""Which kind of pre-sale question a message asks when no cue says: the kind of the example question it is nearest
to (rules/presale.yaml `examples`), embedded as buyer messages are, when near enough and clear of other kinds."""

from __future__ import annotations

import threading

import numpy as np

from drafting.presale_rules import PresaleRules
from knowledge.embedders.base import Embedder, Vectors


class KindFinder:
    def __init__(self, embedder: Embedder, rules: PresaleRules) -> None:
        self._embedder = embedder
        self._floors = rules.nearest.floor
        self._margin = rules.nearest.margin
        examples = [(kind, locale, text) for kind, rule in rules.kinds.items()
                    for locale, texts in rule.examples.items() for text in texts]
        self._kinds = [kind for kind, _, _ in examples]
        self._locales = [locale for _, locale, _ in examples]
        self._texts = [text for _, _, text in examples]
        self._vectors: Vectors | None = None
        self._lock = threading.Lock()

    def nearest(self, message: str, locale: str) -> str | None:
        """The kind of the nearest example in the message's language, if it clears the floor and leads the
        nearest example of any other kind by the margin."""
        floor = self._floors.get("zh" if locale == "zh" else "en")
        if floor is None or not self._texts:
            return None
        scores = self._examples() @ self._embedder.embed_queries([message])[0]
        best: dict[str, float] = {}
        for kind, example_locale, score in zip(self._kinds, self._locales, scores.tolist(), strict=True):
            if example_locale == locale and score > best.get(kind, -1.0):
                best[kind] = score
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < floor:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < self._margin:
            return None
        return ranked[0][0]

    def _examples(self) -> Vectors:
        with self._lock:
            if self._vectors is None:
                self._vectors = np.asarray(self._embedder.embed_queries(self._texts), dtype=np.float32)
            return self._vectors
