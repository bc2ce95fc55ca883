"""Order facts at the boundary: what a draft can quote must be valid before drafting starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from drafting.order import Order, Presale


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-14:00", "9999-12-31T12:00:00+00:00",
                                     "0001-01-01T00:00:00+14:00", "0001-01-01T12:00:00+00:00"])
@pytest.mark.parametrize("field", ["paid_at", "ship_by", "shipped_at", "delivered_at", "promised_delivery_date",
                                   "price_protection_until"])
def test_an_instant_no_timezone_can_show_is_refused(field: str, instant: str) -> None:
    with pytest.raises(ValidationError, match="ends of the calendar"):
        Order.model_validate({field: instant})


def test_a_presale_window_no_timezone_can_show_is_refused() -> None:
    with pytest.raises(ValidationError, match="ends of the calendar"):
        Presale.model_validate({"balance_until": "9999-12-31T23:59:59-14:00"})


@pytest.mark.parametrize("zone", [timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), UTC])
def test_instants_at_the_edges_of_the_range_move_to_any_timezone(zone: timezone) -> None:
    """A day clear of datetime's range is accepted, and every zone can show it (what `localized` does)."""
    early = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
    late = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
    order = Order(paid_at=early, shipped_at=late, presale=Presale(balance_from=early, balance_until=late))
    moved = order.localized(zone)
    assert moved.paid_at == early and moved.shipped_at == late
    assert moved.presale is not None and moved.presale.balance_until == late
