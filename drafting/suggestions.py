"""Suggest example questions for entries that have none, with the LLM, for a knowledge owner to review.

A shop's own FAQ export rarely has examples, and they are what makes retrieval recognise real buyer wording. The
suggestions are written out for review (`draftdesk index --suggest-examples`), never indexed as they come.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from drafting.llm.base import ChatModel, UpstreamError
from knowledge.learned import learnable, normalized
from knowledge.models import Entry
from prompts import render

MAX_SUGGESTIONS = 5
SUGGESTED_KINDS = ("faq", "policy")  # announcements expire and templates are not retrieved: no examples for them
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}\s*[.)、．:]|[(（]\d{1,2}[)）])\s*")
_QUOTES = "\"'“”‘’「」『』`"


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    examples: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """One line of the review file."""
        return {"id": self.entry.id, "locale": self.entry.locale, "question": self.entry.heading,
                "examples": list(self.examples)}


@dataclass(frozen=True)
class Failure:
    entry: Entry
    error: str


class ExampleSuggester:
    def __init__(self, chat: ChatModel, *, per_entry: int = MAX_SUGGESTIONS) -> None:
        self._chat = chat
        self._per_entry = per_entry

    def suggest(self, entry: Entry) -> tuple[str, ...]:
        """Up to `per_entry` ways a buyer would ask the entry's question; `UpstreamError` if the model fails or
        suggests nothing usable."""
        system = render("suggest_examples", part="system", count=self._per_entry, locale=entry.locale)
        user = render("suggest_examples", part="user", question=entry.heading, answer=entry.answer)
        examples = parse_examples(self._chat.complete(system, user), entry, self._per_entry)
        if not examples:
            raise UpstreamError("the reply held no usable question")
        return examples

    def suggest_all(self, entries: Iterable[Entry]) -> Iterator[Suggestion | Failure]:
        """For each entry without examples, in order; one entry's failure is reported and the rest go on."""
        for entry in wanting_examples(entries):
            try:
                yield Suggestion(entry, self.suggest(entry))
            except UpstreamError as exc:
                yield Failure(entry, str(exc))


def wanting_examples(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if not e.examples and e.kind in SUGGESTED_KINDS]


def parse_examples(reply: str, entry: Entry, limit: int) -> tuple[str, ...]:
    """One question a line, without bullets, numbers or quotes; none that repeats the entry's question or another,
    and none an agent's message could not become either (too long, or with personal data)."""
    seen = {normalized(entry.heading)}
    found: list[str] = []
    for line in reply.splitlines():
        text = _BULLET.sub("", line).strip().strip(_QUOTES).strip()
        if not learnable(text) or normalized(text) in seen:
            continue
        seen.add(normalized(text))
        found.append(text)
    return tuple(found[:limit])
