"""Order situations (rules/situations.yaml): which answer the order's state calls for, given the buyer's intent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocab import Intent
from drafting.order import Order, OrderStatus
from drafting.rulefile import load_rule_file, require_unique

SITUATIONS_FILE = "situations.yaml"
Opening = Literal["thanks", "apology", "delay", "trouble"]
OrderField = Literal[
    "id", "status", "paid_at", "ship_by", "shipped_at", "delivered_at", "promised_delivery_date", "carrier",
    "tracking_number", "region", "items", "amount", "presale", "price_protection_until",
]


class When(BaseModel):
    """Every condition given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: list[OrderStatus] | None = None
    shipped: bool | None = None
    overdue: bool | None = None
    balance_due: bool | None = None
    price_protected: bool | None = None
    has: list[OrderField] = Field(default_factory=list)

    def holds(self, order: Order, at: datetime) -> bool:
        facts = order.facts()
        checks = (
            self.status is None or order.status in self.status,
            self.shipped is None or order.shipped == self.shipped,
            self.overdue is None or order.overdue(at) == self.overdue,
            self.balance_due is None or order.balance_due(at) == self.balance_due,
            self.price_protected is None or order.price_protected(at) is self.price_protected,
            all(name in facts for name in self.has),
        )
        return all(checks)


class Situation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    intents: list[Intent] = Field(min_length=1)
    when: When
    opening: Opening


class Situations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    situations: list[Situation]

    @model_validator(mode="after")
    def _unique(self) -> Situations:
        require_unique("situation", [s.id for s in self.situations])
        return self

    def match(self, intent: str | None, order: Order, at: datetime) -> Situation | None:
        """The first situation for this intent whose conditions the order meets; None without an order."""
        if intent is None or not order.given:
            return None
        return next((s for s in self.situations if intent in s.intents and s.when.holds(order, at)), None)


def load_situations(path: Path | None = None) -> Situations:
    return load_rule_file(Situations, SITUATIONS_FILE, path)
