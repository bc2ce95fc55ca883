"""Pre-sale answers from the shop's catalog: stock, promotions, attributes, size, comparison, recommendation and
bulk quotes. Every fact comes from the catalog; an unknown SKU, an attribute it does not list or a product it cannot
tell apart gets a question or a check, never a guess."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from catalog.models import Product
from catalog.resolve import Resolved, Resolver
from catalog.service import Catalog, PromotionState
from core.vocab import Role
from drafting import measures
from drafting.models import ProductCard, Reason
from drafting.order import Order
from drafting.presale_facts import Card, attribute_values, bulk_quote, offers, size_advice
from drafting.presale_rules import PresaleRules, matches

# Kinds that need one product: without it the draft asks which (naming candidates when there are some).
_ONE_PRODUCT = ("stock", "restock", "size", "bulk", "attribute")
_SEASONS = {"冬": ("冬", "winter"), "winter": ("冬", "winter"), "夏": ("夏", "summer"), "summer": ("夏", "summer"),
            "四季": ("四季", "all"), "all season": ("四季", "all")}
_SEASON_NAMES = {"适用季节", "季节", "season"}


@dataclass(frozen=True)
class PresaleCase:
    kind: str  # a rules kind, or `which` (which product?) or `unknown_sku`
    resolved: Resolved
    facts: dict[str, Any] = field(default_factory=dict)
    handoff_to: Role | None = None
    reason: Reason | None = None  # why a person takes over, when one does
    card: ProductCard | None = None  # the product it is about, for the console

    @property
    def products(self) -> tuple[Product, ...]:
        return self.resolved.products


class PresaleAnswers(Protocol):
    def ask(self, message: str, *, locale: str, platform: str, intent: str | None, types: tuple[str, ...],
            sku: str | None, order: Order, at: datetime) -> PresaleCase | None: ...


class NoCatalog:
    """A drafter without a catalog: pre-sale questions go to the knowledge base, as before."""

    def ask(self, message: str, *, locale: str, platform: str, intent: str | None, types: tuple[str, ...],
            sku: str | None, order: Order, at: datetime) -> PresaleCase | None:
        return None


class PresaleDesk:
    def __init__(self, rules: PresaleRules, catalog: Catalog, resolver: Resolver,
                 local: Callable[[datetime], datetime]) -> None:
        self._rules = rules
        self._catalog = catalog
        self._resolver = resolver
        self._local = local  # instants as the shop's clock shows them

    def ask(self, message: str, *, locale: str, platform: str, intent: str | None, types: tuple[str, ...],
            sku: str | None, order: Order, at: datetime) -> PresaleCase | None:
        case = self._ask(message, locale=locale, platform=platform, intent=intent, types=types, sku=sku, order=order,
                         at=at)
        if case is None or not case.products or case.resolved.how == "none":
            return case
        product = case.products[0]
        live = [s.promotion for s in self._catalog.promotions_for(product.sku, platform, at) if s.state == "live"]
        card = ProductCard(
            sku=product.sku, title=product.title_en if locale == "en" and product.title_en else product.title,
            price=f"{product.price.normalize():f}", currency=product.currency, stock=product.stock,
            stock_level=product.stock_level(), resolved_by=case.resolved.how,
            promotions=[p.title_en if locale == "en" and p.title_en else p.title for p in live])
        return dataclasses.replace(case, card=card)

    def _ask(self, message: str, *, locale: str, platform: str, intent: str | None, types: tuple[str, ...],
             sku: str | None, order: Order, at: datetime) -> PresaleCase | None:
        kind = self._kind(message, locale, intent, types)
        if kind is None or not self._catalog.view().products:
            return None
        resolved = self._resolver.resolve(message, sku=sku, order_skus=order.skus(), platform=platform,
                                          match=kind != "recommendation")
        asked = [g.folded_names() for g in self._rules.attributes if g.asked(message, locale)]
        if kind == "recommendation" and resolved.product is not None and resolved.how in ("field", "text") and asked:
            kind = "attribute"  # "这款适合冬天吗" on a product page asks about that product
        if resolved.unknown and not resolved.products:
            return PresaleCase("unknown_sku", resolved, {"unknown": list(resolved.unknown)})
        if kind == "recommendation":
            return self._recommend(message, locale, platform, resolved)
        if kind == "comparison":
            return self._compare(message, locale, platform, resolved)
        if kind == "promotion" and resolved.product is None and not resolved.candidates:
            return self._shop_offers(locale, platform, at, resolved)
        product = resolved.product
        if product is None:
            if kind in _ONE_PRODUCT and (resolved.candidates or kind != "attribute"):
                cards = [Card.of(p, locale) for p in resolved.candidates]
                return PresaleCase("which", resolved, {"asked": kind, "candidates": cards})
            return None
        return self._about(kind, message, locale, platform, at, product, resolved, asked)

    def _kind(self, message: str, locale: str, intent: str | None, types: tuple[str, ...]) -> str | None:
        for name, rule in self._rules.kinds.items():
            if set(rule.types) & set(types) or (intent is not None and intent in rule.intents):
                return name
            if matches(rule.cues.get("zh" if locale == "zh" else "en", []), message):
                return name
            if rule.attribute_cues and any(g.asked(message, locale) for g in self._rules.attributes):
                return name
        return None

    def _about(self, kind: str, message: str, locale: str, platform: str, at: datetime, product: Product,
               resolved: Resolved, asked: list[set[str]]) -> PresaleCase | None:
        facts: dict[str, Any] = {"product": Card.of(product, locale), "sold_here": product.sold_on(platform)}
        if kind in ("stock", "restock"):
            view = self._catalog.view()
            alternatives = [p for s in product.alternatives if (p := view.by_sku(s)) is not None
                            and p.stock > 0 and p.sold_on(platform)]
            facts["alternatives"] = [Card.of(p, locale) for p in alternatives]
        elif kind == "promotion":
            facts["offers"] = offers(self._catalog.promotions_for(product.sku, platform, at), locale, at, self._local)
        elif kind == "size":
            if not product.size_chart:
                return PresaleCase("attribute", resolved, {**facts, "values": [], "missing": ["size_chart"]})
            facts["size"] = size_advice(product, measures.body(message))
        elif kind == "bulk":
            quote = bulk_quote(product, measures.quantity(message), self._rules.bulk.negotiate_from)
            facts["quote"] = quote
            if quote.beyond in ("over_stock", "negotiate") or (quote.beyond == "no_tiers" and quote.quantity):
                reason = Reason(code=f"bulk:{quote.beyond}", message=(
                    f"批量{quote.quantity}件，需主管报价" if locale == "zh" else
                    f"bulk order of {quote.quantity}: a supervisor quotes it"))
                return PresaleCase(kind, resolved, facts, self._rules.bulk.handoff_to, reason)
        elif kind == "attribute":
            if not asked:
                return None
            values = [v for names in asked if (v := attribute_values(product, names, locale))]
            missing = [sorted(names)[0] for names in asked if attribute_values(product, names, locale) is None]
            facts.update(values=values, missing=missing)
        return PresaleCase(kind, resolved, facts)

    def _compare(self, message: str, locale: str, platform: str, resolved: Resolved) -> PresaleCase | None:
        products = list(resolved.products)
        if len(products) == 1:  # "和羊毛被比呢" on a product page: the other is named in words
            nearest = [p for p, s in self._resolver.nearest(message, 4)
                       if s >= self._rules.match.floor and p.sku != products[0].sku and p.sold_on(platform)]
            products += nearest[:1]
        if len(products) < 2:
            if not (products or resolved.candidates):
                return None
            cards = [Card.of(p, locale) for p in (*products, *resolved.candidates)]
            return PresaleCase("which", resolved, {"asked": "comparison", "candidates": cards})
        pair = products[:2]
        keys = list(dict.fromkeys(k for p in pair for k in p.attributes if k.isascii() == (locale == "en")))
        keys = keys or list(dict.fromkeys(k for p in pair for k in p.attributes))
        rows = [(k, [attribute_values(p, {k.casefold()}, locale) for p in pair]) for k in keys[:8]]
        table = [(k, [v[1] if v else None for v in vals]) for k, vals in rows]
        return PresaleCase("comparison", Resolved(resolved.how, tuple(pair)),
                           {"products": [Card.of(p, locale) for p in pair], "table": table})

    def _recommend(self, message: str, locale: str, platform: str, resolved: Resolved) -> PresaleCase | None:
        limit = measures.budget(message)
        season = next((s for word, s in _SEASONS.items() if word in message.casefold()), None)
        picked: list[tuple[Product, list[str]]] = []
        for product, score in self._resolver.nearest(message, 20):
            if score < self._rules.match.floor - 0.04 or product.stock == 0 or not product.sold_on(platform):
                continue
            if limit is not None and product.price > limit:
                continue
            why = []
            if season is not None:
                value = attribute_values(product, _SEASON_NAMES, locale)
                if value is None or not any(word in value[1].casefold() for word in season):
                    continue
                why.append(value[1])
            picked.append((product, why))
            if len(picked) == self._rules.recommend.at_most:
                break
        if not picked:
            return None
        return PresaleCase("recommendation", Resolved("match", tuple(p for p, _ in picked)),
                           {"picks": [(Card.of(p, locale), why) for p, why in picked],
                            "budget": None if limit is None else f"{limit.normalize():f}"})

    def _shop_offers(self, locale: str, platform: str, at: datetime, resolved: Resolved) -> PresaleCase | None:
        states = [PromotionState(p, p.state(at)) for p in self._catalog.view().promotions
                  if p.platform in ("any", platform)]
        found = offers(states, locale, at, self._local)
        if not found:
            return None
        return PresaleCase("promotion", resolved, {"product": None, "offers": found, "sold_here": True})
