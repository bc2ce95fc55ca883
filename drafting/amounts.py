"""Amounts a buyer asks for in words: "便宜50", "少二十块", "打八折", "$15 off", "a 5 dollar coupon"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import cn2an

_ZH_NUM = "[零一二两三四五六七八九十百千万]+"
_NUM = rf"(\d+(?:\.\d+)?|{_ZH_NUM})"
_MONEY = [
    re.compile(rf"{_NUM}\s*(?:元|块|rmb|cny|yuan)", re.I),
    re.compile(r"[¥￥$]\s*(\d+(?:\.\d+)?)"),
    re.compile(r"(\d+(?:\.\d+)?)\s*(?:dollars?|usd|bucks)\b", re.I),
    re.compile(rf"(?:便宜|少|减|优惠|抹)(?:个|点)?\s*{_NUM}(?![折%])"),
]
_ZHE = re.compile(r"打?\s*([一二三四五六七八九]|\d(?:\.\d)?)\s*折")
_PERCENT = re.compile(r"(\d{1,2})\s*%\s*(?:off|discount|折扣)", re.I)


def asked_amount(message: str, *, base: Decimal | None = None) -> Decimal | None:
    """The money the message asks for; a discount in 折 or percent counts against `base` (the order's amount) and
    is unknown without one."""
    for pattern in _MONEY:
        if match := pattern.search(message):
            return _number(match.group(1))
    if base is not None:
        if match := _ZHE.search(message):
            tenths = _number(match.group(1))
            return None if tenths is None else (base * (Decimal(10) - tenths) / Decimal(10)).quantize(Decimal("0.01"))
        if match := _PERCENT.search(message):
            return (base * Decimal(match.group(1)) / Decimal(100)).quantize(Decimal("0.01"))
    return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text[0].isdigit() else Decimal(str(cn2an.cn2an(text, "smart")))
    except (InvalidOperation, ValueError):
        return None
