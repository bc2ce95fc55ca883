"""Claim extraction and normalization: the same value written in different ways compares equal."""

from __future__ import annotations

import pytest

from eval.metrics.claims import extract_claims, to_number


def _values(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.value) for c in extract_claims(text)]


@pytest.mark.parametrize(
    ("token", "expected"),
    [("7", "7"), ("七", "7"), ("十五", "15"), ("两", "2"), ("七十二", "72"), ("一百二十", "120"), ("1,000", "1000"),
     ("50.00", "50"), ("0.5", "0.5"), ("一点五", "1.5"), ("seven", "7"), ("Fifteen", "15"), ("许多", None)],
)
def test_to_number(token: str, expected: str | None) -> None:
    assert to_number(token) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("付款后48小时内发出", [("duration", "48h")]),
        ("签收后七天内", [("duration", "7d")]),
        ("十五天保价", [("duration", "15d")]),
        ("七日无理由退货", [("duration", "7d")]),
        ("1至3个工作日到账", [("duration", "1-3bd")]),
        ("多3至5天", [("duration", "3-5d")]),
        ("3-5天", [("duration", "3-5d")]),
        ("两个工作日", [("duration", "2bd")]),
        ("within 72 hours", [("duration", "72h")]),
        ("in 3-5 business days", [("duration", "3-5bd")]),
        ("1 to 3 working days", [("duration", "1-3bd")]),
        ("seven days", [("duration", "7d")]),
        ("a 48-hour window and 7-day returns", [("duration", "48h"), ("duration", "7d")]),
    ],
)
def test_durations(text: str, expected: list[tuple[str, str]]) -> None:
    assert _values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("差价50元", [("amount", "¥50")]),
        ("退您五十元", [("amount", "¥50")]),
        ("¥19.90", [("amount", "¥19.9")]),
        ("100 yuan coupon", [("amount", "¥100")]),
        ("RMB 1,200", [("amount", "¥1200")]),
        ("$10 or 10 dollars", [("amount", "$10"), ("amount", "$10")]),
        ("１００元", [("amount", "¥100")]),  # full-width digits
        ("20%", [("percent", "20%")]),
        ("百分之二十", [("percent", "20%")]),
        ("15 percent", [("percent", "15%")]),
        ("打8折", [("percent", "8折")]),
    ],
)
def test_amounts_and_percentages(text: str, expected: list[tuple[str, str]]) -> None:
    assert _values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1月30日16:00前付款", [("date", "01-30"), ("time", "16:00")]),
        ("2027年1月30日", [("date", "2027-01-30")]),
        ("十一月十一日", [("date", "11-11")]),
        ("2月13日（正月初八）", [("date", "02-13")]),
        ("2025-11-11T10:00:00+08:00", [("date", "2025-11-11")]),
        ("30 January", [("date", "01-30")]),
        ("from 13 February 2027", [("date", "2027-02-13")]),
        ("on Jan 30th", [("date", "01-30")]),
        ("from 8 Dec 09:00", [("date", "12-08"), ("time", "09:00")]),  # as the calendar notice writes it
        ("Dec 8, 09:30", [("date", "12-08"), ("time", "09:30")]),
        ("2027年春节", [("date", "2027")]),
    ],
)
def test_dates_and_times(text: str, expected: list[tuple[str, str]]) -> None:
    assert _values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们保证明天发货", [("promise", "guarantee")]),
        ("我们一定会处理", [("promise", "certainty")]),
        ("为您补发或全额退款", [("promise", "replacement"), ("promise", "refund")]),
        ("We guarantee delivery", [("promise", "guarantee")]),
        ("we will refund you", [("promise", "refund")]),
        ("the difference is refunded to you", [("promise", "refund")]),
        ("无法保证一定能改", []),  # a hedge is no promise
        ("拦截不一定成功", []),
        ("一定要在签收后检查", []),  # asks the buyer; promises nothing
        ("we are not able to promise a date", []),
        ("we can't guarantee it", []),
        ("Don't worry, we will refund you", [("promise", "refund")]),
    ],
)
def test_promises_and_hedges(text: str, expected: list[tuple[str, str]]) -> None:
    assert _values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("双11期间和618大促", []),  # event names are not numbers
        ("Double 11 sale", []),
        ("1. Log in\n2. Open {{Order Details}}", []),  # list markers and template slots
        ("根据第六条规定", []),
        ("订单号123456", [("number", "123456")]),
        ("call 400-820-8820", [("number", "400-820-8820")]),
        ("12,000 units and 1.5 m", [("number", "12000"), ("number", "1.5")]),
        ("", []),
    ],
)
def test_numbers_and_what_is_not_a_number(text: str, expected: list[tuple[str, str]]) -> None:
    assert _values(text) == expected


def test_claims_come_in_order_and_keep_their_text() -> None:
    claims = extract_claims("亲，我们保证七天内退款，差价50元")

    assert [(c.text, c.value) for c in claims] == [("保证", "guarantee"), ("七天", "7d"), ("50元", "¥50")]
