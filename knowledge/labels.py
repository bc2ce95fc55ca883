"""What an entry answers: its intents and finer question types, worked out once when it is indexed.

The knowledge layer only stores them; the drafting layer, which knows the intent and question-type rules, is the
`Labeler` the indexer is given. Declared intents (`Entry.intents`) win over inferred ones.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from knowledge.models import Entry

LabelSource = Literal["declared", "inferred", "none"]


@dataclass(frozen=True)
class Labels:
    intents: tuple[str, ...] = ()
    question_types: tuple[str, ...] = ()
    source: LabelSource = "none"  # where the intents came from
    version: str = ""  # the labeler's, when they were inferred

    def as_dict(self) -> dict[str, object]:
        return {"intents": list(self.intents), "question_types": list(self.question_types), "source": self.source}

    def to_json(self) -> str:
        return json.dumps({**self.as_dict(), "version": self.version}, ensure_ascii=False)


NO_LABELS = Labels()


@functools.lru_cache(maxsize=4096)
def parse_labels(text: str | None) -> Labels:
    """Labels as stored; an entry written before labels existed has none."""
    if not text:
        return NO_LABELS
    data = json.loads(text)
    return Labels(tuple(data.get("intents", ())), tuple(data.get("question_types", ())),
                  data.get("source", "none"), data.get("version", ""))


class Labeler(Protocol):
    """Labels entries from their texts and the query vectors of their question and examples (facet -> vector)."""

    @property
    def version(self) -> str:
        """Changes whenever the rules behind the labels change: a re-index then labels every entry again."""
        ...

    def label(self, entries: Sequence[tuple[Entry, Mapping[str, Sequence[float]]]]) -> list[Labels]: ...
