"""Numbers a buyer gives in words: height and weight for size advice, a quantity for a bulk quote, a budget for a
recommendation. Each returns None rather than a guess when the message does not say it plainly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

_CN_DIGITS = "零一二两三四五六七八九"
# 1米7 / 一米七 / 1米75 / 1.75米 / 175cm / 175公分 / 身高175
_METRE_CM = re.compile(r"([1一])\s*米\s*([0-9零一二两三四五六七八九]{1,2})(?![0-9])")
_METRES = re.compile(r"\b(1\.\d{1,2})\s*(米|m)\b", re.I)
_CM = re.compile(r"(\d{3})\s*(cm|厘米|公分)", re.I)
_TALL = re.compile(r"(身高|高)\s*(\d{3})")
# "180 75公斤": a bare height, then the weight
_BARE_HEIGHT = re.compile(r"(?<![\d.])(1[4-9]\d)(?![\d.])\s*[,，、 ]\s*\d{2,3}(?:\.\d)?\s*(?:斤|公斤|kg)")
_FEET = re.compile(r"\b([4-7])\s*(?:'|’|ft|foot|feet)\s*(\d{1,2})?\s*(?:\"|”|''|in|inch|inches)?", re.I)
_JIN = re.compile(r"(\d{2,3}(?:\.\d)?)\s*斤")
_KG = re.compile(r"(\d{2,3}(?:\.\d)?)\s*(kg|公斤|千克|kilos?)\b", re.I)
_LBS = re.compile(r"(\d{2,3}(?:\.\d)?)\s*(lbs?|pounds)\b", re.I)
_WEIGH = re.compile(r"(体重|重)\s*(\d{2,3})")
_QUANTITY = re.compile(r"(\d{1,7})\s*(套|件|个|条|只|床|把|台|箱|份|张|对|pcs|pieces|units|sets|pcs\.)", re.I)
_NOT_UNITS = "days|hours|minutes|weeks|months|years|yuan|dollars|bucks|cm|mm|kg|lbs|ml|liters|litres|times|pls|plz"
_QUANTITY_EN = re.compile(rf"\b(?:buy|order|need|want|get|purchase|of|do)\s+(\d{{1,7}})\b|"
                          rf"\b(\d{{2,7}})\s+of\s+(?:your|these|those|the|them)\b|"
                          rf"(?<![\w-])(\d{{2,7}})\s+(?!(?:{_NOT_UNITS})\b)[a-z]+s\b", re.I)
_BUDGET = re.compile(r"(\d{1,6}(?:\.\d{1,2})?)\s*(元|块)?\s*(以内|以下|之内|左右|内)|预算\s*(\d{1,6})", re.I)
_BUDGET_EN = re.compile(
    r"\b(?:under|below|less than|within|up to|budget (?:is |of )?)\s*[$¥]?\s*(\d{1,6}(?:\.\d{1,2})?)", re.I)


@dataclass(frozen=True)
class Body:
    height_cm: float | None
    weight_kg: float | None


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError):
        return None


def body(text: str) -> Body:
    return Body(_height(text), _weight(text))


def _height(text: str) -> float | None:
    if m := _METRE_CM.search(text):
        rest = _cn_number(m.group(2))
        if rest is not None:
            return 100 + (rest * 10 if len(m.group(2)) == 1 else rest)
    if m := _METRES.search(text):
        return float(m.group(1)) * 100
    if m := (_CM.search(text) or _TALL.search(text)):
        value = float(m.group(1) if m.re is _CM else m.group(2))
        return value if 100 <= value <= 230 else None
    if m := _BARE_HEIGHT.search(text):
        return float(m.group(1))
    if m := _FEET.search(text):
        inches = int(m.group(1)) * 12 + int(m.group(2) or 0)
        return round(inches * 2.54, 1)
    return None


def _weight(text: str) -> float | None:
    if m := _JIN.search(text):
        return float(m.group(1)) / 2
    if m := _KG.search(text):
        return float(m.group(1))
    if m := _LBS.search(text):
        return round(float(m.group(1)) * 0.4536, 1)
    if m := _WEIGH.search(text):
        return float(m.group(2))
    return None


def quantity(text: str) -> int | None:
    """How many units the buyer asks about ("50套", "200 pieces", "order 60"), if they say."""
    for pattern in (_QUANTITY, _QUANTITY_EN):
        if m := pattern.search(text):
            value = int(next(g for g in m.groups() if g))
            return value if value >= 1 else None
    return None


def budget(text: str) -> Decimal | None:
    """The most the buyer wants to spend ("300以内", "under $50"), if they say."""
    m = _BUDGET.search(text) or _BUDGET_EN.search(text)
    if not m:
        return None
    value = next(g for g in m.groups() if g and g[0].isdigit())
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
