"""Catalog import figures: a deterministic catalog of generated products and promotions, imported as
`draftdesk catalog import` does (JSONL files read, then `Catalog.apply`) into a fresh SQLite database and an embedded
Chroma store; then imported again unchanged, and again with only the prices and stock of one product in ten changed.
Run as `python -m bench.catalog OUT.json WORK MODEL_CACHE PRODUCTS PROMOTIONS` so the model's memory leaves with the
process.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from catalog.facts import CatalogFacts
from catalog.loaders import load_products, load_promotions
from catalog.matching import ProductIndex
from catalog.models import Product, Promotion
from catalog.service import Catalog, Imported
from knowledge.chroma import open_chroma_client
from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder
from records.history import open_engine

COLLECTION = "draftdesk-kb.catalog"  # composition/wiring.py: f"{collection}.catalog" for the default shop
SHOP = "default"
FACTS_SHARE = 10  # one product in this many gets a new price and stock in the facts-only re-import
TARGET_UNCHANGED_S = 1.0  # issue 29: a re-import of unchanged rows embeds 0 in ≤ 1 s

_CST = timezone(timedelta(hours=8))
# (code, zh noun, en noun, kind): the kind picks the materials and whether there is a size chart
GOODS = [
    ("BED", "四件套", "bedding set", "textile"), ("DUV", "被套", "duvet cover", "textile"),
    ("SHT", "床笠", "fitted sheet", "textile"), ("QLT", "夏凉被", "summer quilt", "textile"),
    ("CMF", "冬被", "winter comforter", "textile"), ("PIL", "枕头", "pillow", "fill"),
    ("CUS", "靠垫", "cushion", "fill"), ("TOP", "床垫", "mattress topper", "fill"),
    ("TWL", "浴巾", "bath towel", "textile"), ("MAT", "地垫", "floor mat", "textile"),
    ("CUR", "窗帘", "curtain", "textile"), ("PJS", "睡衣", "pajamas", "wear"),
    ("ROB", "浴袍", "bathrobe", "wear"), ("LNG", "家居服", "loungewear set", "wear"),
    ("POT", "汤锅", "soup pot", "kitchen"), ("WOK", "炒锅", "wok", "kitchen"),
    ("KTL", "烧水壶", "kettle", "kitchen"), ("BOX", "收纳箱", "storage box", "storage"),
    ("BAG", "收纳袋", "storage bag", "storage"), ("RCK", "置物架", "shelf rack", "storage"),
]
MATERIALS = {
    "textile": [("纯棉", "cotton"), ("长绒棉", "long-staple cotton"), ("天丝", "Tencel"), ("亚麻", "linen"),
                ("竹纤维", "bamboo fibre"), ("磨毛", "brushed microfibre")],
    "fill": [("乳胶", "latex"), ("记忆棉", "memory foam"), ("荞麦壳", "buckwheat hull"), ("羽绒", "down"),
             ("大豆纤维", "soy fibre")],
    "wear": [("纯棉", "cotton"), ("莫代尔", "modal"), ("真丝", "silk"), ("珊瑚绒", "coral fleece")],
    "kitchen": [("304不锈钢", "304 stainless steel"), ("铸铁", "cast iron"), ("陶瓷釉", "ceramic-glazed"),
                ("玻璃", "glass")],
    "storage": [("PP塑料", "PP plastic"), ("棉麻", "cotton-linen"), ("竹编", "woven bamboo"), ("铁艺", "iron")],
}
STYLES = [("简约", "Minimal"), ("北欧", "Nordic"), ("日式", "Japanese-style"), ("复古", "Retro"),
          ("轻奢", "Premium"), ("田园", "Country"), ("法式", "French"), ("新中式", "Neo-Chinese")]
COLORS = [("月白", "ivory"), ("雾霾蓝", "haze blue"), ("浅灰", "light grey"), ("燕麦", "oatmeal"),
          ("豆沙粉", "dusty pink"), ("墨绿", "forest green"), ("奶咖", "latte"), ("藏青", "navy")]
SEASONS = [("四季", "all seasons"), ("春夏", "spring and summer"), ("秋冬", "autumn and winter")]
ORIGINS = [("江苏南通", "Nantong, Jiangsu"), ("浙江绍兴", "Shaoxing, Zhejiang"), ("广东佛山", "Foshan, Guangdong"),
           ("山东滨州", "Binzhou, Shandong")]
PLATFORMS: list[list[Any]] = [["any"], ["any"], ["taobao", "jd"], ["pdd"], ["taobao", "pdd", "jd"]]
SIZES = [("S", (150, 160), (40, 50)), ("M", (160, 170), (50, 60)), ("L", (170, 178), (60, 72)),
         ("XL", (178, 185), (72, 85)), ("XXL", (185, 195), (85, 100))]
EVENTS = [("双11狂欢", "Double 11 Sale"), ("双12家居节", "Double 12 Home Festival"), ("年货节", "New Year Goods Fair"),
          ("618大促", "618 Sale"), ("换季清仓", "Season-End Clearance"), ("会员日", "Members' Day"),
          ("新品首发", "New Arrivals Launch"), ("开学季", "Back-to-School Week")]


def sku(n: int) -> str:
    return f"BC-{GOODS[n % len(GOODS)][0]}-{n:05d}"


def generate_products(count: int, seed: int = 29) -> list[Product]:
    """`count` products with distinct zh and en titles; about a third with bulk tiers, the clothing with size charts,
    one in five with alternatives. Same count and seed: the same products."""
    rng = random.Random(seed)
    products = []
    for n in range(count):
        code, noun, noun_en, kind = GOODS[n % len(GOODS)]
        (material, material_en), (style, style_en) = rng.choice(MATERIALS[kind]), rng.choice(STYLES)
        colors = rng.sample(COLORS, rng.randint(1, 3))
        season, season_en = rng.choice(SEASONS)
        origin, origin_en = rng.choice(ORIGINS)
        price = Decimal(rng.randrange(1990, 99_900, 100)) / 100  # 19.90 to 998.90
        attributes: dict[str, Any] = {"材质": material, "颜色": [c for c, _ in colors], "适用季节": season,
                                      "产地": origin, "material": material_en, "colors": [c for _, c in colors],
                                      "season": season_en, "origin": origin_en}
        row: dict[str, Any] = {
            "sku": sku(n), "title": f"{style}{material}{noun} {n:05d}款",
            "title_en": f"{style_en} {material_en} {noun_en}, model {n:05d}", "price": str(price),
            "stock": rng.choice([0, 3, 8, 25, 60, 120, 480]), "platforms": rng.choice(PLATFORMS),
            "attributes": attributes, "url": f"https://shop.example.com/item/{code.lower()}-{n:05d}",
        }
        if n % 3 == 0:
            row["bulk_tiers"] = [{"min_qty": q, "unit_price": str((price * f).quantize(Decimal("0.01")))}
                                 for q, f in ((10, Decimal("0.9")), (50, Decimal("0.8")))]
        if kind == "wear":
            row["size_chart"] = [{"label": label, "height": list(h), "weight": list(w)} for label, h, w in SIZES]
        if n % 5 == 0 and count > 2:
            row["alternatives"] = sorted({sku((n + step * len(GOODS)) % count) for step in (1, 2)} - {sku(n)})
        products.append(Product.model_validate(row))
    return products


def generate_promotions(count: int, skus: Sequence[str], seed: int = 30) -> list[Promotion]:
    """`count` promotions through 2026 (UTC+8) of each mechanics type in turn; one in ten covers the whole shop, the
    others 5 to 50 of `skus`."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=_CST)
    promotions = []
    for n in range(count):
        event, event_en = EVENTS[n % len(EVENTS)]
        starts = start + timedelta(days=rng.randrange(0, 360), hours=rng.choice([0, 10, 20]))
        ends = starts + timedelta(days=rng.randint(1, 14))
        mechanics = _mechanics(n % 4, rng, ends)
        covered: list[str] | str = "all" if n % 10 == 0 or not skus else \
            sorted(rng.sample(list(skus), min(len(skus), rng.randint(5, 50))))
        promotions.append(Promotion.model_validate({
            "id": f"BP-{n:04d}", "title": f"{event}·第{n + 1}场", "title_en": f"{event_en} #{n + 1}",
            "platform": rng.choice(["any", "any", "taobao", "jd", "pdd"]), "starts": starts.isoformat(),
            "ends": ends.isoformat(), "skus": covered, "mechanics": mechanics,
            "terms": f"活动期间{event}优惠以结算页为准。",
            "terms_en": f"During the {event_en}, the checkout page shows the final price.",
        }))
    return promotions


def _mechanics(kind: int, rng: random.Random, ends: datetime) -> dict[str, Any]:
    """Threshold, percent off, presale (its balance due in the three days after the deposit window) or a gift."""
    if kind == 0:
        return {"type": "threshold", "threshold": str(rng.choice([99, 199, 299, 499])),
                "off": str(rng.choice([10, 20, 30, 50]))}
    if kind == 1:
        return {"type": "percent_off", "percent": str(rng.choice([5, 10, 15, 20]))}
    if kind == 2:
        return {"type": "presale", "deposit": "20", "balance": str(rng.choice([99, 199, 299])),
                "balance_from": ends.isoformat(), "balance_until": (ends + timedelta(days=3)).isoformat()}
    return {"type": "gift", "gift": "同款枕套一只", "gift_en": "a matching pillowcase"}


def with_new_facts(products: Sequence[Product], every: int = FACTS_SHARE) -> list[Product]:
    """The same products, one in `every` with a new price and stock: facts change, the words a buyer matches on do
    not."""
    return [p.model_copy(update={"price": p.price + 1, "stock": p.stock + 7}) if n % every == 0 else p
            for n, p in enumerate(products)]


def write_jsonl(path: Path, items: Sequence[Product] | Sequence[Promotion]) -> Path:
    path.write_text("".join(item.model_dump_json(exclude_defaults=True) + "\n" for item in items), encoding="utf-8")
    return path


def _import(open_catalog: Callable[[], Catalog], products: Path, promotions: Path) -> tuple[float, float, Imported]:
    """What one `draftdesk catalog import --products P --promotions Q` does after start-up: a catalog opened afresh
    (so it reads the shop's products back once, as a new process does), both files read, then applied. Returns the
    seconds for the whole and for the apply alone."""
    catalog = open_catalog()
    started = time.perf_counter()
    rows, offers = load_products(products), load_promotions(promotions)
    read = time.perf_counter()
    imported = catalog.apply(rows, offers, prune=False)
    done = time.perf_counter()
    return done - started, done - read, imported


def measure(products: list[Product], promotions: list[Promotion], work: Path, embedder: Embedder) -> dict[str, Any]:
    """First import, unchanged re-import and facts-only re-import into a fresh database and store under `work`."""
    work.mkdir(parents=True, exist_ok=True)
    engine, client = open_engine(f"sqlite:///{work / 'catalog.db'}"), open_chroma_client(work / "chroma")

    def open_catalog() -> Catalog:
        facts = CatalogFacts(engine, lambda: datetime.now(UTC))
        return Catalog(facts, ProductIndex(client, COLLECTION, embedder), SHOP)

    products_file = write_jsonl(work / "products.jsonl", products)
    promotions_file = write_jsonl(work / "promotions.jsonl", promotions)
    facts_file = write_jsonl(work / "products_facts.jsonl", with_new_facts(products))
    embedder.embed_passages(["warm-up"])  # a runtime loaded on first use loads before the clock
    first_s, first_apply_s, first = _import(open_catalog, products_file, promotions_file)
    unchanged_s, unchanged_apply_s, unchanged = _import(open_catalog, products_file, promotions_file)
    facts_s, facts_apply_s, facts_only = _import(open_catalog, facts_file, promotions_file)
    engine.dispose()
    return {
        "catalog_products": len(products), "catalog_promotions": len(promotions),
        "catalog_import_s": round(first_s, 2), "catalog_import_apply_s": round(first_apply_s, 2),
        "catalog_import_rate_per_s": round(len(products) / first_s, 1),
        "catalog_import_embedded": first.embedded, "catalog_import_added": first.applied.products.added,
        "catalog_reimport_unchanged_s": round(unchanged_s, 3),
        "catalog_reimport_unchanged_apply_s": round(unchanged_apply_s, 3),
        "catalog_reimport_unchanged_embedded": unchanged.embedded,
        "catalog_reimport_unchanged_count": unchanged.applied.products.unchanged,
        "catalog_reimport_facts_s": round(facts_s, 3), "catalog_reimport_facts_apply_s": round(facts_apply_s, 3),
        "catalog_reimport_facts_embedded": facts_only.embedded,
        "catalog_reimport_facts_updated": facts_only.applied.products.updated,
    }


def main(out: Path, work: Path, model_cache: Path, products: int, promotions: int) -> None:
    catalog = generate_products(products)
    offers = generate_promotions(promotions, [p.sku for p in catalog])
    figures = measure(catalog, offers, work / "catalog", load_embedder(DEFAULT_EMBEDDER, model_cache))
    out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
