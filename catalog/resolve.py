"""Which product a message is about: the product page the chat was opened from, an SKU in the text, the order's
items, or the product whose words the message is nearest to. A close call names the candidates; it never guesses."""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from catalog.models import Product
from catalog.service import Catalog, View
from knowledge.embedders.base import Embedder

How = Literal["field", "text", "order", "match", "none"]
# An item number as buyers paste it: letters, then a dash or digits ("QC-QLT-WIN-200", "YD-450", "AB1234").
_WORDS = re.compile(r"[a-z]{2,}")
# a number names a product only with its unit ("24cm", "1.8米", "5-tier", "3只装"); "200块以内" is a budget
_MEASURES = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:cm|mm|m\b|米|寸|l\b|ml|tiers?|层|件套|只装|个装|人)"
                       r"|(?<![\d.])([1-3]\.\d)(?![\d.])")  # "1.8的床垫": a width in metres
_METRES = re.compile(r"([1-3])米([0-9])(?![0-9])")
_HAN_RUNS = re.compile(r"[\u3400-\u9fff]{2,}")
_HAN = re.compile(r"[\u3400-\u9fff]")
# words of a listing that say how it is sold, not what it is: "Storage Box, Set of 3" is no bedding set
_FILLERS = frozenset({"set", "of", "the", "and", "with", "for", "pack", "pair", "piece", "new", "in", "cm", "mm"})
_WORD_AT = re.compile(r"[a-z]+")
_WORD_BEFORE = re.compile(r"([a-z]+)[ -]+$")
# phrases end at punctuation and at the words that start a clause or a need ("for winter", "under 300")
_PHRASES = re.compile(r"[,.;:!?()\u3000-\u303f\uff00-\uffef]|\b(?:for|under|below|with|that|which|to|in|on|"
                      r"from|at|about|budget|is|are|and|or|but|if|so)\b")
_ENGLISH_FUNCTION = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "your", "my", "our", "his", "her", "their", "its", "is",
    "are", "was", "do", "does", "did", "any", "some", "of", "for", "on", "in", "to", "with", "and", "or", "about",
    "how", "what", "which", "can", "could", "will", "would", "still", "also", "just", "new", "big", "small",
})
# characters that never modify a product name: pronouns, measure words, particles ("这床羊毛被", "那个乳胶枕")
_CHINESE_FUNCTION = frozenset(
    "这那哪个款件套条只床张把双对台种批些点家边面里上下的了吗呢吧啊呀么嘛哦是有没在我你他她它们想要买给帮请问亲和跟与或"
    "还再也都就换配购拍订选找用送看囤装加问")
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")  # "（预售）", "(Pre-order)": a listing's label, not its name
_LEXICAL_WEIGHT = 0.1  # how much a title sharing the message's rarer words adds to the embedding's similarity
SKU_LIKE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]+)+|[A-Za-z]{2,6}\d{3,})(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Resolved:
    how: How
    products: tuple[Product, ...] = ()  # the product asked about (two when the message compares them)
    candidates: tuple[Product, ...] = ()  # when it is not clear which: the products to ask about
    unknown: tuple[str, ...] = ()  # item numbers the buyer gave that the catalog does not hold
    score: float | None = None  # similarity of a product matched by words

    @property
    def product(self) -> Product | None:
        return self.products[0] if self.products else None


@dataclass(frozen=True)
class Matching:
    floor: float
    margin: float
    ask_at_most: int


class Resolver:
    def __init__(self, catalog: Catalog, embedder: Embedder, matching: Matching) -> None:
        self._catalog = catalog
        self._embedder = embedder
        self._matching = matching
        self._titles: tuple[int, TitleTerms] | None = None
        self._lock = threading.Lock()

    def resolve(self, message: str, *, sku: str | None, order_skus: Sequence[str], platform: str,
                match: bool = True, words: str | None = None) -> Resolved:
        """`words`: the part of the message that may name a product in words (the question's own words left
        out); item numbers are read from the whole message."""
        view = self._catalog.view()
        named, unknown = _named(message, view)
        if sku:
            page = view.by_sku(sku)
            if page is None:
                return Resolved("field", unknown=(sku, *unknown))
            return Resolved("field", (page, *[p for p in named if p.sku != page.sku]))
        if named:
            return Resolved("text", tuple(named), unknown=tuple(unknown))
        if unknown:
            return Resolved("text", unknown=tuple(unknown))
        ordered = [p for s in dict.fromkeys(order_skus) if (p := view.by_sku(s)) is not None]
        if len(ordered) == 1:
            return Resolved("order", (ordered[0],))
        if not match or not view.products:
            return Resolved("none", candidates=tuple(ordered[: self._matching.ask_at_most]))
        return self._match(message if words is None else words, platform, among={p.sku for p in ordered} or None)

    def title_overlap(self, message: str, product: Product) -> float:
        """How much of the message's title words (by rarity) the product's titles hold; 0 when none."""
        return self._title_terms().overlap(message, product)

    def in_titles(self, text: str) -> bool:
        """Whether the titles have every word of the text: it names a product rather than asks about one."""
        return self._title_terms().has_all(text)

    def of_kind(self, message: str, product: Product) -> bool:
        """Whether the product is of the kind the message asks for: it shares a word or character pair of its name
        with the message ("电饭煲" shares only 电 with 电热水壶), and the message does not name something else around
        it ("electric blanket" is no electric kettle)."""
        return self._title_terms().of_kind(message, product)

    def nearest(self, message: str, k: int) -> list[tuple[Product, float]]:
        return self._catalog.nearest(self._embedder.embed_queries([message])[0], k)

    def _match(self, message: str, platform: str, among: set[str] | None) -> Resolved:
        """The product whose words the message shares: its title must share one of the message's words (a bare
        "还有货吗" names no product), and it must lead the next by the margin; closer calls are asked about."""
        m = self._matching
        titles = self._title_terms()
        # a product not sold on this platform is still the one asked about: the draft says where it is sold
        found = [(p, s + _LEXICAL_WEIGHT * lex, lex) for p, s in self.nearest(message, 12)
                 if (among is None or p.sku in among) and titles.names(message, p)
                 and (lex := titles.overlap(message, p)) > 0 and s >= m.floor]
        if not found:
            return Resolved("none")
        found.sort(key=lambda f: -f[1])
        best, score, lex = found[0]
        # products the buyer's words do not tell apart ("炒锅" and two woks) are asked about, whatever the embedding
        close = [p for p, s, x in found if score - s < m.margin or x >= lex - 1e-9]
        if len(close) == 1:
            if titles.modified(message, best):
                return Resolved("none")  # "竹纤维凉席" when the shop sells a 夏凉被: not the product asked for
            return Resolved("match", (best,), score=round(min(score, 1.0), 4))
        return Resolved("none", candidates=tuple(close[: m.ask_at_most]), score=round(min(score, 1.0), 4))

    def _title_terms(self) -> TitleTerms:
        view = self._catalog.view()
        with self._lock:
            if self._titles is None or self._titles[0] != view.revision:
                self._titles = (view.revision, TitleTerms(view.products.values()))
            return self._titles[1]


Terms = tuple[frozenset[str], frozenset[str]]  # words and character pairs; single Chinese characters
_NO_TERMS: Terms = (frozenset(), frozenset())


@functools.lru_cache(maxsize=4096)  # a draft compares one message with up to 12 products, several times each
def terms(text: str) -> Terms:
    """A text's words: Chinese as character pairs (收纳箱 → 收纳, 纳箱), English words without a plural s, and
    numbers; and, second, its single Chinese characters, for a message whose pairs no title has ("被子" and 羽绒被)."""
    folded = _METRES.sub(r"\1.\2米", text.casefold())  # "1米5" is how buyers write 1.5米
    words = {t[:-1] if len(t) > 3 and t.endswith("s") else t for t in _WORDS.findall(folded)} - _FILLERS
    words |= {a or b for a, b in _MEASURES.findall(folded)}
    pairs = {run[i:i + 2] for run in _HAN_RUNS.findall(folded) for i in range(len(run) - 1)}
    return frozenset(words | pairs), frozenset(_HAN.findall(folded))


class TitleTerms:
    """How rare each title word is in the catalog: a word every title has ("被" in a bedding shop of quilts)
    says little, one only a few have ("乳胶") says which product."""

    def __init__(self, products: Iterable[Product]) -> None:
        self._terms = {p.sku: terms(_BRACKETS.sub(" ", f"{p.title} {p.title_en or ''}")) for p in products}
        n = len(self._terms)
        self._idf = [self._weights([t[level] for t in self._terms.values()], n) for level in (0, 1)]

    @staticmethod
    def _weights(sets: list[frozenset[str]], n: int) -> dict[str, float]:
        df = Counter(t for ts in sets for t in ts)
        return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}

    def modified(self, message: str, product: Product) -> bool:
        """Whether the buyer puts a word no title has right before the words the product's title shares ("竹纤维
        凉席", "bamboo summer mat", "衣柜收纳架"): they name a kind of product the catalog may not hold."""
        own = self._terms.get(product.sku, _NO_TERMS)[0]
        folded = message.casefold()
        for m in _WORD_AT.finditer(folded):
            word = m.group(0)
            if (word[:-1] if len(word) > 3 and word.endswith("s") else word) in own:
                before = _WORD_BEFORE.search(folded[:m.start()])  # the word right before it, in the same phrase
                return before is not None and self._foreign(before.group(1))
        for run in _HAN_RUNS.finditer(folded):
            text = run.group(0)
            first = next((i for i in range(len(text) - 1) if text[i:i + 2] in own), None)
            if first is not None:
                if first == 0 or text[first - 1] in _CHINESE_FUNCTION:
                    return False
                return text[first - 1:first + 1] not in self._idf[0]
        return False

    def _foreign(self, word: str) -> bool:
        """A content word no title has."""
        stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
        return word not in _ENGLISH_FUNCTION and len(word) > 2 and stem not in self._idf[0]

    def names(self, message: str, product: Product) -> bool:
        """Whether the message shares a word of the product's name, not only a size ("1.8米" names no product)."""
        asked_terms = terms(message)
        own = self._terms.get(product.sku, _NO_TERMS)
        shared = {t for t in asked_terms[0] & own[0] if not t[0].isdigit()}
        return bool(shared) or (not any(t in self._idf[0] for t in asked_terms[0]) and
                                bool(asked_terms[1] & own[1]))

    def has_all(self, text: str) -> bool:
        """Whether every word of the text is a title's ("真丝", "silk"): it names a product; "how long does it keep
        drinks hot" does not."""
        words = {t for t in terms(text)[0] if t not in _ENGLISH_FUNCTION}
        return bool(words) and all(t in self._idf[0] for t in words)

    def head_named(self, message: str, product: Product) -> bool:
        """For English: the last word of the phrase the product's words are in is the product's ("a warm duvet
        for winter", not "an electric blanket" for an electric kettle)."""
        own = self._terms.get(product.sku, _NO_TERMS)[0]
        folded = message.casefold()
        for phrase in _PHRASES.split(folded):
            words = [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD_AT.findall(phrase)]
            content = [w for w in words if w not in _ENGLISH_FUNCTION and w not in _FILLERS]
            if any(w in own for w in content):
                return content[-1] in own
        return True

    def of_kind(self, message: str, product: Product) -> bool:
        return self._share(terms(message)[0], product, 0) > 0 and self.names(message, product) and \
            self.head_named(message, product)

    def _share(self, asked_terms: frozenset[str], product: Product, level: int) -> float:
        idf = self._idf[level]
        asked = {t: w for t in asked_terms if (w := idf.get(t, 0.0)) > 0}
        total = sum(asked.values())
        own = self._terms.get(product.sku, _NO_TERMS)[level]
        return sum(w for t, w in asked.items() if t in own) / total if total > 0 else 0.0

    def overlap(self, message: str, product: Product) -> float:
        """The share of the message's title words (weighted by rarity) that this product's titles hold: by words
        and character pairs, or by single characters when no title has any of the message's pairs."""
        asked_terms = terms(message)
        for level in (0, 1):
            if any(self._idf[level].get(t, 0.0) > 0 for t in asked_terms[level]):
                return self._share(asked_terms[level], product, level)
        return 0.0


def _named(message: str, view: View) -> tuple[list[Product], list[str]]:
    """Products whose SKU the message gives (in its order), and SKU-like words the catalog does not hold."""
    found: dict[str, Product] = {}
    unknown: list[str] = []
    for token in SKU_LIKE.findall(message):
        product = view.by_sku(token)
        if product is not None:
            found.setdefault(product.sku, product)
        elif token.upper() not in unknown and any(c.isdigit() for c in token):
            unknown.append(token.upper())
    return list(found.values()), unknown
