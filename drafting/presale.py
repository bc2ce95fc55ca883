"""Pre-sale answers from the shop's catalog: stock, promotions, attributes, size, comparison, recommendation and
bulk quotes. Every fact comes from the catalog; an unknown SKU, an attribute it does not list or a product it cannot
tell apart gets a question or a check, never a guess."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from catalog.models import Product
from catalog.resolve import SKU_LIKE as _SKU_HINT
from catalog.resolve import Resolved, Resolver
from catalog.service import Catalog, PromotionState
from core.vocab import Locale, Role
from drafting import measures
from drafting.models import ProductCard, Reason
from drafting.order import Order
from drafting.presale_facts import Card, amount, attribute_values, bulk_quote, offers, size_advice
from drafting.presale_kinds import KindFinder
from drafting.presale_rules import PresaleRules, blank, matches

# Stock, price and promotions of something bought already (paid, shipped, received) are after-sale questions: the
# listing's facts do not answer them ("付完款说没货了", "尾款付了啥时候发", "paid and now it's cheaper").
_BOUGHT = re.compile(
    r"(付|交|拍|买|下)(了|过|完)(款|单|定金|尾款)?|已经(付|买|拍|下单|签收)|下的单|这单|订单|收到(了|货)|签收"
    r"|\b(i|we) (bought|ordered|paid|received|got)\b|\bmy (order|purchase)\b|\bpaid (the|for|and|on|it)\b"
    r"|\b(received|got) (it|the|my|mine)\b|\b(arrived|delivered)\b|\bi received\b"
    r"|破洞|破了|坏了|\b(torn|broken|damaged|defective)\b", re.I)
# ... unless the buyer means to buy again ("上次买的挺好 想再买一床") or asks the presale's own terms (定金, 尾款)
_AGAIN = re.compile(r"再.{0,8}(买|来|补|拍|下单|订)|回购|复购|还想买|多买"
                    r"|\b(buy|order|get|purchase|want|wants)\b.{0,25}\b(another|one more|a second|again|more)\b"
                    r"|\b(reorder|buy more)\b|\bwants? one too\b"
                    r"|\b(get|getting|buy|buying|order|ordering)\b.{0,30}\b(too|as well|also)\b"
                    r"|定金|尾款|\bdeposit\b|\bbalance\b", re.I)
# a price difference since buying (价保, 退差价) is price protection, whatever product it names
_PRICE_SINCE = re.compile(
    r"差价|补差|退差|价保|保价|\b(price (difference|adjustment|protection)|refund the difference)\b", re.I)
_PRESALE_TERMS = re.compile(r"定金|尾款|\bdeposit\b|\bbalance\b|\bpay the rest\b", re.I)
_AFTER_SALE_STATES = ("paid", "shipped", "in_transit", "delivered", "refunding", "closed")
_CHANGES_AFTER_SALE = ("stock", "restock", "promotion", "price")  # a bought item's material is still the listing's
_ASK_WHICH = ("stock", "restock", "size", "bulk")  # worth asking "which one?" even with no candidate to name
_PARTS = re.compile(r"和|跟|与|还是|对比|比|\bvs\.?\b|\bversus\b|\bor\b|\band\b|,|，", re.I)
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
    def __init__(self, rules: PresaleRules, catalog: Catalog, resolver: Resolver, kinds: KindFinder,
                 local: Callable[[datetime], datetime]) -> None:
        self._rules = rules
        self._kinds = kinds
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
            price=amount(product.price), currency=product.currency, stock=product.stock,
            stock_level=product.stock_level(), resolved_by=case.resolved.how,
            promotions=[p.title_en if locale == "en" and p.title_en else p.title for p in live])
        return dataclasses.replace(case, card=card)

    def _ask(self, message: str, *, locale: str, platform: str, intent: str | None, types: tuple[str, ...],
             sku: str | None, order: Order, at: datetime) -> PresaleCase | None:
        if not self._catalog.view().products or _PRICE_SINCE.search(message):
            return None
        # a material word names the product ("真丝四件套还有没") unless the product is named otherwise ("这个是纯棉的吗"
        # on its page)
        named_otherwise = bool(sku or _SKU_HINT.search(message) or order.skus())
        names: Callable[[str], bool] = (lambda _: False) if named_otherwise else self._resolver.in_titles
        groups = [g for g in self._rules.attributes if g.asked(message, locale, names)]
        kinds = self._kinds_asked(message, locale, intent, types, attribute_asked=bool(groups))
        if kinds and kinds[0] in _CHANGES_AFTER_SALE and \
                (order.status in _AFTER_SALE_STATES or _BOUGHT.search(message)) and not _AGAIN.search(message):
            return None  # "付完款说没货了": about the order, not the listing
        if not kinds and not (sku or _SKU_HINT.search(message)):
            return None
        # the product is named by the words that do not ask: "机洗" in "这个被子能机洗吗" is no part of its name,
        # unless a title has them ("真丝" in 真丝四件套)
        words = blank(self._rules.asking.get("zh" if locale == "zh" else "en", []), message, lambda _: False)
        words = blank(self._rules.question_words(locale), words, self._resolver.in_titles)
        resolved = self._resolver.resolve(message, words=words, sku=sku, order_skus=order.skus(), platform=platform,
                                          match=True)
        asked = [g.folded_names() for g in groups]
        if resolved.product is not None:
            asked += [{k.casefold()} for k in resolved.product.attributes if k.casefold() in message.casefold()]
        if not kinds:  # a product page or item number, and the message names one of its attributes
            if resolved.product is None or not asked:
                return None
            kinds = ["attribute"]
        if resolved.unknown and not resolved.products:
            return PresaleCase("unknown_sku", resolved, {"unknown": list(resolved.unknown)})
        for kind in kinds:  # the first kind that has an answer: "对比了好几家…这个还有货吗" is a stock question
            case = self._answer(kind, message, locale, platform, at, resolved, asked)
            if case is not None:
                return case
        if resolved.product is None and "recommendation" not in kinds and \
                (resolved.candidates or set(kinds) & set(_ASK_WHICH)):
            cards = [Card.of(p, locale) for p in resolved.candidates]
            return PresaleCase("which", resolved, {"asked": kinds[0], "candidates": cards})
        return None

    def _answer(self, kind: str, message: str, locale: str, platform: str, at: datetime, resolved: Resolved,
                asked: list[set[str]]) -> PresaleCase | None:
        if kind == "recommendation" and resolved.product is not None and resolved.how in ("field", "text") and asked:
            kind = "attribute"  # "这款适合冬天吗" on a product page asks about that product
        if kind == "recommendation":
            return self._recommend(message, locale, platform) or (
                self._recommend(message, locale, platform, resolved.candidates) if resolved.candidates else None)
        if kind == "comparison":
            return self._compare(message, locale, platform, resolved)
        if kind == "promotion" and resolved.product is None and not resolved.candidates:
            if _PRESALE_TERMS.search(message):
                return None  # a presale's deposit or balance, of no product named: the presale FAQ answers it
            return self._shop_offers(message, locale, platform, at, resolved)
        if resolved.product is None:
            return None
        return self._about(kind, message, locale, platform, at, resolved.product, resolved, asked)

    def _kinds_asked(self, message: str, locale: str, intent: str | None, types: tuple[str, ...], *,
                     attribute_asked: bool) -> list[str]:
        """Every kind the message asks, in the rules' order; failing cues, the kind of the nearest example."""
        key: Locale = "zh" if locale == "zh" else "en"
        found = []
        for name, rule in self._rules.kinds.items():
            if set(rule.unless_types) & set(types) or matches(rule.unless.get(key, []), message):
                continue
            if set(rule.types) & set(types) or (intent is not None and intent in rule.intents) or \
                    matches(rule.cues.get(key, []), message) or \
                    (rule.attribute_cues and attribute_asked):
                found.append(name)
        nearest = None if found else self._kinds.nearest(message, locale)
        return found or ([nearest] if nearest else [])

    def _about(self, kind: str, message: str, locale: str, platform: str, at: datetime, product: Product,
               resolved: Resolved, asked: list[set[str]]) -> PresaleCase | None:
        facts: dict[str, Any] = {"product": Card.of(product, locale), "sold_here": product.sold_on(platform)}
        if kind in ("stock", "restock"):
            view = self._catalog.view()
            alternatives = [p for s in product.alternatives if (p := view.by_sku(s)) is not None
                            and p.stock > 0 and p.sold_on(platform)]
            facts["alternatives"] = [Card.of(p, locale) for p in alternatives]
        elif kind in ("promotion", "price"):
            facts["offers"] = offers(self._catalog.promotions_for(product.sku, platform, at), locale, at, self._local,
                                     message)
        elif kind == "size" and product.size_chart:
            facts["size"] = size_advice(product, measures.body(message))
        elif kind == "size":  # no chart: the sizes it comes in, if its attributes list them
            return self._about("attribute", message, locale, platform, at, product, resolved,
                               asked or [g.folded_names() for g in self._rules.attributes if "尺码" in g.names])
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
            found = {frozenset(names): attribute_values(product, names, locale) or
                     self._values_about(product, names, locale) for names in asked}
            values = list(dict.fromkeys(v for pairs in found.values() for v in pairs))
            missing = [sorted(names)[0] for names, pairs in found.items() if not pairs]
            facts.update(values=values, missing=missing)
        return PresaleCase(kind, resolved, facts)

    def _values_about(self, product: Product, names: set[str], locale: str) -> list[tuple[str, str]]:
        """Attributes whose value speaks of what the group asks, under another name ("外套: 可拆洗" answers "套子
        能拆下来洗吗")."""
        group = next((g for g in self._rules.attributes if g.folded_names() == names), None)
        if group is None:
            return []
        cues = group.zh if locale == "zh" else group.en
        return [(k, v) for k, v in product.attributes.items()
                if isinstance(v, str) and k.isascii() == (locale == "en") and matches(cues, v)]

    def _compare(self, message: str, locale: str, platform: str, resolved: Resolved) -> PresaleCase | None:
        products = list(resolved.products) if resolved.how in ("field", "text") else []
        if len(products) < 2:  # "乳胶枕和荞麦枕哪个好", or "和羊毛被比呢" on a product page: named in words, in order
            for part in _PARTS.split(message):
                found = self._resolver.resolve(part, sku=None, order_skus=(), platform=platform).product \
                    if part.strip() else None
                if found is not None and all(found.sku != p.sku for p in products):
                    products.append(found)
        if len(products) < 2:
            return None
        pair = products[:2]
        keys = list(dict.fromkeys(k for p in pair for k in p.attributes if k.isascii() == (locale == "en")))
        keys = keys or list(dict.fromkeys(k for p in pair for k in p.attributes))
        rows = [(k, [attribute_values(p, {k.casefold()}, locale) for p in pair]) for k in keys[:8]]
        table = [(k, [v[0][1] if v else None for v in vals]) for k, vals in rows]
        how = resolved.how if resolved.how in ("field", "text") else "match"
        return PresaleCase("comparison", Resolved(how, tuple(pair)),
                           {"products": [Card.of(p, locale) for p in pair], "table": table})

    def _recommend(self, message: str, locale: str, platform: str,
                   among: tuple[Product, ...] = ()) -> PresaleCase | None:
        """In-stock products of the kind asked (their titles share the message's words, or they are the products
        `among` the message's words could mean: "推荐一款被子"), within the budget and the season asked, nearest
        first; at most a few, each with why."""
        limit = measures.budget(message)
        season = next((s for word, s in _SEASONS.items() if word in message.casefold()), None)
        picked: list[tuple[Product, list[str]]] = []
        pool = [(p, 1.0) for p in among] or self._resolver.nearest(message, 20)
        for product, score in pool:
            if score < self._rules.match.floor or product.stock == 0 or not product.sold_on(platform):
                continue
            if not (among or self._resolver.of_kind(message, product)) or (limit is not None and product.price > limit):
                continue
            why = []
            if season is not None:
                values = attribute_values(product, _SEASON_NAMES, locale)
                if not values or not any(word in values[0][1].casefold() for word in season):
                    continue
                why.append(values[0][1])
            picked.append((product, why))
            if len(picked) == self._rules.recommend.at_most:
                break
        if not picked:
            return None
        return PresaleCase("recommendation", Resolved("none", candidates=tuple(p for p, _ in picked)),
                           {"picks": [(Card.of(p, locale), why) for p, why in picked],
                            "budget": None if limit is None else amount(limit)})

    def _shop_offers(self, message: str, locale: str, platform: str, at: datetime,
                     resolved: Resolved) -> PresaleCase | None:
        states = [PromotionState(p, p.state(at)) for p in self._catalog.view().promotions
                  if p.platform in ("any", platform)]
        found = offers(states, locale, at, self._local, message)
        if not found:
            return None
        return PresaleCase("promotion", resolved, {"product": None, "offers": found, "sold_here": True})
