"""What the compliance screen matches on: a draft folded so that look-alike spellings read as the plain one.

NFKC and case folding; invisible characters (zero-width, bidi controls, variation selectors, combining marks)
dropped; Cyrillic and Greek look-alikes read as Latin; spaced-out words closed up (`微 信`, `v x`, `q q`);
`[.]`, `(dot)` and `[at]` read as `.` and `@`; Chinese numerals before a unit read as digits (`壹佰元` → `100元`,
`打五折` → `打5折`). Each character of the result keeps the index of the character it came from, so that a match
reports the text as the draft wrote it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import cn2an

# look-alikes of Latin letters, after case folding; digits and CJK are left alone
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԛ": "q", "ԝ": "w",
    "ӏ": "l", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ı": "i", "ɑ": "a", "ʋ": "v", "ℓ": "l",
})
# blank-looking letters that Unicode does not class as format characters
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

_OVERRIDE = "\u202e"
_OVERRIDE_ENDS = frozenset("\u202c\u2069\n")
_CJK = "\u3400-\u9fff"
_STEPS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # spaces or filler between two Chinese characters: 微 信, 微*信
    (re.compile(rf"(?<=[{_CJK}])[ \t·•・*_\-~～|]+(?=[{_CJK}])"), lambda m: ""),
    # single letters (or single digits) spelled apart: v x, q q, w.e.c.h.a.t, 1 3 8 ...
    (re.compile(r"(?<![a-z0-9])[a-z](?:[ \t.*_\-·•|]{1,3}[a-z](?![a-z0-9]))+"), lambda m: _letters(m.group())),
    (re.compile(r"(?<![a-z0-9.])\d(?:[ \t*_·•|]{1,3}\d(?![a-z0-9.]))+"), lambda m: _letters(m.group())),
    # evil[.]cn, evil(dot)cn, evil dot cn, evil。cn
    (re.compile(r"\s*[\[(（【{]\s*(?:\.|。|dot|点)\s*[\])）】}]\s*"), lambda m: "."),
    (re.compile(r"(?<=[a-z0-9])\s+dot\s+(?=[a-z0-9])"), lambda m: "."),
    (re.compile(r"(?<=[a-z0-9])。(?=[a-z]{2,})"), lambda m: "."),
    (re.compile(r"\s*[\[(（【{]\s*(?:at|艾特)\s*[\])）】}]\s*"), lambda m: "@"),
    # Chinese numerals before a unit of money or discount: 壹佰元, 一百块, 打五折
    (re.compile(r"[零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+(?=\s*(?:元|块|圆|美元|美金|刀|折|%))"),
     lambda m: _numeral(m.group())),
]


def normalize(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` of the character it came from (in
    the order a reader sees them: a right-to-left override shows its characters reversed)."""
    order = _display_order(text) if _OVERRIDE in text else range(len(text))
    parts = [_fold_char(text[i]) for i in order]  # characters repeat in every draft: their folds are cached
    folded = "".join(parts)
    if len(folded) == len(parts) and isinstance(order, range):  # the usual case: one character each, in order
        origin = list(order)
    else:
        origin = [index for index, part in zip(order, parts, strict=True) for _ in part]
    for pattern, replace in _STEPS:
        folded, origin = _substitute(folded, origin, pattern, replace)
    return folded, origin


def _display_order(text: str) -> list[int]:
    """Indices of `text` as displayed: a run after U+202E (right-to-left override) up to its pop, an isolate's
    end or the line's end reads backwards."""
    order: list[int] = []
    run: list[int] | None = None  # the override's characters so far
    for index, char in enumerate(text):
        if char == _OVERRIDE:
            run = run if run is not None else []
            order.append(index)
        elif run is not None and char in _OVERRIDE_ENDS:
            order.extend(reversed(run))
            run = None
            order.append(index)  # the pop itself is dropped as a format character; a line break stays
        elif run is not None:
            run.append(index)
        else:
            order.append(index)
    order.extend(reversed(run or []))
    return order


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char in _BLANKS or unicodedata.category(char) in ("Cf", "Mn", "Me"):
        return ""
    if char.isdecimal() and not char.isascii():
        return str(unicodedata.decimal(char))
    folded = unicodedata.normalize("NFKC", char).casefold().translate(_HOMOGLYPHS)
    return "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Mn", "Me"))


def _substitute(text: str, origin: list[int], pattern: re.Pattern[str],
                replace: Callable[[re.Match[str]], str]) -> tuple[str, list[int]]:
    """Each match replaced; a replacement's characters point at the match's first character, its last one at the
    match's last, so that a span over it reports the whole original."""
    if pattern.search(text) is None:
        return text, origin
    out: list[str] = []
    mapped: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        new = replace(match)
        out.append(text[last:start])
        mapped.extend(origin[last:start])
        out.append(new)
        if new:
            mapped.extend([origin[start]] * (len(new) - 1) + [origin[end - 1]])
        last = end
    out.append(text[last:])
    mapped.extend(origin[last:])
    return "".join(out), mapped


def _letters(spelled: str) -> str:
    return "".join(c for c in spelled if c.isalnum())


def _numeral(text: str) -> str:
    try:
        value = Decimal(str(cn2an.cn2an(text, "smart")))
    except (ValueError, KeyError, IndexError):
        return text
    return str(int(value)) if value == value.to_integral() else str(value)
