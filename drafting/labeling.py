"""Label knowledge entries at index time: the intents and question types each one answers (knowledge.labels)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from drafting.intent import OTHER, IntentClassifier, IntentRules
from drafting.question_types import QuestionTypeRules, QuestionTypes
from knowledge.labels import Labels
from knowledge.models import Entry

_ALGORITHM = "2"  # bump when the way labels are inferred changes: a re-index then labels every entry again
_NOT_ANSWERS = {OTHER, "greeting"}  # what an entry's texts may resemble without answering it
_SHARE = 0.25  # an intent enough of an entry's questions ask is one it answers, beside its question's own


class EntryLabeler:
    """An entry answers the intents it declares; otherwise the intent of its question, and any intent that at least
    a quarter (and two) of its question and example texts are classified as. Question types are read from the same
    texts (`QuestionTypes.of_entry`)."""

    def __init__(self, intents: IntentClassifier, intent_rules: IntentRules, type_rules: QuestionTypeRules,
                 model_id: str) -> None:
        self._intents = intents
        self._types = QuestionTypes(type_rules)
        digest = hashlib.sha256()
        for part in (_ALGORITHM, model_id, intent_rules.model_dump_json(), type_rules.model_dump_json()):
            digest.update(part.encode())
        self._version = digest.hexdigest()[:16]

    @property
    def version(self) -> str:
        return self._version

    def label(self, entries: Sequence[tuple[Entry, Mapping[str, Sequence[float]]]]) -> list[Labels]:
        return [self._one(entry, vectors) for entry, vectors in entries]

    def _one(self, entry: Entry, vectors: Mapping[str, Sequence[float]]) -> Labels:
        types = self._types.of_entry(entry)
        declared = entry.intents or entry.scope.intents
        if declared:
            return Labels(tuple(declared), types, "declared")
        texts = [("q", entry.question or entry.title)]
        texts += [(f"x{n}", t) for n, t in enumerate(entry.examples)]
        texts += [(f"l{n}", t) for n, t in enumerate(entry.learned)]
        votes: Counter[str] = Counter()
        first = None
        for facet, text in texts:
            vector = vectors.get(facet)
            found = self._intents.classify(
                text, entry.locale, np.asarray(vector, dtype=np.float32) if vector is not None else None).intent
            first = first or found
            if found not in _NOT_ANSWERS:
                votes[found] += 2 if facet == "q" else 1
        total = sum(votes.values())
        enough = max(2.0, _SHARE * total)
        answered = [i for i, n in votes.most_common() if n >= enough or i == first]
        if not answered:
            return Labels((), types, "none", self._version)
        return Labels(tuple(answered), types, "inferred", self._version)
