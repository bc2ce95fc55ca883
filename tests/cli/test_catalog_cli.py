"""`draftdesk catalog import | list` in-process, with the real model on a temp data dir: a products CSV as Excel saves
it in a Chinese locale (GBK, `attr_<name>` columns, `|`-separated cells), a promotions JSONL, the counts, re-imports
that embed nothing, a bad row that imports nothing, and `--prune`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run
from tests.cli.test_main import assert_clean_failure, ok, summary
from tests.conftest import write_jsonl

pytestmark = pytest.mark.model  # an import embeds the products' words

HEADER = "sku,title,title_en,price,stock,platforms,attr_材质,attr_适用季节,bulk_tiers"
WINTER = "QC-QLT-WIN-200,冬季加厚被芯200x230,Winter Duvet Insert,269,150,taobao|jd,七孔纤维,冬季,10:180|50:160"
SUMMER = "QC-QLT-SUM-150,夏凉被150x200,Summer Cool Quilt,129,60,any,冰丝,夏季,"
PILLOW = "QC-BED-PIL-BUK,荞麦枕,Buckwheat Hull Pillow,69,80,any,荞麦壳,四季,"
DOUBLE_12 = {"id": "P2026-D12", "title": "双12家居节", "title_en": "Double 12 Home Festival", "platform": "any",
             "starts": "2026-12-01T00:00:00+08:00", "ends": "2026-12-13T00:00:00+08:00",
             "skus": ["QC-QLT-WIN-200", "QC-BED-PIL-BUK"],
             "mechanics": {"type": "threshold", "threshold": "200", "off": "30"}}
NONE = {"added": 0, "updated": 0, "unchanged": 0, "deleted": 0}


def gbk_csv(path: Path, *rows: str) -> Path:
    path.write_text("\r\n".join((HEADER, *rows)) + "\r\n", encoding="gbk")
    return path


def products(run: Run) -> dict[str, dict[str, Any]]:
    return {p["sku"]: p for p in map(json.loads, ok(run("catalog", "list", "--json")).stdout.splitlines())}


@pytest.fixture
def promotions_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "promotions.jsonl", [DOUBLE_12])


def test_a_gbk_csv_and_promotions_import_and_unchanged_rows_embed_nothing(
        run: Run, tmp_path: Path, promotions_file: Path) -> None:
    sheet = gbk_csv(tmp_path / "products.csv", WINTER, SUMMER, PILLOW)
    with pytest.raises(UnicodeDecodeError):
        sheet.read_bytes().decode("utf-8")  # really GBK, as Excel saves it

    first = summary(run("catalog", "import", "--products", str(sheet), "--promotions", str(promotions_file), "--json"))
    assert (first["products"], first["promotions"]) == ({**NONE, "added": 3}, {**NONE, "added": 1})
    assert first["embedded"] == 3

    listed = products(run)
    assert sorted(listed) == ["QC-BED-PIL-BUK", "QC-QLT-SUM-150", "QC-QLT-WIN-200"]
    winter = listed["QC-QLT-WIN-200"]
    assert (winter["title"], winter["title_en"], winter["price"], winter["stock"]) == (
        "冬季加厚被芯200x230", "Winter Duvet Insert", "269", 150)
    assert winter["attributes"] == {"材质": "七孔纤维", "适用季节": "冬季"}
    assert winter["platforms"] == ["taobao", "jd"]
    assert winter["bulk_tiers"] == [{"min_qty": 10, "unit_price": "180"}, {"min_qty": 50, "unit_price": "160"}]
    assert listed["QC-QLT-SUM-150"]["bulk_tiers"] == []  # an empty cell is no tier

    again = summary(run("catalog", "import", "--products", str(sheet), "--promotions", str(promotions_file), "--json"))
    assert (again["products"], again["promotions"]) == ({**NONE, "unchanged": 3}, {**NONE, "unchanged": 1})
    assert again["embedded"] == 0
    assert again["revision"] == first["revision"]

    # a new stock figure changes a fact, not the words that are matched: nothing to embed
    gbk_csv(sheet, WINTER, SUMMER.replace(",129,60,", ",129,0,"), PILLOW)
    restocked = summary(run("catalog", "import", "--products", str(sheet), "--json"))
    assert restocked["products"] == {**NONE, "updated": 1, "unchanged": 2}
    assert restocked["embedded"] == 0
    assert products(run)["QC-QLT-SUM-150"]["stock"] == 0


def test_the_plain_output_gives_the_counts(run: Run, tmp_path: Path) -> None:
    sheet = gbk_csv(tmp_path / "products.csv", WINTER, SUMMER)

    result = ok(run("catalog", "import", "--products", str(sheet)))

    assert result.stdout.splitlines() == [
        "products: 2 added, 0 updated, 0 unchanged, 0 deleted",
        "promotions: 0 added, 0 updated, 0 unchanged, 0 deleted",
        "embedded: 2; catalog revision 1",
    ]
    table = ok(run("catalog", "list")).stdout.splitlines()
    assert "QC-QLT-WIN-200\t冬季加厚被芯200x230\t269 CNY\tstock 150 (in_stock)" in table
    assert table[-1] == "2 products, 0 promotions (revision 1)"


def test_a_bad_row_names_its_line_and_imports_nothing(run: Run, tmp_path: Path, promotions_file: Path) -> None:
    sheet = gbk_csv(tmp_path / "products.csv", WINTER, SUMMER.replace(",129,", ",-129,"), PILLOW)

    result = run("catalog", "import", "--products", str(sheet), "--promotions", str(promotions_file), "--json")

    assert_clean_failure(result, mentions="line 3: price: Input should be greater than or equal to 0")
    assert "line 2" not in result.stderr and "line 4" not in result.stderr  # the good rows are not blamed
    assert ok(run("catalog", "list")).stdout.splitlines() == ["0 products, 0 promotions (revision 0)"]


def test_a_bad_promotions_file_imports_no_products_either(run: Run, tmp_path: Path) -> None:
    sheet = gbk_csv(tmp_path / "products.csv", WINTER, SUMMER)
    backwards = write_jsonl(tmp_path / "promotions.jsonl", [
        DOUBLE_12, {**DOUBLE_12, "id": "P-BACKWARDS", "ends": "2026-11-01T00:00:00+08:00"}])

    result = run("catalog", "import", "--products", str(sheet), "--promotions", str(backwards))

    assert_clean_failure(result, mentions="line 2: promotion: ends must be after starts")
    assert ok(run("catalog", "list")).stdout.splitlines() == ["0 products, 0 promotions (revision 0)"]


def test_prune_deletes_what_the_file_no_longer_holds(run: Run, tmp_path: Path) -> None:
    sheet = gbk_csv(tmp_path / "products.csv", WINTER, SUMMER, PILLOW)
    ok(run("catalog", "import", "--products", str(sheet), "--json"))
    gbk_csv(sheet, WINTER, SUMMER)

    kept = summary(run("catalog", "import", "--products", str(sheet), "--json"))
    assert kept["products"] == {**NONE, "unchanged": 2}  # without --prune a missing row stays
    assert sorted(products(run)) == ["QC-BED-PIL-BUK", "QC-QLT-SUM-150", "QC-QLT-WIN-200"]

    pruned = summary(run("catalog", "import", "--products", str(sheet), "--prune", "--json"))
    assert pruned["products"] == {**NONE, "unchanged": 2, "deleted": 1}
    assert pruned["embedded"] == 0
    assert sorted(products(run)) == ["QC-QLT-SUM-150", "QC-QLT-WIN-200"]
