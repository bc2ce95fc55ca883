"""The catalog's facts as text a claim checker reads (eval/metrics/claims.py): what a pre-sale draft may quote about
the products it names and the shop's promotions, with the sums a bulk quote and the sizes a buyer's words imply."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Gift, PercentOff, Presale, Product, Promotion, Threshold
from catalog.service import View
from drafting import measures
from drafting.models import Draft
from drafting.presale_facts import amount


def _money(value: Decimal) -> str:
    text = amount(value)
    return f"¥{text} {text}元 {text}"


def _product(p: Product, quantity: int | None) -> str:
    parts = [p.sku, p.title, p.title_en or "", f"价格 {_money(p.price)}", f"库存 {p.stock}件 {p.stock}"]
    parts += [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in p.attributes.items()]
    for tier in p.bulk_tiers:
        parts.append(f"{tier.min_qty}件起 {tier.min_qty} {_money(tier.unit_price)}")
        if quantity:
            parts.append(f"{quantity}件 合计 {_money(tier.unit_price * quantity)}")
    for row in p.size_chart:
        for name, rng in (("height", row.height), ("weight", row.weight)):
            if rng:
                parts.append(f"{row.label} {name} {rng[0]:g}-{rng[1]:g} {rng[0]:g} {rng[1]:g}")
    if p.restock_date:
        parts.append(f"restock {p.restock_date.isoformat()}")
    return "\n".join(parts)


def _promotion(p: Promotion) -> str:
    m = p.mechanics
    parts = [p.id, p.title, p.title_en or "", p.terms, p.terms_en,
             f"{p.starts:%Y-%m-%d %H:%M}", f"{p.ends:%Y-%m-%d %H:%M}"]
    if isinstance(m, Threshold):
        parts.append(f"满{_money(m.threshold)}减{_money(m.off)}")
    elif isinstance(m, PercentOff):
        parts.append(f"{amount(m.percent)}%")
    elif isinstance(m, Presale):
        parts += [_money(m.deposit), _money(m.balance), f"{m.balance_from:%Y-%m-%d %H:%M}",
                  f"{m.balance_until:%Y-%m-%d %H:%M}"]
    elif isinstance(m, Gift):
        parts += [m.gift, m.gift_en or ""]
    return "\n".join(parts)


def catalog_facts(view: View, draft: Draft, message: str) -> tuple[str, ...]:
    """The records of every product the draft names (by SKU) and every promotion, plus the buyer's own numbers
    read the way the drafter reads them (1米7 → 170 cm)."""
    if not view.products:
        return ()
    quantity = measures.quantity(message)
    named = [p for sku, p in view.products.items() if sku in draft.draft]
    body = measures.body(message)
    said = [f"{v:g} {round(v):d}" for v in (body.height_cm, body.weight_kg) if v is not None]
    limit = measures.budget(message)
    said += [_money(limit)] if limit is not None else []
    return (*(_product(p, quantity) for p in named), *(_promotion(p) for p in view.promotions), " ".join(said))
