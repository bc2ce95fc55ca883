"""What the catalog says in answer to each kind of pre-sale question, as plain values for the templates
(prompts/catalog.{zh,en}.j2). Nothing here is worded: templates hold wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from catalog.models import Gift, PercentOff, Presale, Product, Promotion, SizeRow, Threshold
from catalog.service import PromotionState
from drafting.measures import Body

ENDING_SOON = timedelta(hours=48)  # only then may a draft say an offer ends soon: no invented urgency
RECENTLY_ENDED = timedelta(days=30)


def amount(value: Decimal) -> str:
    """199.00 → "199", 89.90 → "89.9": prices as the listing shows them."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Card:
    """A product as a draft (and the agent's console) shows it."""

    sku: str
    title: str
    price: str
    currency: str
    stock: int
    level: str  # in_stock, low or out
    restock_date: date | None
    url: str | None

    @classmethod
    def of(cls, product: Product, locale: str) -> Card:
        title = product.title_en if locale == "en" and product.title_en else product.title
        return cls(product.sku, title, amount(product.price), product.currency, product.stock, product.stock_level(),
                   product.restock_date, product.url)


@dataclass(frozen=True)
class Offer:
    """A promotion as a draft states it; times in the shop's timezone."""

    id: str
    title: str
    state: str  # live, upcoming or ended
    type: str
    starts: datetime
    ends: datetime
    ending_soon: bool
    terms: str
    numbers: dict[str, Any] = field(default_factory=dict)


def offer(state: PromotionState, locale: str, at: datetime, local: Any) -> Offer:
    p: Promotion = state.promotion
    m = p.mechanics
    numbers: dict[str, Any]
    if isinstance(m, Threshold):
        numbers = {"threshold": amount(m.threshold), "off": amount(m.off)}
    elif isinstance(m, PercentOff):
        numbers = {"percent": amount(m.percent)}
    elif isinstance(m, Presale):
        numbers = {"deposit": amount(m.deposit), "balance": amount(m.balance),
                   "balance_from": local(m.balance_from), "balance_until": local(m.balance_until)}
    elif isinstance(m, Gift):
        numbers = {"gift": m.gift_en if locale == "en" and m.gift_en else m.gift}
    title = p.title_en if locale == "en" and p.title_en else p.title
    terms = p.terms_en if locale == "en" and p.terms_en else p.terms
    return Offer(p.id, title, state.state, m.type, local(p.starts), local(p.ends),
                 state.state == "live" and p.ends - at <= ENDING_SOON, terms, numbers)


def offers(states: list[PromotionState], locale: str, at: datetime, local: Any, message: str) -> list[Offer]:
    """Live and upcoming promotions; one ended in the last month when nothing is live or the buyer names it
    ("双11那会儿的满减还有吗")."""
    live = any(s.state == "live" for s in states)
    kept = [s for s in states if s.state != "ended" or (
        at - s.promotion.ends <= RECENTLY_ENDED and (not live or _named(s.promotion, message)))]
    return [offer(s, locale, at, local) for s in kept]


# the ways buyers write the big shopping days
_EVENTS = (("双11", "双十一", "11.11", "double 11", "singles"), ("双12", "双十二", "12.12", "double 12"),
           ("618", "6.18"), ("年货节", "new year"), ("黑五", "black friday"), ("prime day",))


def _named(promotion: Promotion, message: str) -> bool:
    text = message.casefold().replace(" ", "")
    title = f"{promotion.title} {promotion.title_en or ''}".casefold().replace(" ", "")
    return any(any(n.replace(" ", "") in title for n in names) and any(n.replace(" ", "") in text for n in names)
               for names in _EVENTS) or promotion.title.casefold().replace(" ", "") in text


@dataclass(frozen=True)
class SizeAdvice:
    labels: list[str]  # one size, two when between sizes, none when outside the chart or nothing given
    between: bool
    height: float | None
    weight: float | None
    chart: list[SizeRow]


def size_advice(product: Product, body: Body) -> SizeAdvice:
    chart = product.size_chart
    by_height = [r.label for r in chart if body.height_cm is not None and r.height and
                 r.height[0] <= body.height_cm <= r.height[1]]
    by_weight = [r.label for r in chart if body.weight_kg is not None and r.weight and
                 r.weight[0] <= body.weight_kg <= r.weight[1]]
    given = [fits for fits, value in ((by_height, body.height_cm), (by_weight, body.weight_kg)) if value is not None]
    if not given or any(not fits for fits in given):
        return SizeAdvice([], False, body.height_cm, body.weight_kg, chart)
    order = [r.label for r in chart]
    labels = sorted({label for fits in given for label in fits}, key=order.index)
    if len(labels) > 2:  # the measurements point far apart: a person should look
        return SizeAdvice([], False, body.height_cm, body.weight_kg, chart)
    return SizeAdvice(labels, len(labels) == 2, body.height_cm, body.weight_kg, chart)


@dataclass(frozen=True)
class BulkQuote:
    quantity: int | None
    unit_price: str | None
    total: str | None
    tiers: list[tuple[int, str]]
    beyond: str | None  # why a person prices it: no_tiers, over_stock or negotiate


def bulk_quote(product: Product, quantity: int | None, negotiate_from: int) -> BulkQuote:
    tiers = [(t.min_qty, amount(t.unit_price)) for t in product.bulk_tiers]
    if quantity is None:
        return BulkQuote(None, None, None, tiers, None if tiers else "no_tiers")
    beyond = None
    if quantity > product.stock:
        beyond = "over_stock"
    elif not tiers:
        beyond = "no_tiers"
    elif quantity >= negotiate_from * product.bulk_tiers[-1].min_qty:
        beyond = "negotiate"
    if beyond:
        return BulkQuote(quantity, None, None, tiers, beyond)
    unit = product.unit_price(quantity)
    return BulkQuote(quantity, amount(unit), amount(unit * quantity), tiers, None)


def attribute_values(product: Product, names: set[str], locale: str) -> list[tuple[str, str]]:
    """The product's attributes among `names` (a group that means one thing: 材质 and 面料 both answer "是纯棉的
    吗"), named in the buyer's language when the catalog gives both."""
    found = [(k, v) for k, v in product.attributes.items() if k.casefold() in names]
    wanted = [kv for kv in found if kv[0].isascii() == (locale == "en")] or found
    return [(key, ("、" if locale == "zh" else ", ").join(value) if isinstance(value, list) else _plain(value, locale))
            for key, value in wanted]


def _plain(value: str | int | float | bool, locale: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if locale == "zh" else ("yes" if value else "no")
    return str(value)
