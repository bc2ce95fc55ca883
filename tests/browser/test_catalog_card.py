"""The product a pre-sale draft is about, beside the draft: in the console's agent view (SKU typed in) and in the
extension's panel (SKU read from the seller's page by the configured selector). A live server of its own holds a
small catalog; drafts without a product show no card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api import create_app
from api.routes.console import WEB_DIR
from composition.settings import Settings
from tests.api.conftest import ROWS
from tests.browser.conftest import ExtensionBrowser, serve_app, serve_directory
from tests.browser.test_console import draft_via_keyboard
from tests.conftest import MODEL_CACHE
from tests.fakes import HashingEmbedder

STRINGS: dict[str, dict[str, str]] = json.loads((WEB_DIR / "i18n.json").read_text(encoding="utf-8"))
FAKE_SELLER = Path(__file__).parent / "fake_seller"
KETTLE = {"sku": "QC-KIT-KTL-17", "title": "不锈钢电热水壶1.7L", "title_en": "Stainless Kettle 1.7L", "price": "129",
          "stock": 45}
POT = {"sku": "QC-KIT-POT-24", "title": "铸铁炖锅24cm", "price": "399", "stock": 0}
DOUBLE_11 = {"id": "P-D11", "title": "双11狂欢", "title_en": "Double 11 Sale", "starts": "2020-11-01T00:00:00+08:00",
             "ends": "2099-11-12T00:00:00+08:00", "skus": ["QC-KIT-KTL-17"],
             "mechanics": {"type": "threshold", "threshold": "300", "off": "50"}}


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("catalog-data"), model_cache_dir=MODEL_CACHE,
                        llm="template", threshold_zh=0.3, threshold_en=0.3, auth="off")
    with serve_app(create_app(settings, embedder=HashingEmbedder())) as url:
        assert httpx.post(f"{url}/v1/knowledge", json={"entries": ROWS}, timeout=30).status_code == 200
        imported = httpx.post(f"{url}/v1/catalog/import", json={"products": [KETTLE, POT], "promotions": [DOUBLE_11]},
                              timeout=30)
        assert imported.status_code == 200, imported.text
        yield url


def test_the_agent_view_shows_the_product_of_a_presale_draft(page: Page, shop_server: str) -> None:
    zh = STRINGS["zh"]
    page.goto(f"{shop_server}/?lang=zh")
    page.locator("#sku").fill("QC-KIT-KTL-17")

    draft = draft_via_keyboard(page, "还有货吗")

    assert draft["answer_mode"] == "catalog", draft
    expect(page.locator("#product")).to_be_visible()
    expect(page.locator("#product-title")).to_have_text("不锈钢电热水壶1.7L")
    expect(page.locator("#product-sku")).to_have_text("QC-KIT-KTL-17")
    expect(page.locator("#product-price")).to_have_text("129 CNY")
    expect(page.locator("#product-stock")).to_have_text(zh["stock.in_stock"].replace("{count}", "45"))
    expect(page.locator("#product-promotions")).to_have_text("双11狂欢")
    expect(page.locator("#product-resolved")).to_have_text(zh["resolved.field"])

    page.locator("#sku").fill("QC-KIT-POT-24")
    draft_via_keyboard(page, "还有货吗")
    expect(page.locator("#product-stock")).to_have_text(zh["stock.out"])
    expect(page.locator("#product-stock")).to_have_class("stock-out")
    expect(page.locator("#product-promotions")).to_have_text(zh["product.no_promotions"])

    page.locator("#sku").fill("")
    draft_via_keyboard(page, "我的快递怎么还没到")
    expect(page.locator("#product")).to_be_hidden()


def test_the_panel_reads_the_sku_from_the_page_and_shows_the_product(extension: ExtensionBrowser,
                                                                      shop_server: str) -> None:
    with serve_directory(FAKE_SELLER) as base:
        seller = extension.web_page()
        seller.goto(f"{base}/index.html")
        seller.evaluate("""() => {
            const card = document.createElement("div");
            card.className = "goods-card";
            const sku = Object.assign(document.createElement("span"), {className: "sku", textContent: "QC-KIT-KTL-17"});
            card.append(sku);
            document.getElementById("chat").append(card);
        }""")
        options = extension.open("options.html")
        options.evaluate("(s) => chrome.storage.sync.set(s)",
                         {"serverUrl": shop_server, "skuSelector": ".goods-card .sku"})
        options.close()
        panel = extension.open("panel.html")  # reads the page on open

        expect(panel.locator("#sku")).to_have_value("QC-KIT-KTL-17")
        panel.fill("#message", "还有货吗")
        panel.click("#draft")

        expect(panel.locator("#product")).to_be_visible()
        expect(panel.locator("#productTitle")).to_have_text("不锈钢电热水壶1.7L")
        expect(panel.locator("#productSku")).to_have_text("QC-KIT-KTL-17")
        expect(panel.locator("#productPrice")).to_have_text("129 CNY")
        expect(panel.locator("#productStock")).to_have_text("in stock (45)")
        expect(panel.locator("#productPromotions")).to_have_text("双11狂欢")

        panel.fill("#sku", "")
        panel.fill("#message", "我的快递怎么还没到")
        panel.click("#draft")
        expect(panel.locator("#citations")).to_contain_text("ship-001")
        expect(panel.locator("#product")).to_be_hidden()
