"""What a buyer's message is, for its embedding: the same question typed with full-width punctuation, extra spaces,
"??" or an order number embeds as one text, so a surge of near-duplicates is embedded once (CachedEmbedder)."""

from __future__ import annotations

import re
import unicodedata

_LONG_NUMBER = re.compile(r"\d{6,}")  # order and tracking numbers: which one never changes what is asked
_NUMBER = "0"


def normalize_query(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), runs of whitespace as one space, long numbers
    as one placeholder, no punctuation, emoji or `~` at either end but the first `.`, `?` or `!` of the closing run;
    the text as it was if nothing would be left."""
    folded = " ".join(unicodedata.normalize("NFKC", text).split())
    masked = _LONG_NUMBER.sub(_NUMBER, folded)
    trimmed = _trim(masked)
    if trimmed:  # one closing mark stays ("??~" -> "?"): the intent floors were set on punctuated text
        tail = masked[masked.rindex(trimmed) + len(trimmed):]
        trimmed += next((c for c in tail if c in ".?!"), "")
    return trimmed or folded


def _trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _edge(char: str) -> bool:
    category = unicodedata.category(char)
    return char.isspace() or category[0] == "P" or category in ("Sk", "Sm", "So")  # currency signs stay
