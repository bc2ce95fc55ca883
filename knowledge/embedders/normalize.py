"""What a buyer's message is, for its embedding: the same question typed with full-width punctuation, extra spaces,
"??", an order number, a greeting in front or thanks behind embeds as one text, so a surge of near-duplicates is
embedded once (CachedEmbedder)."""

from __future__ import annotations

import re
import unicodedata

_LONG_NUMBER = re.compile(r"\d{6,}")  # order and tracking numbers: which one never changes what is asked
_NUMBER = "0"
_SEP = r"(?=[\s\W]|$)"  # a word that must stand alone: 亲 starts 亲自, 客服 starts 客服电话, hi starts his
# Said before the question, never part of it: greetings, "are you there", "may I ask", how the buyer addresses us.
_OPENING = re.compile(
    rf"^(?:(?:亲爱的|亲亲|亲|客服|掌柜的?|老板|店家|卖家|hi|hello|hey|dear(?: seller| customer service)?|"
    rf"excuse me|good (?:morning|afternoon|evening))(?: there)?{_SEP}|你好|您好|在吗|在不在|在么|请问|哈喽)",
    re.I,
)
# Said after it: thanks, please, "urgent", mood particles.
_CLOSING = re.compile(
    r"(?:(?<=[\s\W])(?:谢谢(?:你|您|啦|了)?|多谢|感谢|急+|thanks(?: a lot)?|thank you(?: very much)?|thx|please|pls)"
    r"|啊|呀|哦|哈)$",
    re.I,
)


def normalize_query(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), runs of whitespace as one space, long numbers
    as one placeholder, no greeting or thanks around the question, no punctuation, emoji or `~` at either end but
    the first `.`, `?` or `!` of the closing run; the text as it was if nothing would be left."""
    folded = " ".join(unicodedata.normalize("NFKC", text).split())
    masked = _LONG_NUMBER.sub(_NUMBER, folded)
    core = _core(masked) or _trim(masked)
    if core:  # one closing mark stays ("??~" -> "?"): the intent floors were set on punctuated text
        tail = masked[masked.rindex(core) + len(core):]
        core += next((c for c in tail if c in ".?!"), "")
    return core or folded


def _core(text: str) -> str:
    """The text without edge punctuation, opening greetings and closing thanks, repeatedly ("亲，在吗？请问…")."""
    while True:
        trimmed = _trim(text)
        stripped = _CLOSING.sub("", _OPENING.sub("", trimmed, count=1), count=1)
        if stripped == trimmed:
            return trimmed
        text = stripped


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
