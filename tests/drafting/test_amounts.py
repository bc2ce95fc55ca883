"""Amounts buyers ask for, in Chinese and English words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from drafting.amounts import asked_amount


@pytest.mark.parametrize(("message", "base", "amount"), [
    ("能便宜50吗", None, "50"),
    ("少二十块呗", None, "20"),
    ("忘了用5元券", None, "5"),
    ("I forgot my 5 yuan coupon", None, "5"),
    ("$15 off please", None, "15"),
    ("a 5 dollar coupon", None, "5"),
    ("打八折行不", Decimal("100"), "20.00"),
    ("20% off?", Decimal("80"), "16.00"),
])
def test_an_amount_in_words_is_read(message: str, base: Decimal | None, amount: str) -> None:
    assert asked_amount(message, base=base) == Decimal(amount)


@pytest.mark.parametrize("message", ["能便宜点吗", "打八折行不", "can you do better?"])
def test_no_amount_or_a_discount_without_a_price_is_unknown(message: str) -> None:
    assert asked_amount(message) is None
