"""Catalog loaders: JSONL and Excel-saved CSV (GBK, UTF-8 with or without a BOM) in, products and promotions out;
any bad row yields nothing and every problem names its line."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalog.loaders import (
    MECHANICS_COLUMNS,
    PRODUCT_COLUMNS,
    PROMOTION_COLUMNS,
    load_products,
    load_promotions,
    products_from_bytes,
    products_from_rows,
    promotions_from_bytes,
    promotions_from_rows,
)
from catalog.models import Gift, PercentOff, Presale, Product, Promotion, SizeRow, Threshold
from knowledge.errors import InvalidFileError, UnsupportedFileError
from knowledge.limits import MAX_DEPTH

CST = timezone(timedelta(hours=8))

QUILT = {
    "sku": "YD-450", "title": "蚕丝被 200x230", "title_en": "Silk quilt 200x230", "price": "899.00", "stock": 35,
    "platforms": ["taobao", "jd"], "attributes": {"材质": "桑蚕丝", "适用季节": "春秋", "weight_g": 1500},
    "bulk_tiers": [{"min_qty": 10, "unit_price": "820"}, {"min_qty": 50, "unit_price": "780"}],
    "alternatives": ["YD-451"], "url": "https://shop.example/yd-450",
}
PAJAMAS = {
    "sku": "PJ-100", "title": "Cotton pajamas", "price": 129, "stock": 0, "restock_date": "2025-12-01",
    "attributes": {"material": "100% cotton"},
    "size_chart": [{"label": "S", "height": [150, 160], "weight": [40, 50]}, {"label": "M", "height": [160, 170]}],
}
DOUBLE_11 = {
    "id": "d11-2025", "title": "双11满减", "title_en": "Double 11: spend 300, save 40", "platform": "taobao",
    "starts": "2025-11-01T00:00:00+08:00", "ends": "2025-11-12T00:00:00+08:00", "skus": "all",
    "mechanics": {"type": "threshold", "threshold": 300, "off": 40}, "terms": "每笔订单限用一次",
}
PRESALE = {
    "id": "presale-yd", "title": "Quilt presale", "starts": "2025-10-20T20:00:00+08:00",
    "ends": "2025-11-11T23:59:59+08:00", "skus": ["YD-450", "YD-451"],
    "mechanics": {"type": "presale", "deposit": 100, "balance": 699, "balance_from": "2025-11-11T00:00:00+08:00",
                  "balance_until": "2025-11-11T23:59:59+08:00"},
}
PRODUCT_HEADER = ["sku", "title", "title_en", "price", "stock", "platforms", "alternatives", "bulk_tiers",
                  "size_chart", "attr_材质", "attr_适用季节"]
PROMOTION_HEADER = ["id", "title", "starts", "ends", "skus", "type", "threshold", "off", "percent", "deposit",
                    "balance", "balance_from", "balance_until", "gift", "gift_en"]


def jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def csv_file(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    """A CSV as Excel saves it: CRLF line ends, in `encoding` (gbk on a Chinese Windows, utf-8-sig for 'CSV UTF-8')."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def problems_of(call: Any, *args: Any) -> list[str]:
    with pytest.raises(InvalidFileError) as info:
        call(*args)
    assert info.value.code == "invalid_file"
    return info.value.problems


def product_csv_problems(tmp_path: Path, rows: list[list[str]]) -> list[str]:
    return problems_of(load_products, csv_file(tmp_path / "products.csv", rows))


def promotion_row(**cells: str) -> list[str]:
    base = {"id": "p1", "title": "促销", "starts": "2025-11-01T00:00:00+08:00", "ends": "2025-11-12T00:00:00+08:00",
            "skus": "all"}
    merged = {**base, **cells}
    return [merged.get(column, "") for column in PROMOTION_HEADER]


# --- JSONL ---------------------------------------------------------------------------------------------------


def test_jsonl_products_read_as_the_models_in_zh_and_en(tmp_path: Path) -> None:
    quilt, pajamas = load_products(jsonl(tmp_path / "products.jsonl", [QUILT, PAJAMAS]))

    assert (quilt.sku, quilt.price, quilt.currency, quilt.platforms) == ("YD-450", Decimal("899"), "CNY",
                                                                         ["taobao", "jd"])
    assert quilt.attributes == {"材质": "桑蚕丝", "适用季节": "春秋", "weight_g": 1500}
    assert [(t.min_qty, t.unit_price) for t in quilt.bulk_tiers] == [(10, Decimal("820")), (50, Decimal("780"))]
    assert quilt.unit_price(60) == Decimal("780")
    assert (pajamas.stock_level(), pajamas.restock_date, pajamas.platforms) == ("out", date(2025, 12, 1), ["any"])
    assert pajamas.size_chart[1] == SizeRow(label="M", height=(160, 170))


def test_jsonl_promotions_read_with_their_mechanics_and_offsets(tmp_path: Path) -> None:
    d11, presale = load_promotions(jsonl(tmp_path / "promotions.jsonl", [DOUBLE_11, PRESALE]))

    assert d11.mechanics == Threshold(type="threshold", threshold=Decimal(300), off=Decimal(40))
    assert (d11.skus, d11.platform, d11.starts) == ("all", "taobao", datetime(2025, 11, 1, tzinfo=CST))
    assert isinstance(presale.mechanics, Presale) and presale.mechanics.deposit == Decimal(100)
    assert presale.skus == ["YD-450", "YD-451"]
    assert presale.covers("YD-451", "pdd") and not d11.covers("YD-451", "pdd")


def test_jsonl_skips_blank_lines_and_reads_a_bom(tmp_path: Path) -> None:
    text = "\n\n" + json.dumps(QUILT, ensure_ascii=False) + "\n   \n" + json.dumps(PAJAMAS) + "\n"
    path = tmp_path / "products.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    assert [p.sku for p in load_products(path)] == ["YD-450", "PJ-100"]


def test_jsonl_bad_lines_are_all_named_and_nothing_is_returned(tmp_path: Path) -> None:
    lines = [
        json.dumps(QUILT, ensure_ascii=False),
        json.dumps({**PAJAMAS, "price": -5}),  # line 2
        '{"sku": "X-1", "title": "断了',  # line 3
        "",
        json.dumps({**PAJAMAS, "sku": "PJ 101", "platforms": ["ebay"]}),  # line 5: two problems
    ]
    path = tmp_path / "products.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    problems = problems_of(load_products, path)

    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 5", "line 5"]
    assert problems[0] == "line 2: price: Input should be greater than or equal to 0"
    assert problems[1].startswith("line 3: invalid JSON (")
    assert problems[2].startswith("line 5: sku: sku 'PJ 101': use ASCII letters")
    assert problems[3].startswith("line 5: platforms.0: Input should be 'taobao'")


def test_a_deeply_nested_jsonl_line_is_refused_by_line(tmp_path: Path) -> None:
    deep = json.dumps(PAJAMAS)[:-1] + ', "alternatives": ' + "[" * 500 + "]" * 500 + "}"
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps(QUILT) + "\n" + deep + "\n", encoding="utf-8")

    assert problems_of(load_products, path) == [f"line 2: nests deeper than {MAX_DEPTH} levels"]


def test_an_empty_file_loads_as_no_rows(tmp_path: Path) -> None:
    (tmp_path / "none.jsonl").write_text("\n  \n", encoding="utf-8")
    (tmp_path / "none.csv").write_bytes(b"")
    csv_file(tmp_path / "header.csv", [PROMOTION_HEADER])

    assert load_products(tmp_path / "none.jsonl") == []
    assert load_products(tmp_path / "none.csv") == []
    assert load_promotions(tmp_path / "header.csv") == []


# --- CSV -------------------------------------------------------------------------------------------------------


def test_a_gbk_csv_reads_attributes_tiers_size_chart_and_list_cells(tmp_path: Path) -> None:
    rows = [
        PRODUCT_HEADER,
        ["YD-450", "蚕丝被", "Silk quilt", "￥1,299.00", "1,200", "taobao、JD", "YD-451，YD-452", "10:1,180|50：1,100",
         "", "桑蚕丝", "春秋"],
        ["PJ-100", "纯棉睡衣", "", "199", "0", "", "", "", "S:150-160:40-50|M:160-170cm:|XL::70~80kg", "纯棉", ""],
    ]
    path = csv_file(tmp_path / "商品.csv", rows, encoding="gbk")

    quilt, pajamas = load_products(path)

    assert (quilt.title, quilt.price, quilt.stock) == ("蚕丝被", Decimal("1299"), 1200)
    assert quilt.platforms == ["taobao", "jd"]
    assert quilt.alternatives == ["YD-451", "YD-452"]
    assert [(t.min_qty, t.unit_price) for t in quilt.bulk_tiers] == [(10, Decimal(1180)), (50, Decimal(1100))]
    assert quilt.attributes == {"材质": "桑蚕丝", "适用季节": "春秋"}
    assert pajamas.attributes == {"材质": "纯棉"}  # an empty cell is an absent attribute
    assert (pajamas.title_en, pajamas.platforms, pajamas.stock_level()) == (None, ["any"], "out")
    assert pajamas.size_chart == [SizeRow(label="S", height=(150, 160), weight=(40, 50)),
                                  SizeRow(label="M", height=(160, 170)), SizeRow(label="XL", weight=(70, 80))]


def test_a_utf8_bom_csv_reads_json_cells_and_keeps_attributes_as_text(tmp_path: Path) -> None:
    rows = [
        [" SKU ", "Title", "price", "stock", "low_stock", "currency", "restock_date", "bulk_tiers", "size_chart",
         "ATTR_material", "attr_ thread count", "url"],
        ["TS-9", "Linen tee", "$29.90", "4", "5", "usd", "2025/12/1", '[{"min_qty": 20, "unit_price": 25}]',
         '[{"label": "L", "height": [175, 185], "note": "runs small"}]', "linen", "0200", "https://shop.example/ts"],
    ]
    path = tmp_path / "products.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))

    [tee] = load_products(path)

    assert (tee.sku, tee.price, tee.currency, tee.stock_level()) == ("TS-9", Decimal("29.90"), "USD", "low")
    assert tee.restock_date == date(2025, 12, 1)
    assert tee.attributes == {"material": "linen", "thread count": "0200"}
    assert tee.bulk_tiers[0].unit_price == Decimal(25)
    assert tee.size_chart == [SizeRow(label="L", height=(175, 185), note="runs small")]
    assert tee.url == "https://shop.example/ts"


def test_csv_bad_rows_are_numbered_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    rows = [
        PRODUCT_HEADER,
        ["A-1", "好被子", "", "99", "3", "", "", "", "", "", ""],
        ["A-2", "坏价格", "", "-5", "3", "", "", "", "", "", ""],  # line 3
        ["A-3", "多行\n标题", "", "99", "3", "", "", "", "", "", ""],  # one spreadsheet row over two text lines
        ["A 4", "坏SKU", "", "99", "3", "", "", "", "", "", ""],  # line 5
        [],  # line 6: a blank row, still counted
        ["A-5", "坏数字", "", "12,34", "1", "", "", "", "", "", ""],  # line 7
        ["A-6", "半件", "", "1", "1.5", "", "", "", "", "", ""],  # line 8
    ]

    problems = product_csv_problems(tmp_path, rows)

    assert problems[:2] == [
        "line 3: price: Input should be greater than or equal to 0",
        "line 5: sku: sku 'A 4': use ASCII letters, digits, '-', '_', '.' and '/', starting with a letter or digit, "
        "≤ 64",
    ]
    assert problems[2:] == ["line 7: price: not a number: '12,34'",
                            "line 8: stock: Input should be a valid integer, got a number with a fractional part"]


def test_csv_cell_formats_that_do_not_parse_are_named(tmp_path: Path) -> None:
    rows = [
        ["sku", "title", "price", "stock", "bulk_tiers", "size_chart"],
        ["A-1", "被子", "199%", "3", "10-180", "S"],
        ["A-2", "被子", "199", "3", '[{"min_qty": 10', '{"label": "S"}'],
    ]

    assert product_csv_problems(tmp_path, rows) == [
        "line 2: price: not a number: '199%'",
        "line 2: bulk_tiers: tier '10-180': write min_qty:unit_price, e.g. 10:180|50:160",
        "line 2: size_chart: size 'S': write label:height:weight, e.g. S:150-160:40-50",
        "line 3: bulk_tiers: invalid JSON (Expecting ',' delimiter)",
        "line 3: size_chart: expected a JSON array",
    ]


def test_a_deeply_nested_csv_json_cell_is_refused(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "stock", "bulk_tiers"], ["A-1", "被子", "1", "1", "[" * 50 + "]" * 50]]

    assert product_csv_problems(tmp_path, rows) == [f"line 2: bulk_tiers: nests deeper than {MAX_DEPTH} levels"]


def test_duplicate_skus_name_both_lines(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "stock"], ["A-1", "一", "1", "1"], ["A-2", "二", "1", "1"],
            ["A-1 ", "三", "1", "1"]]

    assert product_csv_problems(tmp_path, rows) == ["line 4: sku: 'A-1' is also on line 2"]
    assert problems_of(load_products, jsonl(tmp_path / "p.jsonl", [QUILT, PAJAMAS, QUILT])) == [
        "line 3: sku: 'YD-450' is also on line 1"]
    assert problems_of(load_promotions, jsonl(tmp_path / "q.jsonl", [PRESALE, PRESALE])) == [
        "line 2: id: 'presale-yd' is also on line 1"]


def test_unknown_repeated_and_missing_csv_columns_are_problems_of_line_1(tmp_path: Path) -> None:
    products = [["sku", "title", "price", "stock", "colour", "库存", "attr_"], ["A-1", "一", "1", "1", "", "", ""]]
    promotions = [["id", "title", "starts", "skus", "type", "Title", "materials"], ["p1"] * 7]

    [unknown, nameless] = product_csv_problems(tmp_path, products)
    assert unknown.startswith("line 1: unknown columns 'colour', '库存'; use sku, title, title_en, price,")
    assert unknown.endswith("url or attr_<name>")
    assert nameless == "line 1: column 'attr_' names no attribute"
    assert problems_of(load_promotions, csv_file(tmp_path / "promotions.csv", promotions)) == [
        f"line 1: unknown columns 'materials'; use {', '.join(PROMOTION_COLUMNS)}",
        "line 1: columns appear more than once: 'title'",
        "line 1: missing columns 'ends'",
    ]


def test_a_cell_beyond_the_header_is_a_problem(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "stock"], ["A-1", "一", "1", "1", "", ""], ["A-2", "二", "1", "1", "多"]]

    assert product_csv_problems(tmp_path, rows) == ["line 3: a cell under no column header"]


# --- promotions from CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cells", "expected"), [
    ({"type": "threshold", "threshold": "￥300", "off": "40元"},
     Threshold(type="threshold", threshold=Decimal(300), off=Decimal(40))),
    ({"type": "Percent_Off", "percent": "20%"}, PercentOff(type="percent_off", percent=Decimal(20))),
    ({"type": "presale", "deposit": "100", "balance": "1,199.00", "balance_from": "2025-11-11T00:00:00+08:00",
      "balance_until": "2025-11-11T23:59:59+08:00"},
     Presale(type="presale", deposit=Decimal(100), balance=Decimal(1199),
             balance_from=datetime(2025, 11, 11, tzinfo=CST),
             balance_until=datetime(2025, 11, 11, 23, 59, 59, tzinfo=CST))),
    ({"type": "gift", "gift": "赠枕套一对", "gift_en": "a pair of pillowcases"},
     Gift(type="gift", gift="赠枕套一对", gift_en="a pair of pillowcases")),
], ids=["threshold", "percent_off", "presale", "gift"])
def test_each_mechanics_type_builds_from_csv_columns(tmp_path: Path, cells: dict[str, str], expected: Any) -> None:
    path = csv_file(tmp_path / "promotions.csv", [PROMOTION_HEADER, promotion_row(**cells)], encoding="gbk")

    [promotion] = load_promotions(path)

    assert promotion.mechanics == expected
    assert (promotion.skus, promotion.platform, promotion.ends) == ("all", "any", datetime(2025, 11, 12, tzinfo=CST))


def test_promotion_csv_sku_lists_split_and_bad_windows_are_named(tmp_path: Path) -> None:
    rows = [
        PROMOTION_HEADER,
        promotion_row(id="ok", skus="YD-450；YD-451; PJ-100", type="gift", gift="礼品"),
        promotion_row(id="late", ends="2025-10-01T00:00:00+08:00", type="gift", gift="礼品"),  # line 3
        promotion_row(id="no-type", gift="礼品"),  # line 4
        promotion_row(id="mixed", type="gift", gift="礼品", percent="10"),  # line 5
        promotion_row(id="naive", starts="2025-11-01 00:00", type="percent_off", percent="10"),  # line 6
    ]

    problems = problems_of(load_promotions, csv_file(tmp_path / "promotions.csv", rows))

    assert problems == [
        "line 3: promotion: ends must be after starts",
        "line 4: type: required; one of threshold, percent_off, presale, gift",
        "line 5: mechanics.gift.percent: Extra inputs are not permitted",
        "line 6: starts: Input should have timezone info",
    ]
    rows = [PROMOTION_HEADER, promotion_row(skus="YD-450；YD-451; PJ-100", type="threshold", threshold="¥1,000",
                                            off="100")]
    [ok] = load_promotions(csv_file(tmp_path / "ok.csv", rows))
    assert ok.skus == ["YD-450", "YD-451", "PJ-100"]
    assert ok.mechanics == Threshold(type="threshold", threshold=Decimal(1000), off=Decimal(100))


# --- API rows, bytes, limits -----------------------------------------------------------------------------------


def test_rows_from_the_api_validate_like_a_file(tmp_path: Path) -> None:
    assert [p.sku for p in products_from_rows([QUILT, PAJAMAS], source="api")] == ["YD-450", "PJ-100"]
    assert [p.id for p in promotions_from_rows([DOUBLE_11], source="api")] == ["d11-2025"]

    deep: dict[str, Any] = {**QUILT, "attributes": {"x": [[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]}}
    bad_promotion = {**DOUBLE_11, "mechanics": {"type": "percent_off", "percent": 120}}
    assert problems_of(products_from_rows, [QUILT, deep], "api") == [
        f"product 2: nests deeper than {MAX_DEPTH} levels"]
    assert problems_of(promotions_from_rows, [bad_promotion], "api") == [
        "promotion 1: mechanics.percent_off.percent: Input should be less than 100"]


def test_bytes_are_read_by_the_uploaded_file_name() -> None:
    data = "sku,title,price,stock\nYD-450,蚕丝被,899,3\n".encode("gbk")

    [quilt] = products_from_bytes(data, filename="上传.CSV", source="upload")
    assert quilt.title == "蚕丝被"
    assert promotions_from_bytes(b"", filename="p.jsonl", source="upload") == []
    with pytest.raises(UnsupportedFileError, match=r"products\.xlsx: unsupported file type"):
        products_from_bytes(data, filename="products.xlsx", source="upload")


def test_a_directory_or_missing_path_is_not_a_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="a directory"):
        load_products(tmp_path)
    with pytest.raises(UnsupportedFileError, match="no such file"):
        load_promotions(tmp_path / "missing.csv")


def test_many_problems_are_all_kept_and_the_message_shows_ten(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "stock"], *[[f"A-{n}", "一", "-1", "1"] for n in range(12)]]

    with pytest.raises(InvalidFileError) as info:
        load_products(csv_file(tmp_path / "p.csv", rows))

    assert len(info.value.problems) == 12
    assert info.value.problems[-1] == "line 13: price: Input should be greater than or equal to 0"
    assert str(info.value).endswith("; and 2 more")


def test_the_csv_columns_are_the_models_fields() -> None:
    mechanics = {f for m in (Threshold, PercentOff, Presale, Gift) for f in m.model_fields} - {"type"}

    assert set(PRODUCT_COLUMNS) == set(Product.model_fields) - {"attributes"}
    assert set(MECHANICS_COLUMNS) == mechanics
    assert set(PROMOTION_COLUMNS) == set(Promotion.model_fields) - {"mechanics"} | {"type"} | mechanics
