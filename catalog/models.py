"""A shop's catalog: products (price, stock, attributes, bulk tiers, size chart) and promotions (what they give,
to which SKUs, from when to when). Drafts quote only these facts; a field a product leaves out is never guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.vocab import EntryPlatform

MAX_SKU_CHARS = 64
MAX_TITLE_CHARS = 200
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_CHARS = 200
MAX_TIERS = 20
MAX_ALTERNATIVES = 20
MAX_SIZE_ROWS = 30
MAX_PROMOTION_SKUS = 5000
MAX_TERMS_CHARS = 1000
# A SKU is quoted in drafts and URLs and matched in buyer text: ASCII letters, digits, `-`, `_`, `.`, `/`.
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
SKU_ALPHABET = f"ASCII letters, digits, '-', '_', '.' and '/', starting with a letter or digit, ≤ {MAX_SKU_CHARS}"

_ANYWHERE: tuple[EntryPlatform, ...] = ("any",)
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
AttributeValue = str | int | float | bool | list[str]


def check_sku(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_SKU_CHARS or not SKU_PATTERN.fullmatch(value):
        raise ValueError(f"sku {value!r}: use {SKU_ALPHABET}")
    return value


class BulkTier(BaseModel):
    """From `min_qty` units on, each costs `unit_price`."""

    model_config = ConfigDict(extra="forbid")

    min_qty: int = Field(ge=2, le=1_000_000)
    unit_price: Money


class SizeRow(BaseModel):
    """One size and whom it fits: height in cm and weight in kg, each an inclusive [low, high] range."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=40)
    height: tuple[float, float] | None = None
    weight: tuple[float, float] | None = None
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ranges(self) -> SizeRow:
        if self.height is None and self.weight is None:
            raise ValueError(f"size {self.label!r} gives neither a height nor a weight range")
        for name, rng in (("height", self.height), ("weight", self.weight)):
            if rng is not None and not 0 < rng[0] <= rng[1] < 1000:
                raise ValueError(f"size {self.label!r}: {name} range {list(rng)} must be low ≤ high, both in (0, 1000)")
        return self


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    price: Money
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY, USD.")
    stock: int = Field(ge=0, le=100_000_000)
    low_stock: int = Field(default=10, ge=0, le=100_000_000, description="At or under this, stock reads as low.")
    restock_date: date | None = Field(default=None, description="Only when known: a draft never guesses one.")
    platforms: list[EntryPlatform] = Field(default_factory=lambda: list(_ANYWHERE), max_length=5)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    bulk_tiers: list[BulkTier] = Field(default_factory=list, max_length=MAX_TIERS)
    alternatives: list[str] = Field(default_factory=list, max_length=MAX_ALTERNATIVES)
    size_chart: list[SizeRow] = Field(default_factory=list, max_length=MAX_SIZE_ROWS)
    url: str | None = Field(default=None, max_length=500)

    _sku = field_validator("sku")(classmethod(lambda cls, v: check_sku(v)))

    @field_validator("alternatives")
    @classmethod
    def _alternatives(cls, value: list[str]) -> list[str]:
        return [check_sku(v) for v in value]

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if not key.strip() or len(key) > 40:
                raise ValueError(f"attribute name {key!r} must be 1-40 characters")
            text = ",".join(item) if isinstance(item, list) else str(item)
            if len(text) > MAX_ATTRIBUTE_CHARS:
                raise ValueError(f"attribute {key!r} is longer than {MAX_ATTRIBUTE_CHARS} characters")
        return {k.strip(): v for k, v in value.items()}

    @model_validator(mode="after")
    def _tiers(self) -> Product:
        quantities = [t.min_qty for t in self.bulk_tiers]
        if quantities != sorted(set(quantities)):
            raise ValueError("bulk_tiers must be in ascending min_qty, each quantity once")
        if self.sku in self.alternatives:
            raise ValueError("a product cannot be its own alternative")
        return self

    def sold_on(self, platform: str) -> bool:
        return "any" in self.platforms or platform in self.platforms

    def stock_level(self) -> Literal["in_stock", "low", "out"]:
        if self.stock == 0:
            return "out"
        return "low" if self.stock <= self.low_stock else "in_stock"

    def unit_price(self, quantity: int) -> Decimal:
        """The price per unit for `quantity`: the highest tier it reaches, else the list price."""
        reached = [t for t in self.bulk_tiers if quantity >= t.min_qty]
        return reached[-1].unit_price if reached else self.price


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["threshold"]
    threshold: Money = Field(description="满 (spend at least)")
    off: Money = Field(description="减 (taken off)")

    @model_validator(mode="after")
    def _sane(self) -> Threshold:
        if not 0 < self.off < self.threshold:
            raise ValueError("threshold: `off` must be above 0 and below `threshold`")
        return self


class PercentOff(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["percent_off"]
    percent: Decimal = Field(gt=0, lt=100, decimal_places=2, description="20 means 20 % off (八折).")


class Presale(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["presale"]
    deposit: Money
    balance: Money
    balance_from: AwareDatetime
    balance_until: AwareDatetime

    @model_validator(mode="after")
    def _window(self) -> Presale:
        if self.balance_until <= self.balance_from:
            raise ValueError("presale: balance_until must be after balance_from")
        return self


class Gift(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal["gift"]
    gift: str = Field(min_length=1, max_length=200)
    gift_en: str | None = Field(default=None, max_length=200)


Mechanics = Annotated[Threshold | PercentOff | Presale | Gift, Field(discriminator="type")]


class Promotion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=MAX_SKU_CHARS)
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    platform: EntryPlatform = "any"
    starts: AwareDatetime
    ends: AwareDatetime
    skus: list[str] | Literal["all"] = Field(max_length=MAX_PROMOTION_SKUS)
    mechanics: Mechanics
    terms: str = Field(default="", max_length=MAX_TERMS_CHARS)
    terms_en: str = Field(default="", max_length=MAX_TERMS_CHARS)

    _id = field_validator("id")(classmethod(lambda cls, v: check_sku(v)))

    @field_validator("skus")
    @classmethod
    def _skus(cls, value: list[str] | str) -> list[str] | str:
        return value if value == "all" else [check_sku(v) for v in value]

    @model_validator(mode="after")
    def _window(self) -> Promotion:
        if self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self

    def covers(self, sku: str, platform: str) -> bool:
        return (self.skus == "all" or sku in self.skus) and self.platform in ("any", platform)

    def state(self, at: datetime) -> Literal["upcoming", "live", "ended"]:
        if at < self.starts:
            return "upcoming"
        return "live" if at < self.ends else "ended"
