"""Pre-sale drafts from the shop's catalog, end to end: the real embedding model, a real Chroma and SQLite in a temp
dir, the sample catalog (catalog/sample) and the sample knowledge base, at a fixed shop time (2026-12-08 15:00
+08:00: Double 12 and the kitchen week are live, Double 11 has ended, the New Year sale has not started). Every
answer type in Chinese and English; each asserts the catalog's own numbers, dates and SKUs, and that nothing the
catalog does not say is stated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from catalog.loaders import load_folder
from composition.settings import Settings
from composition.shops import Shop
from composition.wiring import build_components
from drafting.models import Draft, DraftRequest
from knowledge.embedders import Embedder
from tests.conftest import MODEL_CACHE, ROOT, SAMPLE_KB

pytestmark = pytest.mark.model

AT = datetime(2026, 12, 8, 15, 0, tzinfo=timezone(timedelta(hours=8)))
UNPAID = {"status": "unpaid"}
PAID = {"status": "paid", "paid_at": "2026-12-08T10:00:00+08:00"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[Shop]:
    """One shop for the module: importing the catalog embeds 35 product texts."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("presale"), model_cache_dir=MODEL_CACHE, llm="template")
    parts = build_components(settings, embedder=real_embedder, clock=lambda: AT)
    shop = parts.shops.get()
    shop.knowledge.index_paths([SAMPLE_KB])
    imported = shop.catalog.apply(*load_folder(ROOT / "catalog" / "sample"))
    assert (imported.applied.products.added, imported.applied.promotions.added, imported.embedded) == (35, 7, 35)
    yield shop
    parts.close()


def draft(shop: Shop, message: str, platform: str | None = None, **fields: Any) -> Draft:
    """English buyers write on Amazon, Chinese on Taobao, unless `platform` says."""
    platform = platform or ("amazon" if fields.get("locale") == "en" else "taobao")
    return shop.drafts.draft(DraftRequest.model_validate({"message": message, "platform": platform, **fields}))


def answered(shop: Shop, kind: str, message: str, platform: str | None = None, *, sku: str | None = None,
             about: str | None = None, **fields: Any) -> Draft:
    """A catalog draft of this kind, which passes compliance; about the product `about` (None: no product)."""
    found = draft(shop, message, platform, sku=sku, **fields)
    assert found.answer_mode == "catalog", (found.answer_reason, found.draft)
    assert found.answer_reason is not None and found.answer_reason.code == f"catalog:{kind}", found.draft
    assert found.compliance is not None and found.compliance.passed, found.compliance
    assert (found.product.sku if found.product else None) == about, found.draft
    return found


def prices(text: str) -> list[float]:
    """Every listing price a draft quotes (售价129元, ¥59.9)."""
    return [float(zh or en) for zh, en in re.findall(r"售价(\d+(?:\.\d+)?)元|¥(\d+(?:\.\d+)?)", text)]


# --- stock and restock -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("这款四件套还有货吗", "zh", ["60支长绒棉四件套1.8米（QC-BED-4P-180，售价299元）目前有现货"],
     ["缺货", "库存不多", "仅剩"]),
    ("Is this still in stock?", "en", ["60s Long-Staple Cotton Bedding Set 1.8m (QC-BED-4P-180, ¥299) is in stock"],
     ["out of stock", "running low", "left"]),
])
def test_in_stock(shop: Shop, message: str, locale: str, says: list[str], never: list[str]) -> None:
    found = answered(shop, "stock", message, sku="QC-BED-4P-180", about="QC-BED-4P-180", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert not [w for w in never if w in found.draft], found.draft
    assert found.product is not None
    assert (found.product.stock, found.product.stock_level, found.product.resolved_by) == (120, "in_stock", "field")
    assert found.needs_human is False


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("还有货吗", "zh", ["库存不多，仅剩8件"]),
    ("Do you have any left?", "en", ["running low: 8 left"]),
])
def test_low_stock_states_the_count(shop: Shop, message: str, locale: str, says: list[str]) -> None:
    found = answered(shop, "stock", message, sku="QC-BED-4P-150", about="QC-BED-4P-150", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert "缺货" not in found.draft and "out of stock" not in found.draft
    assert found.product is not None and (found.product.stock, found.product.stock_level) == (8, "low")


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("真丝四件套还有货吗", "zh",
     ["真丝四件套1.8米（QC-BED-4P-SLK-180，售价1299元）目前暂时缺货", "到货时间还没有确定", "到货通知",
      "天丝四件套1.8米（QC-BED-4P-TEN-180，售价329元）", "60支长绒棉四件套1.8米（QC-BED-4P-180，售价299元）"],
     ["预计", "到货时间为", "月底", "下周"]),
    ("Is this in stock?", "en",
     ["Mulberry Silk Bedding Set 1.8m (QC-BED-4P-SLK-180, ¥1299) is out of stock", "We don't have a restock date yet",
      "Tencel Lyocell Bedding Set 1.8m (QC-BED-4P-TEN-180, ¥329)",
      "60s Long-Staple Cotton Bedding Set 1.8m (QC-BED-4P-180, ¥299)"],
     ["expect it back", "next week", "back on"]),
])
def test_out_of_stock_names_in_stock_alternatives_and_invents_no_restock_date(
        shop: Shop, message: str, locale: str, says: list[str], never: list[str]) -> None:
    found = answered(shop, "stock", message, sku="QC-BED-4P-SLK-180", about="QC-BED-4P-SLK-180", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert not [w for w in never if w in found.draft], found.draft
    assert found.product is not None and (found.product.stock, found.product.stock_level) == (0, "out")


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("羊毛被什么时候能补货", "zh", ["澳洲羊毛被200x230（QC-QLT-WOL-200，售价299元）目前暂时缺货，预计12月18日到货",
                          "冬季加厚被芯200x230（QC-QLT-WIN-200，售价269元）",
                          "桑蚕丝被200x230（QC-QLT-SLK-200，售价599元）"]),
    ("When will this be back in stock?", "en", ["is out of stock right now", "We expect it back on 18 Dec",
                                                "Winter Duvet Insert 200x230cm (QC-QLT-WIN-200, ¥269)"]),
])
def test_restock_with_the_catalogs_date(shop: Shop, message: str, locale: str, says: list[str]) -> None:
    found = answered(shop, "restock", message, sku="QC-QLT-WOL-200", about="QC-QLT-WOL-200", locale=locale)

    assert all(s in found.draft for s in says), found.draft


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("五层收纳柜什么时候有货", "zh", ["五层收纳柜（QC-STO-CAB-5，售价159元）目前暂时缺货", "到货时间还没有确定",
                           "折叠收纳柜（QC-STO-CAB-F，售价159元）", "实木收纳柜四层（QC-STO-CAB-4，售价429元）"],
     ["预计", "月底", "下周"]),
    ("When will you restock this?", "en", ["We don't have a restock date yet", "Folding Storage Cabinet (QC-STO-CAB-F"],
     ["expect it back", "next week"]),
])
def test_restock_without_a_date_says_none_is_known(
        shop: Shop, message: str, locale: str, says: list[str], never: list[str]) -> None:
    found = answered(shop, "restock", message, sku="QC-STO-CAB-5", about="QC-STO-CAB-5", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert not [w for w in never if w in found.draft], found.draft


def test_stock_of_a_product_not_listed_on_this_platform(shop: Shop) -> None:
    found = answered(shop, "stock", "法兰绒毯还有货吗", "taobao", sku="QC-BLK-FLN-150", about="QC-BLK-FLN-150")

    assert "目前没有在这个平台上架" in found.draft
    assert "有现货" not in found.draft


# --- promotions --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "says", "card"), [
    ("这个参加双12满减吗", "zh", ["参加以下活动：【双12家居节】满200元减30元，活动截止12月13日 00:00",
                          "【买四件套送枕套】下单赠纯棉枕套一对，活动截止1月1日 00:00"],
     ["双12家居节", "买四件套送枕套"]),
    ("Is this part of the Double 12 sale?", "en",
     ["is part of: Double 12 Home Festival: 30 off every order of 200 or more, until 13 Dec 00:00",
      "Free Pillowcases with Bedding Sets: a free pair of cotton pillowcases with each order, until 1 Jan 00:00"],
     ["Double 12 Home Festival", "Free Pillowcases with Bedding Sets"]),
])
def test_a_live_promotion_with_its_numbers_and_end(
        shop: Shop, message: str, locale: str, says: list[str], card: list[str]) -> None:
    found = answered(shop, "promotion", message, sku="QC-BED-4P-180", about="QC-BED-4P-180", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert found.product is not None and found.product.promotions == card
    # Double 12 ends in more than 48 hours: no urgency
    assert "即将结束" not in found.draft and "ending soon" not in found.draft


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("年货节有活动吗", "zh", ["目前没有参加进行中的活动", "【年货节】将于1月5日 00:00开始：活动价减10%"],
     ["参加以下活动"]),
    ("Will this be in the Chinese New Year sale?", "en",
     ["is not in a running promotion", "Chinese New Year Sale starts on 5 Jan 00:00: 10% off the listed price"],
     ["is part of"]),
])
def test_an_upcoming_promotion_is_announced_with_its_start_not_as_live(
        shop: Shop, message: str, locale: str, says: list[str], never: list[str]) -> None:
    found = answered(shop, "promotion", message, sku="QC-KIT-CUP-500", about="QC-KIT-CUP-500", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert not [w for w in never if w in found.draft], found.draft
    assert found.product is not None and found.product.promotions == []


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("这个还能参加双11满减吗", "zh", ["【双11狂欢】已于11月12日 00:00结束，现在下单不再享受该活动"], ["满300元减50元"]),
    ("Is this still in the Double 11 sale?", "en", ["Double 11 Sale ended on 12 Nov 00:00, so it no longer applies"],
     ["50 off every order of 300"]),
])
def test_an_ended_promotion_is_said_to_be_over(
        shop: Shop, message: str, locale: str, says: list[str], never: list[str]) -> None:
    found = answered(shop, "promotion", message, sku="QC-KIT-KTL-17", about="QC-KIT-KTL-17", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert not [w for w in never if w in found.draft], found.draft
    assert found.product is not None and found.product.promotions == (
        ["厨房好物季"] if locale == "zh" else ["Kitchen Essentials Week"])


def test_an_ended_promotion_asked_with_still_there(shop: Shop) -> None:
    found = answered(shop, "promotion", "双11满减现在还有吗", sku="QC-KIT-KTL-17", about="QC-KIT-KTL-17")

    assert "【双11狂欢】已于11月12日 00:00结束" in found.draft


@pytest.mark.parametrize(("message", "locale", "sku", "title", "pdd", "elsewhere"), [
    ("收纳箱有活动吗", "zh", "QC-STO-BOX-3", "拼多多冬日暖心价",
     "【拼多多冬日暖心价】满99元减10元，活动截止12月16日 00:00", "目前没有参加进行中的活动"),
    ("Is the vacuum bag pack on sale?", "en", "QC-STO-VAC-6", "PDD Winter Warm-Up Deal",
     "PDD Winter Warm-Up Deal: 10 off every order of 99 or more, until 16 Dec 00:00", "is not in a running promotion"),
])
def test_a_platform_only_promotion_applies_on_that_platform_only(
        shop: Shop, message: str, locale: str, sku: str, title: str, pdd: str, elsewhere: str) -> None:
    on_pdd = answered(shop, "promotion", message, "pdd", sku=sku, about=sku, locale=locale)
    other = "taobao" if locale == "zh" else "amazon"
    off_pdd = answered(shop, "promotion", message, other, sku=sku, about=sku, locale=locale)

    assert pdd in on_pdd.draft, on_pdd.draft
    assert on_pdd.product is not None and on_pdd.product.promotions == [title]
    assert elsewhere in off_pdd.draft, off_pdd.draft
    assert "拼多多" not in off_pdd.draft and "PDD" not in off_pdd.draft
    assert off_pdd.product is not None and off_pdd.product.promotions == []


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("预售定金多少", "zh", ["定金50元，尾款349元，尾款支付时间12月20日 00:00至12月22日 23:59"]),
    ("How much is the deposit for the pre-order?", "en",
     ["a deposit of 50 now and the balance of 349 paid between 20 Dec 00:00 and 22 Dec 23:59"]),
])
def test_presale_deposit_and_balance(shop: Shop, message: str, locale: str, says: list[str]) -> None:
    found = answered(shop, "promotion", message, sku="QC-BED-4P-PRE", about="QC-BED-4P-PRE", locale=locale)

    assert all(s in found.draft for s in says), found.draft


def test_shop_wide_promotions_with_no_product(shop: Shop) -> None:
    found = answered(shop, "promotion", "现在店里有什么活动", about=None)

    assert "店铺当前进行中的活动：【双12家居节】满200元减30元，截止12月13日 00:00" in found.draft
    assert "【拼多多冬日暖心价】" not in found.draft  # a Pinduoduo-only offer, asked on Taobao
    assert "【年货节】将于1月5日 00:00开始" in found.draft
    assert "【双11狂欢】满300元减50元" not in found.draft  # ended: never offered as running


# --- price and attributes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("这个多少钱", "zh", ["电热水壶1.7L（QC-KIT-KTL-17，售价129元）目前售价129元",
                     "【厨房好物季】活动价减15%，截止12月15日 00:00"]),
    ("How much is this?", "en", ["Electric Kettle 1.7L (QC-KIT-KTL-17, ¥129) is listed at ¥129",
                                 "Kitchen Essentials Week: 15% off the listed price, until 15 Dec 00:00"]),
])
def test_price_with_the_live_promotion(shop: Shop, message: str, locale: str, says: list[str]) -> None:
    found = answered(shop, "price", message, sku="QC-KIT-KTL-17", about="QC-KIT-KTL-17", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert found.product is not None and (found.product.price, found.product.currency) == ("129", "CNY")


@pytest.mark.parametrize(("message", "locale", "says", "never"), [
    ("是纯棉的吗", "zh", "的材质：100%长绒棉", "long-staple"),
    ("能机洗吗", "zh", "的可机洗：可机洗，30℃以下轻柔洗", "gentle"),
    ("有几个颜色", "zh", "的颜色：月白、雾霾蓝、浅灰", "ivory"),
    ("What is it made of?", "en", ", material: 100% long-staple cotton", "长绒棉"),
    ("Is it machine washable?", "en", ", washable: machine washable, gentle cycle below 30°C", "轻柔洗"),
    ("Does it come in other colors?", "en", ", colors: ivory, haze blue, light grey", "月白"),
])
def test_a_listed_attribute_is_quoted_in_the_buyers_language(
        shop: Shop, message: str, locale: str, says: str, never: str) -> None:
    found = answered(shop, "attribute", message, sku="QC-BED-4P-180", about="QC-BED-4P-180", locale=locale)

    assert says in found.draft, found.draft
    assert never not in found.draft
    assert "没有写明" not in found.draft and "isn't in our product information" not in found.draft


def test_a_fibre_content_in_english_on_taobao_is_not_an_absolute_claim(shop: Shop) -> None:
    found = answered(shop, "attribute", "What is it made of?", "taobao", sku="QC-BED-4P-180", about="QC-BED-4P-180",
                     locale="en")

    assert ", material: 100% long-staple cotton" in found.draft


@pytest.mark.parametrize(("message", "locale", "sku", "says", "never"), [
    ("产地是哪里", "zh", "QC-KIT-KTL-17", "这项信息商品资料里没有写明，我跟同事核实后尽快回复您",
     ["产地：", "中国", "国产", "进口"]),
    ("有保修吗", "zh", "QC-BED-4P-180", "这项信息商品资料里没有写明，我跟同事核实后尽快回复您",
     ["保修：", "一年", "质保"]),
    ("Where is it made?", "en", "QC-KIT-KTL-17", "isn't in our product information, so I'll check with my colleagues",
     ["origin:", "China", "made in"]),
    ("Does it have a warranty?", "en", "QC-BED-4P-180", "isn't in our product information, so I'll check",
     ["warranty:", "1 year", "year"]),
])
def test_an_unlisted_attribute_gets_a_check_not_a_value(
        shop: Shop, message: str, locale: str, sku: str, says: str, never: list[str]) -> None:
    found = answered(shop, "attribute", message, sku=sku, about=sku, locale=locale)

    assert says in found.draft, found.draft
    assert not [w for w in never if w in found.draft], found.draft


# --- size --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "sku", "says"), [
    ("我1米7 120斤穿什么码", "zh", "QC-HOM-PJ-W", "您身高170cm、体重60kg建议选L码"),
    ("I'm 5'9 160 lbs, what size?", "en", "QC-HOM-PJ-M", "175 cm and 72.6 kg fits size L"),
    ("身高160 体重112斤选哪个码", "zh", "QC-HOM-PJ-W", "您身高160cm、体重56kg在M和L之间：喜欢合身选M，喜欢宽松选L"),
    ("I'm 5'3 and 125 lbs, which size should I get?", "en", "QC-HOM-PJ-W",
     "160 cm and 56.7 kg falls between M and L: choose M for a closer fit or L for a looser one"),
])
def test_size_from_height_and_weight(shop: Shop, message: str, locale: str, sku: str, says: str) -> None:
    found = answered(shop, "size", message, sku=sku, about=sku, locale=locale)

    assert says in found.draft, found.draft


def test_size_from_a_bare_height_and_jin(shop: Shop) -> None:
    found = answered(shop, "size", "我160 112斤选哪个码", sku="QC-HOM-PJ-W", about="QC-HOM-PJ-W")

    assert "在M和L之间" in found.draft and "您、" not in found.draft


# --- comparison and recommendation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "sku", "by", "says"), [
    ("乳胶枕和荞麦枕哪个好", "zh", None, "match",
     ["1. 天然乳胶枕一对（QC-BED-PIL-LTX，售价129元），有现货", "2. 荞麦枕（QC-BED-PIL-BUK，售价69元），有现货",
      "乳胶含量：93% / 未标注"]),
    ("这个和荞麦枕哪个好", "zh", "QC-BED-PIL-LTX", "field", ["售价129元", "荞麦枕（QC-BED-PIL-BUK，售价69元）"]),
    ("What's the difference between QC-BED-PIL-LTX and QC-BED-PIL-BUK?", "en", None, "text",
     ["1. Natural Latex Pillows (Pair) (QC-BED-PIL-LTX, ¥129), in stock",
      "2. Buckwheat Hull Pillow (QC-BED-PIL-BUK, ¥69), in stock", "fill: not listed / buckwheat hulls"]),
    ("Which is better, the latex pillow or the buckwheat pillow?", "en", None, "match",
     ["(QC-BED-PIL-LTX, ¥129)", "(QC-BED-PIL-BUK, ¥69)"]),
])
def test_comparison_of_two_products_with_both_prices(
        shop: Shop, message: str, locale: str, sku: str | None, by: str, says: list[str]) -> None:
    found = answered(shop, "comparison", message, sku=sku, about="QC-BED-PIL-LTX", locale=locale)

    assert all(s in found.draft for s in says), found.draft
    assert found.product is not None and found.product.resolved_by == by


@pytest.mark.parametrize(("message", "locale", "picks", "never"), [
    ("推荐一款被子，预算300以内", "zh",
     ["冬季加厚被芯200x230（QC-QLT-WIN-200，售价269元）", "夏凉被150x200（QC-QLT-SUM-150，售价129元）"],
     ["QC-QLT-WOL-200", "QC-QLT-SLK-200"]),
    ("想买个冬天盖的被子 预算300以内 推荐一下", "zh",
     ["冬季加厚被芯200x230（QC-QLT-WIN-200，售价269元），适用季节：冬季"],
     ["QC-QLT-WOL-200", "QC-QLT-SLK-200", "QC-QLT-SUM-150"]),
    ("Can you recommend a duvet for winter under 300?", "en",
     ["Winter Duvet Insert 200x230cm (QC-QLT-WIN-200, ¥269), season: winter"],
     ["QC-QLT-WOL-200", "QC-QLT-SLK-200", "QC-QLT-SUM-150"]),
    ("推荐一款收纳柜，预算200以内", "zh", ["折叠收纳柜（QC-STO-CAB-F，售价159元）"], ["QC-STO-CAB-5", "QC-STO-CAB-4"]),
    ("Can you recommend a storage cabinet under 200?", "en", ["Folding Storage Cabinet (QC-STO-CAB-F, ¥159)"],
     ["QC-STO-CAB-5", "QC-STO-CAB-4"]),
])
def test_recommendation_within_budget_and_in_stock(
        shop: Shop, message: str, locale: str, picks: list[str], never: list[str]) -> None:
    """The wool duvet (299) and the five-tier cabinet (159) fit the budget but are out of stock; the silk duvet
    (599) and the wooden cabinet (429) are over it."""
    found = answered(shop, "recommendation", message, about=None, locale=locale)
    budget = 300 if "300" in message else 200

    assert all(p in found.draft for p in picks), found.draft
    assert not [w for w in never if w in found.draft], found.draft
    assert prices(found.draft) and max(prices(found.draft)) <= budget, found.draft
    assert (f"预算{budget}元以内" if locale == "zh" else f"(up to {budget})") in found.draft


@pytest.mark.parametrize(("message", "locale"), [
    pytest.param("推荐一款收纳柜，预算200以内", "zh", marks=pytest.mark.xfail(strict=True, reason=(
        "asked for a storage cabinet, the recommendation also lists other storage items (desk rack, bedside "
        "organiser) as picks: 收纳 is a pair of characters every storage title shares"))),
    ("Can you recommend a storage cabinet under 200?", "en"),
])
def test_recommendation_keeps_to_the_kind_asked(shop: Shop, message: str, locale: str) -> None:
    found = answered(shop, "recommendation", message, about=None, locale=locale)

    assert re.findall(r"QC-[A-Z0-9-]+", found.draft) == ["QC-STO-CAB-F"], found.draft


# --- bulk --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("要30个保温杯多少钱", "zh", "30件不锈钢保温杯500ml（QC-KIT-CUP-500，售价49元）按批量价每件45元，合计1350元"),
    ("要100个怎么算", "zh", "100件不锈钢保温杯500ml（QC-KIT-CUP-500，售价49元）按批量价每件39元，合计3900元"),
    ("How much for 30 units?", "en", "the volume price is 45 each, 1350 in total"),
    ("How much for 100 units?", "en", "the volume price is 39 each, 3900 in total"),
])
def test_bulk_within_the_tiers_quotes_unit_price_and_total(shop: Shop, message: str, locale: str, says: str) -> None:
    found = answered(shop, "bulk", message, sku="QC-KIT-CUP-500", about="QC-KIT-CUP-500", locale=locale)

    assert says in found.draft, found.draft
    assert found.needs_human is False and found.handoff is None


@pytest.mark.parametrize(("message", "locale", "sku", "code", "says"), [
    ("要1000个保温杯多少钱", "zh", "QC-KIT-CUP-500", "bulk:over_stock",
     "您需要1000件不锈钢保温杯500ml（QC-KIT-CUP-500，售价49元），超过了目前的库存（150件）"),
    ("Price for 1000 units?", "en", "QC-KIT-CUP-500", "bulk:over_stock", "You need 1000 of Insulated Stainless Steel "
     "Bottle 500ml (QC-KIT-CUP-500, ¥49), more than we hold now (150)"),
    ("要600个抱枕套怎么算", "zh", "QC-CUS-LIN-45", "bulk:negotiate", "这个数量的价格需要主管为您单独报价"),
    ("We need 600 cushion covers, what's the price?", "en", "QC-CUS-LIN-45", "bulk:negotiate",
     "For 600 of Cotton Linen Cushion Cover (QC-CUS-LIN-45, ¥28), a supervisor will quote the price"),
])
def test_bulk_beyond_the_tiers_or_stock_goes_to_a_supervisor(
        shop: Shop, message: str, locale: str, sku: str, code: str, says: str) -> None:
    found = answered(shop, "bulk", message, sku=sku, about=sku, locale=locale)

    assert says in found.draft, found.draft
    assert found.needs_human is True
    assert found.handoff is not None and found.handoff.to == "supervisor"
    assert code in [r.code for r in found.reasons]
    assert "合计" not in found.draft and "in total" not in found.draft  # no price a supervisor has not given


# --- which product -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "named"), [
    ("炒锅还有货吗", "zh",
     ["精铁炒锅32cm（QC-KIT-WOK-32，售价139元）", "麦饭石不粘炒锅24cm（QC-KIT-POT-24，售价159元）"]),
    ("收纳柜还有货吗", "zh", ["实木收纳柜四层（QC-STO-CAB-4", "五层收纳柜（QC-STO-CAB-5", "折叠收纳柜（QC-STO-CAB-F"]),
    ("Is the storage cabinet in stock?", "en", ["Solid Wood Storage Cabinet, 4 Tiers (QC-STO-CAB-4, ¥429)",
                                                "Folding Storage Cabinet (QC-STO-CAB-F, ¥159)",
                                                "5-Tier Storage Cabinet (QC-STO-CAB-5, ¥159)"]),
    ("Do you have the wok in stock?", "en", ["Pre-Seasoned Iron Wok 32cm (QC-KIT-WOK-32, ¥139)",
                                             "Non-Stick Stone-Coated Wok 24cm (QC-KIT-POT-24, ¥159)"]),
])
def test_an_ambiguous_product_is_asked_about_naming_the_candidates(
        shop: Shop, message: str, locale: str, named: list[str]) -> None:
    found = answered(shop, "which", message, about=None, locale=locale)

    assert ("请问您咨询的是以下哪一款呢" if locale == "zh" else "Which of these items do you mean?") in found.draft
    assert all(n in found.draft for n in named), found.draft
    never = ["有现货", "缺货", "库存不多"] if locale == "zh" else ["is in stock", "out of stock", "running low"]
    assert not [w for w in never if w in found.draft], found.draft  # no stock of a product it has not settled on


@pytest.mark.xfail(strict=True, reason="'枕头' names all three pillows, but the draft settles on 记忆棉枕头 (the only "
                                       "title with the characters 枕头) and states its stock instead of asking which")
def test_a_generic_pillow_is_asked_about(shop: Shop) -> None:
    found = answered(shop, "which", "枕头还有货吗", about=None)

    assert all(s in found.draft for s in ("QC-BED-PIL-LTX", "QC-BED-PIL-MEM", "QC-BED-PIL-BUK")), found.draft


def test_candidates_for_a_bedding_set_are_bedding_sets(shop: Shop) -> None:
    found = answered(shop, "which", "Is the bedding set in stock?", "amazon", about=None, locale="en")

    assert all(s.startswith("QC-BED-4P-") for s in re.findall(r"QC-[A-Z0-9-]+", found.draft)), found.draft


# --- unknown SKUs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "sku", "unknown"), [
    ("QC-XYZ-999 还有货吗", "zh", None, "QC-XYZ-999"),
    ("这个有货吗", "zh", "QC-NOPE-1", "QC-NOPE-1"),
    ("Is QC-XYZ-999 in stock?", "en", None, "QC-XYZ-999"),
    ("How much is this?", "en", "QC-NOPE-1", "QC-NOPE-1"),
])
def test_an_unknown_sku_is_named_and_nothing_is_stated(
        shop: Shop, message: str, locale: str, sku: str | None, unknown: str) -> None:
    found = answered(shop, "unknown_sku", message, sku=sku, about=None, locale=locale)

    assert (f"本店没有查到商品编号 {unknown} 的商品" if locale == "zh" else
            f"we couldn't find an item numbered {unknown} in our store") in found.draft, found.draft
    never = ["元", "有现货", "缺货", "库存", "活动"] if locale == "zh" else \
        ["¥", "in stock", "out of stock", "price", "sale"]
    assert not [w for w in never if w in found.draft], found.draft


# --- how the product is found ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale", "fields", "sku", "by", "says"), [
    ("还有货吗", "zh", {"sku": "QC-KIT-KTL-17"}, "QC-KIT-KTL-17", "field",
     "电热水壶1.7L（QC-KIT-KTL-17，售价129元）目前有现货"),
    ("还有货吗", "zh", {"sku": "QC-KIT-KTL-17", "order": {**UNPAID, "items": [{"sku": "QC-MAT-TOP-180"}]}},
     "QC-KIT-KTL-17", "field", "目前有现货"),  # the product page outranks the order's items
    ("QC-KIT-KTL-17 有货吗", "zh", {}, "QC-KIT-KTL-17", "text",
     "电热水壶1.7L（QC-KIT-KTL-17，售价129元）目前有现货"),
    ("qc-kit-ktl-17 有货吗", "zh", {}, "QC-KIT-KTL-17", "text", "（QC-KIT-KTL-17，售价129元）目前有现货"),
    ("Is QC-KIT-KTL-17 in stock?", "en", {}, "QC-KIT-KTL-17", "text",
     "Electric Kettle 1.7L (QC-KIT-KTL-17, ¥129) is in stock"),
    ("还有货吗", "zh", {"order": {**UNPAID, "items": [{"sku": "QC-MAT-TOP-180", "name": "加厚床垫1.8米"}]}},
     "QC-MAT-TOP-180", "order", "加厚床垫1.8米（QC-MAT-TOP-180，售价299元）目前有货，但库存不多，仅剩3件"),
    ("Is it still in stock?", "en", {"order": {**UNPAID, "items": [{"sku": "QC-MAT-TOP-180"}]}},
     "QC-MAT-TOP-180", "order",
     "Thick Mattress Topper 1.8m (QC-MAT-TOP-180, ¥299) is in stock but running low: 3 left"),
    ("乳胶枕还有货吗", "zh", {}, "QC-BED-PIL-LTX", "match",
     "天然乳胶枕一对（QC-BED-PIL-LTX，售价129元）目前有现货"),
    ("Is the latex pillow in stock?", "en", {}, "QC-BED-PIL-LTX", "match",
     "Natural Latex Pillows (Pair) (QC-BED-PIL-LTX, ¥129) is in stock"),
    ("Is the folding storage cabinet in stock?", "en", {}, "QC-STO-CAB-F", "match",
     "Folding Storage Cabinet (QC-STO-CAB-F, ¥159) is in stock"),
])
def test_the_product_is_found_by_field_text_order_or_words(
        shop: Shop, message: str, locale: str, fields: dict[str, Any], sku: str, by: str, says: str) -> None:
    found = answered(shop, "stock", message, about=sku, locale=locale, **fields)

    assert found.product is not None and found.product.resolved_by == by
    assert says in found.draft, found.draft


# --- not the catalog's to answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "locale"), [
    ("付完款说没货了 怎么回事", "zh"),
    ("我拍的羊毛被 付完款说没货了", "zh"),
    ("I paid and now you say it's out of stock?", "en"),
])
def test_stock_of_something_bought_is_after_sale_not_a_catalog_answer(shop: Shop, message: str, locale: str) -> None:
    found = draft(shop, message, locale=locale, order={**PAID, "items": [{"sku": "QC-QLT-WOL-200"}]})

    assert found.answer_mode != "catalog", found.draft
    assert found.answer_reason is not None and not found.answer_reason.code.startswith("catalog:")
    assert found.product is None
    # the listing's facts are not quoted as if the buyer were still choosing
    listing = ("QC-QLT-WOL-200", "售价299元", "12月18日", "¥299", "18 Dec")
    assert not [w for w in listing if w in found.draft], found.draft


@pytest.mark.parametrize(("message", "locale", "says"), [
    ("怎么开发票", "zh", "申请开票"),
    ("How do I get an invoice?", "en", "request an invoice on your order page"),
])
def test_a_question_the_knowledge_base_answers_is_not_a_catalog_answer(
        shop: Shop, message: str, locale: str, says: str) -> None:
    found = draft(shop, message, locale=locale)

    assert found.answer_mode == "entry", (found.answer_reason, found.draft)
    assert found.product is None
    assert says in found.draft, found.draft


# --- wording -----------------------------------------------------------------------------------------------------


RUN_TOGETHER = re.compile(r"[a-z0-9]\.[A-Z]")  # "...until 1 Jan 00:00.Chinese New Year Sale starts"


@pytest.mark.parametrize(("kind", "message", "sku"), [
    ("stock", "Is this in stock?", "QC-BED-4P-SLK-180"),
    ("promotion", "Is this part of the Double 12 sale?", "QC-BED-4P-180"),
])
def test_english_sentences_are_not_run_together(shop: Shop, kind: str, message: str, sku: str) -> None:
    found = answered(shop, kind, message, "amazon", sku=sku, about=sku, locale="en")

    assert RUN_TOGETHER.findall(found.draft) == [], found.draft
