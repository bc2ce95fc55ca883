"""Which buyer messages may become an entry's learned examples, and how a new one joins them.

A learned example is stored and embedded like an example question, and shown to knowledge owners: a message that
names an order, a phone or an e-mail address (personal data), or one too long to be a question, never becomes one.
"""

from __future__ import annotations

import re

from knowledge.models import MAX_LEARNED, Entry

MAX_LEARNED_CHARS = 120
_PERSONAL = re.compile(r"\d{6,}|[\w.+-]+@[\w-]+(\.[\w-]+)+")  # order numbers and phones; e-mail addresses


def normalized(text: str) -> str:
    """How examples compare: case and runs of whitespace do not make a new one."""
    return " ".join(text.split()).casefold()


def learnable(text: str) -> bool:
    text = " ".join(text.split())
    return bool(text) and len(text) <= MAX_LEARNED_CHARS and _PERSONAL.search(text) is None


def with_learned(entry: Entry, text: str) -> Entry | None:
    """`entry` with `text` as its newest learned example (the oldest dropped past `MAX_LEARNED`); None when the
    text may not be learned or the entry already asks it (as its question, an example or a learned one)."""
    text = " ".join(text.split())
    if not learnable(text):
        return None
    known = {normalized(t) for t in (entry.question, entry.title, *entry.examples, *entry.learned) if t}
    if normalized(text) in known:
        return None
    return entry.model_copy(update={"learned": (*entry.learned, text)[-MAX_LEARNED:]})


def without_learned(entry: Entry, text: str) -> Entry | None:
    """`entry` without the learned example `text` (compared as `normalized`); None when it has no such example."""
    kept = tuple(t for t in entry.learned if normalized(t) != normalized(text))
    return entry.model_copy(update={"learned": kept}) if len(kept) < len(entry.learned) else None
