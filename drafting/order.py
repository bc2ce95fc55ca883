"""The buyer's order as the seller console knows it, and the states a reply depends on.

Every field is optional: an agent pastes what the console shows. A draft quotes only the facts given here; it never
invents a tracking number, a date or an amount.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

OrderStatus = Literal["unpaid", "paid", "shipped", "in_transit", "delivered", "refunding", "closed"]
SHIPPED_STATUSES = ("shipped", "in_transit", "delivered")
_FACT = Field(default=None)
# Every UTC offset is under a day: an instant a day clear of datetime's range can be shown in any timezone.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def quotable(value: datetime) -> datetime:
    """An instant that can be shown in any timezone (replies quote it in the shop's, queries compare it in UTC);
    9999-12-31T23:59:59-14:00 cannot, and would fail deep inside a draft rather than at the boundary."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise ValueError(f"{value.isoformat()} is too near the ends of the calendar (years 1 and 9999) to show in "
                         "every timezone")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(quotable)]


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)


class Presale(BaseModel):
    """A pre-sale (预售) order: a deposit (定金) now, the balance (尾款) in a later window."""

    model_config = ConfigDict(extra="forbid")

    deposit: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    deposit_paid: bool = True
    balance: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    balance_from: Instant | None = None
    balance_until: Instant | None = None
    balance_paid: bool = False

    @model_validator(mode="after")
    def _window(self) -> Presale:
        if self.balance_from and self.balance_until and self.balance_until <= self.balance_from:
            raise ValueError("balance_until must be after balance_from")
        return self


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, max_length=64, description="The platform's order number.")
    status: OrderStatus | None = None
    paid_at: Instant | None = _FACT
    ship_by: Instant | None = Field(default=None, description="The promised ship-by time (承诺发货时间).")
    shipped_at: Instant | None = _FACT
    delivered_at: Instant | None = Field(default=None, description="When the carrier marked it delivered.")
    promised_delivery_date: Instant | None = Field(
        default=None, description="A delivery date the platform guarantees (e.g. 次日达); only then may a draft "
        "promise one.")
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")
    region: str | None = Field(default=None, max_length=64, description="Delivery province/state, for notices.")
    items: list[OrderItem] = Field(default_factory=list, max_length=200)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2, description="Paid total.")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    presale: Presale | None = None
    price_protection_until: Instant | None = Field(
        default=None, description="End of the price-protection window (价保).")

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        if self.status == "unpaid" and (self.paid_at or self.shipped_at or self.delivered_at):
            raise ValueError("an unpaid order has no paid_at, shipped_at or delivered_at")
        if self.shipped_at and self.paid_at and self.shipped_at < self.paid_at:
            raise ValueError("shipped_at is before paid_at")
        return self

    @property
    def given(self) -> bool:
        return bool(self.facts())

    @property
    def shipped(self) -> bool:
        return self.status in SHIPPED_STATUSES or (self.status is None and self.shipped_at is not None)

    def overdue(self, at: datetime) -> bool:
        """Paid, not shipped, and past the promised ship-by time."""
        return self.status == "paid" and not self.shipped and self.ship_by is not None and at > self.ship_by

    def balance_due(self, at: datetime) -> bool:
        """A pre-sale order whose balance is unpaid and payable now (or whose window is not given)."""
        p = self.presale
        if p is None or p.balance_paid or self.status not in (None, "unpaid", "paid"):
            return False
        return not (p.balance_from and at < p.balance_from) and not (p.balance_until and at >= p.balance_until)

    def price_protected(self, at: datetime) -> bool | None:
        """Inside the price-protection window: True/False, or None when the order does not say."""
        return None if self.price_protection_until is None else at < self.price_protection_until

    def localized(self, zone: tzinfo) -> Order:
        """The same order with every date and time in `zone` (the shop's), as replies quote them."""
        def moved(model: BaseModel) -> dict[str, Any]:
            return {name: value.astimezone(zone) for name in type(model).model_fields
                    if isinstance(value := getattr(model, name), datetime)}
        presale = self.presale.model_copy(update=moved(self.presale)) if self.presale else None
        return self.model_copy(update=moved(self) | {"presale": presale})

    def skus(self) -> list[str]:
        return [item.sku for item in self.items]

    def facts(self) -> dict[str, Any]:
        """The facts given, as JSON-ready values (what templates quote and rules may be waived by)."""
        data = self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        if data and self.currency and "amount" in data:
            data["currency"] = self.currency
        return data
