"""A pasted knowledge answer that breaks a platform rule: the sentences that break it dropped, when the rest still
answers. What is left must keep at least one sentence and `KEEP_SHARE` of the answer's characters; less than that
is not the answer any more, and the draft becomes a holding reply instead (DraftService)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

KEEP_SHARE = 0.4
# a sentence ends at Chinese end punctuation, a line break, or a full stop before a space (not inside 1.5 or a.com)
_END = re.compile(r"[。！？!?；;]+[」』”\"')）]*|\.(?=\s|$)[\"')）]*|\n")


def sentences(text: str) -> list[str]:
    """`text` cut into sentences, each with its end punctuation and the spaces after it; they join back to `text`."""
    cuts = [0]
    for match in _END.finditer(text):
        end = match.end()
        while end < len(text) and text[end] in " \t":
            end += 1
        cuts.append(end)
    cuts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def prune(answer: str, passes: Callable[[str], bool]) -> str | None:
    """`answer` without the sentences that fail `passes`; None when nothing fails, or when what is left would not
    answer (no sentence, or less than `KEEP_SHARE` of the text)."""
    parts = sentences(answer)
    kept = [part for part in parts if not part.strip() or passes(part)]
    if len(kept) == len(parts):
        return None
    text = "".join(kept).strip()
    if not text or _weight(text) < KEEP_SHARE * _weight(answer):
        return None
    return text


def _weight(text: str) -> int:
    return sum(1 for c in text if c.isalnum())
