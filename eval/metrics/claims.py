"""Checkable claims in a reply: dates, times, percentages, amounts, durations, numbers and promises.

Each claim gets a normalized value so that "七天", "7天" and "7 days" compare equal, as do "3至5个工作日"
and "3-5 business days". Extractors run in a fixed order and blank out what they matched, so "48小时"
is one duration and not also the number 48. Event names (双11, 618) and list markers are not claims.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import cn2an

ClaimKind = Literal["date", "time", "percent", "amount", "duration", "number", "promise"]


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    text: str  # as written
    value: str  # normalized: "2027-01-30", "01-30", "16:00", "20%", "¥100", "$5", "72h", "3-5bd", "15", "refund"
    numbers: tuple[str, ...] = ()  # the bare numbers in it, for matching against order facts


_Maker = Callable[[re.Match[str]], Claim | None]


_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
}
_ZH_NUM = "[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二两三四五六七八九]+)?"
_NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{_ZH_NUM}|\b(?:{'|'.join(_EN_NUMBERS)})\b)"
_RANGE = r"\s*(?:-|~|–|—|至|到|\bto\b)\s*"

_MASKS = [
    re.compile(r"\{\{[^{}]*\}\}"),  # template slots such as {{Order Number}}
    re.compile(r"双\s*(?:11|12|十一|十二)|(?<![\d.])(?:618|11\.11|12\.12|6\.18)(?![\d.])|\bdouble\s*1[12]\b",
               re.I),  # promotion names such as 双11 and 618
    re.compile(r"(?m)^\s*\d{1,2}[.)、]\s"),  # list markers
    re.compile(r"第\s*[\d一二三四五六七八九十百千]+\s*[条章节款项]"),  # article numbers in laws and rules
]
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_MONTH = r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|" \
         r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DATES = [  # each pattern names the groups it has: y, m or mon, d
    re.compile(r"(?P<y>\d{4})\s*[-/]\s*(?P<m>\d{1,2})\s*[-/]\s*(?P<d>\d{1,2})"  # ISO; the time of day is dropped
               r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
    re.compile(rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?P<m>{_ZH_NUM}|\d{{1,2}})\s*月\s*(?P<d>{_ZH_NUM}|\d{{1,2}})\s*[日号]"),
    # "Dec 09" is no day when a time follows: "8 Dec 09:00" is the 8th at nine
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:\d)(?:,?\s+(?P<y>\d{{4}})\b)?"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<y>\d{{4}})\b)?"),
    re.compile(r"(?P<y>\d{4})\s*年"),
]
_TIME = re.compile(r"(?<![\d:])(?P<h>[01]?\d|2[0-3]):(?P<min>[0-5]\d)(?::[0-5]\d)?(?![\d:])")
_PERCENTS = [
    re.compile(rf"百分之(?P<n>{_ZH_NUM}|\d+(?:\.\d+)?)"),
    re.compile(rf"(?P<n>{_NUM})\s*(?:%|\bper\s?cent\b)", re.I),
]
_DISCOUNT = re.compile(rf"(?P<n>{_NUM})\s*折(?!叠)")  # 8折: pay 80%
_AMOUNTS = [
    re.compile(rf"(?P<cur>¥|\$|\brmb\b|\bcny\b|\busd\b)\s*(?P<n>{_NUM})", re.I),
    re.compile(rf"(?P<n>{_NUM})\s*(?P<cur>美元|元(?!旦)|块钱|\b(?:yuan|rmb|cny|dollars?|usd|bucks)\b)", re.I),
]
_YUAN = {"¥", "元", "块钱", "yuan", "rmb", "cny"}
_UNITS = {  # longest first: 工作日 before 日, hours before h
    r"个?工作日|(?:business|working|work)\s+days?": "bd",
    r"个?小时|个?钟头|hours?|hrs?|h\b": "h",
    r"分钟|minutes?|mins?\b": "min",
    r"个?(?:星期|礼拜)|周|weeks?": "w",
    r"个月|months?": "mo",
    r"天|日|days?": "d",
    r"年|years?": "y",
}
_DURATION = re.compile(
    rf"(?P<a>{_NUM})(?:{_RANGE}(?P<b>{_NUM}))?\s*-?\s*(?P<unit>{'|'.join(f'(?:{u})' for u in _UNITS)})", re.I)
_UNIT_RES = [(re.compile(rf"(?:{u})$", re.I), code) for u, code in _UNITS.items()]
_PROMISES = {  # normalized value -> phrasings; a negated phrasing ("无法保证", "can't promise") is no promise
    "guarantee": r"保证|担保|承诺|包退|包换|包赔|guarantee\w*|promise[sd]?",
    "certainty": r"一定(?!程度|要)|肯定|绝对|百分百|definitely|certainly|for sure|absolutely",
    "refund": r"全额退款|全额退还|退还差价|退回差价|(?:为|给)您(?:办理)?(?:全额)?退款|退款给您|full refund|"
              r"we(?:'ll| will)(?: \w+){0,2} refund|refund(?:ed)? you|(?:is|are|will be|be) refunded|"
              r"refund the difference",
    "compensation": r"赔偿|补偿|赔付|compensat\w*",
    "replacement": r"补发|换新|重新发货|(?:send|ship)(?: you)? a (?:new one|replacement)|replacement|resend",
}
_PROMISE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PROMISES.items()), re.I)
_NEGATION_ZH = re.compile(r"(?:不|无法|没法|难以|未必|不敢)(?:能|会|可以)?(?:保证|承诺|确定)?\s*$")
_NEGATION_EN = re.compile(r"\b(?:not|no|never|cannot|can't|won't|unable to|isn't|aren't)\b(?:\s+\w+){0,3}\s*$", re.I)
_CLAUSE_START = re.compile(r".*[,.;:!?。，；：！？\n]", re.S)
_PLAIN_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d-])")
_NUMBER_CHAIN = re.compile(r"(?<![A-Za-z0-9.])\d+(?:-\d+)+")  # phone numbers, ranges without a unit: 400-820-8820


def extract_claims(text: str) -> list[Claim]:
    """Every claim in the text, in order of appearance."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    for mask in _MASKS:
        text = mask.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, Claim]] = []
    for pattern in _DATES:
        text = _take(text, pattern, _date, found)
    text = _take(text, _TIME, lambda m: _claim("time", m, f"{int(m['h']):02d}:{m['min']}"), found)
    for pattern in _PERCENTS:
        text = _take(text, pattern, lambda m: _numbered("percent", m, [m["n"]], "{}%"), found)
    text = _take(text, _DISCOUNT, lambda m: _numbered("percent", m, [m["n"]], "{}折"), found)
    for pattern in _AMOUNTS:
        text = _take(text, pattern, _amount, found)
    text = _take(text, _DURATION, _duration, found)
    found += [(m.start(), c) for m in _PROMISE.finditer(text) if (c := _promise(text, m))]
    text = _take(text, _NUMBER_CHAIN, lambda m: _claim("number", m, m.group(0), tuple(m.group(0).split("-"))), found)
    text = _take(text, _PLAIN_NUMBER, lambda m: _numbered("number", m, [m.group(0)], "{}"), found)
    return [claim for _, claim in sorted(found, key=lambda pair: pair[0])]


def to_number(token: str) -> str | None:
    """'1,000' -> '1000', '50.00' -> '50', '七' -> '7', '十五' -> '15', 'seven' -> '7'; None if it is no number."""
    token = token.strip().lower().replace(",", "")
    if token in _EN_NUMBERS:
        return str(_EN_NUMBERS[token])
    if not token[:1].isdigit():
        try:
            token = str(cn2an.cn2an(token, "smart"))
        except ValueError:
            return None
    try:
        return format(Decimal(token).normalize(), "f")
    except InvalidOperation:
        return None


def _take(text: str, pattern: re.Pattern[str], make: _Maker, found: list[tuple[int, Claim]]) -> str:
    """Record each match that makes a claim, and blank it out for the extractors that follow."""

    def keep(match: re.Match[str]) -> str:
        claim = make(match)
        if claim is None:
            return match.group(0)
        found.append((match.start(), claim))
        return " " * len(match.group(0))

    return pattern.sub(keep, text)


def _claim(kind: ClaimKind, match: re.Match[str], value: str, numbers: tuple[str, ...] = ()) -> Claim:
    return Claim(kind, match.group(0).strip(), value, numbers)


def _numbered(kind: ClaimKind, match: re.Match[str], tokens: list[str], template: str) -> Claim | None:
    numbers = [to_number(t) for t in tokens]
    if any(n is None for n in numbers):
        return None
    clean = tuple(n for n in numbers if n is not None)
    return _claim(kind, match, template.format(*clean), clean)


def _date(match: re.Match[str]) -> Claim | None:
    groups = match.groupdict()
    year = groups.get("y")
    if groups.get("mon"):
        month: str | None = str(next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(groups["mon"].lower())))
    else:
        month = to_number(groups["m"]) if groups.get("m") else None
    day = to_number(groups["d"]) if groups.get("d") else None
    if month is None or day is None:  # a year alone: "2027年"
        return _claim("date", match, year, (year,)) if year and not groups.get("m") else None
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    month_day = f"{int(month):02d}-{int(day):02d}"
    value = f"{year}-{month_day}" if year else month_day
    return _claim("date", match, value, tuple(n for n in (year, month, day) if n))


def _amount(match: re.Match[str]) -> Claim | None:
    symbol = "¥" if match["cur"].lower() in _YUAN else "$"
    return _numbered("amount", match, [match["n"]], symbol + "{}")


def _duration(match: re.Match[str]) -> Claim | None:
    unit = next(code for pattern, code in _UNIT_RES if pattern.search(match["unit"]))
    tokens = [match["a"], match["b"]] if match["b"] else [match["a"]]
    return _numbered("duration", match, tokens, "-".join("{}" for _ in tokens) + unit)


def _promise(text: str, match: re.Match[str]) -> Claim | None:
    before = _CLAUSE_START.sub("", text[max(0, match.start() - 40):match.start()])
    if _NEGATION_ZH.search(before) or _NEGATION_EN.search(before):
        return None
    name = next(key for key, value in match.groupdict().items() if value)
    return Claim("promise", match.group(0), name)
