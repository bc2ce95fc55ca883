"""Order situations: which one an order and intent call for, and that each one's wording is grounded and compliant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.vocab import PLATFORMS
from drafting.authority import load_authority
from drafting.order import Order
from drafting.policy import PolicyChecker, load_rules
from drafting.rulefile import RuleFileError
from drafting.situations import load_situations
from prompts import render

AT = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
CST = timedelta(hours=8)
SITUATIONS = load_situations()
AUTHORITY = load_authority()
CHECKER = PolicyChecker(load_rules(), AUTHORITY)

PAID = {"id": "TB1", "status": "paid", "paid_at": "2026-11-11T00:10:00+08:00", "amount": "299.00"}
SHIPPED = {"id": "TB2", "status": "in_transit", "carrier": "圆通", "tracking_number": "YT123456",
           "shipped_at": "2026-11-11T20:00:00+08:00"}
# One order per situation, as a seller console would show it at AT.
ORDERS: dict[str, tuple[str, dict[str, Any]]] = {
    "balance_due": ("presale", {"id": "TB3", "status": "paid", "presale": {
        "deposit": "50", "balance": "249.00", "balance_from": "2026-11-11T00:00:00+08:00",
        "balance_until": "2026-11-13T23:59:59+08:00"}}),
    "cancel_unpaid": ("cancel", {"id": "TB4", "status": "unpaid", "amount": "99"}),
    "cancel_before_shipping": ("cancel", PAID),
    "cancel_after_shipping": ("cancel", SHIPPED),
    "cancel_after_delivery": ("cancel", {"id": "TB5", "status": "delivered",
                                         "delivered_at": "2026-11-12T09:00:00+08:00"}),
    "modify_before_shipping": ("modify_order", PAID),
    "modify_after_shipping": ("modify_order", SHIPPED),
    "refund_in_progress": ("return_refund", {"id": "TB6", "status": "refunding"}),
    "order_closed": ("logistics", {"id": "TB7", "status": "closed"}),
    "shipment_overdue": ("logistics", PAID | {"ship_by": "2026-11-11T18:00:00+08:00"}),
    "awaiting_shipment": ("logistics", PAID | {"ship_by": "2026-11-13T18:00:00+08:00"}),
    "in_transit": ("logistics", SHIPPED),
    "delivered_not_received": ("logistics", {"id": "TB8", "status": "delivered", "carrier": "SF",
                                             "tracking_number": "SF1001", "delivered_at": "2026-11-12T09:00:00+08:00"}),
    "unpaid_reminder": ("logistics", {"id": "TB9", "status": "unpaid", "amount": "59.90"}),
    "price_protection_open": ("price_protection", {"id": "TB10", "status": "delivered",
                                                   "price_protection_until": "2026-11-20T00:00:00+08:00"}),
    "price_protection_closed": ("price_protection", {"id": "TB11", "status": "delivered",
                                                     "price_protection_until": "2026-11-10T00:00:00+08:00"}),
}


def test_every_situation_has_an_example_order_here() -> None:
    assert sorted(ORDERS) == sorted(s.id for s in SITUATIONS.situations)


@pytest.mark.parametrize("situation", sorted(ORDERS))
def test_the_example_order_and_intent_select_the_situation(situation: str) -> None:
    intent, order = ORDERS[situation]

    found = SITUATIONS.match(intent, Order.model_validate(order), AT)

    assert found is not None and found.id == situation


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("situation", sorted(ORDERS))
def test_each_wording_is_compliant_everywhere_and_quotes_only_the_orders_numbers(situation: str, locale: str) -> None:
    order = Order.model_validate(ORDERS[situation][1])
    for role in ("l1", "l2", "supervisor"):
        limits = AUTHORITY.limits(role)  # type: ignore[arg-type]
        text = render(f"situation.{locale}", situation=situation, order=order, limits=limits,
                      currency=AUTHORITY.currency)
        assert text and "None" not in text
        for platform in PLATFORMS:
            verdict = CHECKER.check(text, platform, locale, order.facts(), role=role)  # type: ignore[arg-type]
            assert verdict.passed, (situation, role, platform, verdict.violations)
        # every number comes from the order (dates, amounts, ids), the role's coupon, or the policy's 7 days
        facts = " ".join(str(v) for v in order.model_dump(mode="json", exclude_none=True).values())
        dates = {p for d in _dates(order) for p in local_parts(d)}
        allowed = _numbers(facts) | dates | {str(int(limits.max_coupon)), "7"}
        assert _numbers(text) <= allowed, (situation, _numbers(text) - allowed)


def _dates(order: Order) -> list[datetime]:
    found = [order.ship_by, order.delivered_at, order.price_protection_until, order.shipped_at, order.paid_at]
    if order.presale:
        found += [order.presale.balance_until, order.presale.balance_from]
    return [d for d in found if d is not None]


def local_parts(d: datetime) -> set[str]:
    return {str(d.month), str(d.day), d.strftime("%H"), d.strftime("%M"), d.strftime("%d")}


def test_overdue_compensation_follows_the_role() -> None:
    order = Order.model_validate(ORDERS["shipment_overdue"][1])

    def text(role: str, locale: str) -> str:
        return render(f"situation.{locale}", situation="shipment_overdue", order=order,
                      limits=AUTHORITY.limits(role), currency=AUTHORITY.currency)  # type: ignore[arg-type]

    assert "优惠券" not in text("l1", "zh") and "coupon" not in text("l1", "en")  # L1 may not compensate
    assert "20元的店铺优惠券" in text("l2", "zh") and "a 20 CNY store coupon" in text("l2", "en")
    assert "100元的店铺优惠券" in text("supervisor", "zh")
    assert "11月11日 18:00" in text("l1", "zh") and "11 Nov 18:00" in text("l1", "en")


def test_facts_the_order_lacks_are_left_out_not_invented() -> None:
    bare = Order(status="in_transit", tracking_number="YT9")
    zh = render("situation.zh", situation="in_transit", order=bare, limits=AUTHORITY.limits("l1"), currency="CNY")
    overdue = Order(status="paid", id="TB1")
    en = render("situation.en", situation="shipment_overdue", order=overdue, limits=AUTHORITY.limits("l1"),
                currency="CNY")

    assert "YT9" in zh and "None" not in zh
    assert en.startswith("Your order hasn't shipped yet.") and "None" not in en


@pytest.mark.parametrize(
    ("intent", "order", "expected"),
    [
        ("cancel", {}, None),  # no order: the FAQ answers
        (None, PAID, None),  # no intent
        ("invoice", PAID, None),  # no situation for this intent
        ("logistics", {"status": "shipped"}, None),  # in transit but no tracking number to quote
        ("logistics", PAID | {"ship_by": "2026-11-12T18:00:00+08:00"}, "awaiting_shipment"),
        ("cancel", PAID | {"ship_by": "2026-11-11T18:00:00+08:00"}, "cancel_before_shipping"),  # first match
        ("complaint", PAID | {"ship_by": "2026-11-11T18:00:00+08:00"}, "shipment_overdue"),
        ("presale", {"status": "paid", "presale": {"balance_paid": True}}, None),
        ("presale", {"status": "paid", "presale": {"balance_from": "2026-11-20T00:00:00+08:00"}}, None),
        ("price_protection", {"status": "delivered"}, None),  # the window is not given
    ],
)
def test_matching(intent: str | None, order: dict[str, Any], expected: str | None) -> None:
    found = SITUATIONS.match(intent, Order.model_validate(order), AT)

    assert (found.id if found else None) == expected


def test_a_bad_situations_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "situations.yaml"
    bad.write_text("version: 1\nsituations:\n  - {id: x, intents: [teleport], when: {}, opening: thanks}\n",
                   encoding="utf-8")

    with pytest.raises(RuleFileError, match=r"situations\.yaml: situations\.0\.intents\.0: Input should be"):
        load_situations(bad)
