"""Chinese or English? The share of CJK characters decides; both are first-class locales."""

from __future__ import annotations

import re

from core.vocab import Locale

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]+")
# item, order and tracking numbers ("QC-BED-PIL-MEM", "SF1234567") are written in Latin letters in either language
_CODES = re.compile(r"[A-Za-z0-9]+(?:[-_/.][A-Za-z0-9]+)+|\b[A-Za-z]*\d[A-Za-z0-9]*\b")


def without_codes(text: str) -> str:
    """`text` with its item, order and tracking numbers blanked: they are neither English words nor shouting."""
    return _CODES.sub(" ", text)


def detect_locale(text: str) -> Locale:
    """'zh' when Chinese characters carry the text, else 'en' (the default for empty text too)."""
    cjk = len(_CJK.findall(text))
    latin_words = len(_LATIN.findall(without_codes(text)))
    return "zh" if cjk and cjk >= latin_words else "en"
