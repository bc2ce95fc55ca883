"""The catalog over HTTP on the real app (real embedding model, real Chroma and SQLite in a temp dir, keys on):
file imports (JSONL, GBK CSV) with their counts, a bad file that imports nothing, one product or promotion at a
time, roles, shops kept apart, the audit log, and a draft about an imported product."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.routes.knowledge import MAX_UPLOAD_BYTES
from composition.settings import Settings
from knowledge.embedders import Embedder
from tests.api.conftest import assert_error, configure

pytestmark = pytest.mark.model

KETTLE = {"sku": "QC-KIT-KTL-17", "title": "不锈钢电热水壶1.7L", "title_en": "Stainless Kettle 1.7L", "price": "129",
          "stock": 45, "attributes": {"材质": "304不锈钢", "material": "304 stainless steel"},
          "alternatives": ["QC-KIT-KTL-15"]}
SMALL_KETTLE = {"sku": "QC-KIT-KTL-15", "title": "不锈钢电热水壶1.5L", "price": "99.90", "stock": 0}
POT = {"sku": "QC-KIT-POT-24", "title": "铸铁炖锅24cm", "title_en": "Cast Iron Pot 24cm", "price": "399", "stock": 3,
       "low_stock": 5, "attributes": {"材质": "铸铁"}}
PRODUCTS = [KETTLE, SMALL_KETTLE, POT]
DOUBLE_11 = {"id": "P-D11", "title": "双11狂欢", "title_en": "Double 11 Sale", "starts": "2020-11-01T00:00:00+08:00",
             "ends": "2099-11-12T00:00:00+08:00", "skus": "all",
             "mechanics": {"type": "threshold", "threshold": "300", "off": "50"}}
# As Excel saves a sheet in a Chinese locale: GBK, `attr_<name>` columns, list cells split on `|`.
CSV_GBK = ("sku,title,price,stock,platforms,attr_材质,attr_适用季节\n"
           "QC-QLT-WIN-200,加厚冬被200x230,459,80,taobao|jd,澳洲羊毛,冬\n"
           "QC-QLT-SUM-150,夏凉被150x200,159,0,any,天丝,夏\n").encode("gbk")
NO_COUNTS = {"added": 0, "updated": 0, "unchanged": 0, "deleted": 0}


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


class Caller:
    def __init__(self, client: TestClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    def __call__(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers={**self.headers, **(headers or {})}, **kwargs)

    def upload(self, *, prune: bool = False, **files: tuple[str, bytes]) -> Any:
        return self("POST", "/v1/catalog/import", files={k: (n, d, "application/octet-stream")
                                                          for k, (n, d) in files.items()},
                    data={"prune": "true"} if prune else None)


@pytest.fixture
def app_client(settings: Settings, real_embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(configure(settings, auth="on"), embedder=real_embedder)) as client:
        yield client


def key(client: TestClient, role: str, shop: str = "default") -> Caller:
    return Caller(client, client.app.state.components.keys.create(role, shop=shop)[1])  # type: ignore[attr-defined]


@pytest.fixture
def owner(app_client: TestClient) -> Caller:
    return key(app_client, "knowledge_owner")


def skus(caller: Caller, **params: Any) -> list[str]:
    response = caller("GET", "/v1/catalog/products", params=params)
    assert response.status_code == 200, response.text
    return [p["sku"] for p in response.json()["items"]]


def test_files_import_with_counts_and_unchanged_rows_embed_nothing(owner: Caller) -> None:
    first = owner.upload(products=("products.jsonl", jsonl(PRODUCTS)), promotions=("promos.jsonl", jsonl([DOUBLE_11])))
    assert first.status_code == 200, first.text
    assert first.json()["products"] == {**NO_COUNTS, "added": 3}
    assert first.json()["promotions"] == {**NO_COUNTS, "added": 1}
    assert first.json()["embedded"] == 3

    gbk = owner.upload(products=("冬被.csv", CSV_GBK))
    assert gbk.status_code == 200, gbk.text
    assert (gbk.json()["products"], gbk.json()["embedded"]) == ({**NO_COUNTS, "added": 2}, 2)
    winter = owner("GET", "/v1/catalog/products/QC-QLT-WIN-200").json()
    assert (winter["title"], winter["attributes"], winter["platforms"]) == (
        "加厚冬被200x230", {"材质": "澳洲羊毛", "适用季节": "冬"}, ["taobao", "jd"])

    again = owner.upload(products=("products.jsonl", jsonl(PRODUCTS)), promotions=("promos.jsonl", jsonl([DOUBLE_11])))
    assert again.status_code == 200, again.text
    assert again.json()["products"] == {**NO_COUNTS, "unchanged": 3}
    assert again.json()["promotions"] == {**NO_COUNTS, "unchanged": 1}
    assert again.json()["embedded"] == 0
    assert again.json()["revision"] == gbk.json()["revision"]

    restocked = owner.upload(products=("products.jsonl", jsonl([{**SMALL_KETTLE, "stock": 12}])), prune=True)
    assert restocked.json()["products"] == {**NO_COUNTS, "updated": 1, "deleted": 4}
    assert restocked.json()["embedded"] == 0  # only the stock changed: the words are as they were
    assert skus(owner) == ["QC-KIT-KTL-15"]


def test_json_rows_import_like_a_file(owner: Caller) -> None:
    response = owner("POST", "/v1/catalog/import", json={"products": PRODUCTS, "promotions": [DOUBLE_11]})
    assert response.status_code == 200, response.text
    assert (response.json()["products"]["added"], response.json()["promotions"]["added"]) == (3, 1)
    bad = owner("POST", "/v1/catalog/import", json={"products": [KETTLE, {**POT, "price": "-1"}]})
    assert "product 2: price" in assert_error(bad, 400, "invalid_file")


def test_a_bad_file_imports_nothing_and_names_its_lines(owner: Caller) -> None:
    rows = jsonl([KETTLE, {**POT, "stock": -3}, {"sku": "bad sku!", "title": "x", "price": "1", "stock": 1}])
    response = owner.upload(products=("products.jsonl", rows), promotions=("promos.jsonl", jsonl([DOUBLE_11])))
    message = assert_error(response, 400, "invalid_file")
    assert "line 2: stock" in message and "line 3: sku" in message
    assert response.json()["error"]["problems"]
    assert skus(owner) == []
    assert owner("GET", "/v1/catalog/promotions").json()["total"] == 0  # the good promotions file waited too

    gbk_bad = CSV_GBK + "QC-BAD-1,坏行,abc,1,any,,\n".encode("gbk")
    assert "line 4: price" in assert_error(owner.upload(products=("p.csv", gbk_bad)), 400, "invalid_file")
    assert_error(owner.upload(products=("products.xlsx", b"PK\x03\x04")), 415, "unsupported_file")
    assert_error(owner("POST", "/v1/catalog/import", files={"prune": (None, b"true")}), 422, "invalid_request")
    assert_error(owner("POST", "/v1/catalog/import", content=b"x", headers={"content-type": "text/plain"}),
                 415, "unsupported_media_type")
    assert skus(owner) == []


def test_a_file_over_the_upload_limit_is_refused(owner: Caller) -> None:
    big = jsonl(PRODUCTS) + b"\n" * (MAX_UPLOAD_BYTES + 1)  # under the body limit (12 MiB), over a file's (10 MiB)
    assert_error(owner.upload(products=("products.jsonl", big)), 413, "payload_too_large")
    assert skus(owner) == []


def test_put_get_list_and_delete_a_product(owner: Caller) -> None:
    added = owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=POT)
    assert added.status_code == 200, added.text
    assert added.json()["outcome"] == "added" and added.json()["product"]["price"] == "399"
    assert owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=POT).json()["outcome"] == "unchanged"
    assert owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json={**POT, "stock": 0}).json()["outcome"] == "updated"
    owner("PUT", "/v1/catalog/products/QC-KIT-KTL-17", json=KETTLE)

    got = owner("GET", "/v1/catalog/products/QC-KIT-POT-24")
    assert (got.status_code, got.json()["stock"], got.json()["title_en"]) == (200, 0, "Cast Iron Pot 24cm")
    assert skus(owner) == ["QC-KIT-KTL-17", "QC-KIT-POT-24"]
    assert skus(owner, q="炖锅") == ["QC-KIT-POT-24"]
    assert skus(owner, q="kettle") == ["QC-KIT-KTL-17"]
    assert skus(owner, stock="out") == ["QC-KIT-POT-24"]
    page = owner("GET", "/v1/catalog/products", params={"limit": 1, "offset": 1}).json()
    assert ([p["sku"] for p in page["items"]], page["total"]) == (["QC-KIT-POT-24"], 2)

    mismatch = owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=KETTLE)
    assert "QC-KIT-KTL-17" in assert_error(mismatch, 422, "invalid_request")
    assert_error(owner("PUT", "/v1/catalog/products/QC-X", json={**POT, "sku": "QC-X", "price": "x"}),
                 422, "invalid_request")
    assert owner("GET", "/v1/catalog/products/QC-KIT-POT-24").json()["stock"] == 0

    assert owner("DELETE", "/v1/catalog/products/QC-KIT-POT-24").status_code == 204
    assert_error(owner("DELETE", "/v1/catalog/products/QC-KIT-POT-24"), 404, "not_found")
    assert_error(owner("GET", "/v1/catalog/products/QC-KIT-POT-24"), 404, "not_found")


def test_a_sku_with_a_slash_is_one_path_segment(owner: Caller) -> None:
    item = {**POT, "sku": "QC/POT-24"}
    assert owner("PUT", "/v1/catalog/products/QC%2FPOT-24", json=item).status_code == 200
    assert owner("GET", "/v1/catalog/products/QC/POT-24").json()["sku"] == "QC/POT-24"
    assert owner("DELETE", "/v1/catalog/products/QC%2FPOT-24").status_code == 204


def test_put_get_list_and_delete_a_promotion(owner: Caller) -> None:
    later = {**DOUBLE_11, "id": "P-NY", "title": "元旦特惠", "title_en": "New Year",
             "starts": "2098-12-30T00:00:00+08:00", "ends": "2099-01-02T00:00:00+08:00", "skus": ["QC-KIT-POT-24"],
             "mechanics": {"type": "percent_off", "percent": "10"}}
    assert owner("PUT", "/v1/catalog/promotions/P-D11", json=DOUBLE_11).json()["outcome"] == "added"
    assert owner("PUT", "/v1/catalog/promotions/P-NY", json=later).json()["outcome"] == "added"
    assert owner("GET", "/v1/catalog/promotions/P-NY").json()["mechanics"] == {"type": "percent_off", "percent": "10"}
    listed = owner("GET", "/v1/catalog/promotions").json()
    assert ([p["id"] for p in listed["items"]], listed["total"]) == (["P-D11", "P-NY"], 2)
    assert [p["id"] for p in owner("GET", "/v1/catalog/promotions", params={"state": "upcoming"}).json()["items"]] \
        == ["P-NY"]
    assert [p["id"] for p in owner("GET", "/v1/catalog/promotions", params={"q": "双11"}).json()["items"]] == ["P-D11"]

    assert "P-D11" in assert_error(owner("PUT", "/v1/catalog/promotions/P-NY", json=DOUBLE_11), 422,
                                   "invalid_request")
    backwards = {**later, "ends": "2098-01-01T00:00:00+08:00"}
    assert "ends must be after starts" in assert_error(owner("PUT", "/v1/catalog/promotions/P-NY", json=backwards),
                                                       422, "invalid_request")

    assert owner("DELETE", "/v1/catalog/promotions/P-NY").status_code == 204
    assert_error(owner("DELETE", "/v1/catalog/promotions/P-NY"), 404, "not_found")
    assert_error(owner("GET", "/v1/catalog/promotions/P-NY"), 404, "not_found")


def test_agents_and_qa_read_only_owners_and_admins_write(app_client: TestClient, owner: Caller) -> None:
    owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=POT)
    admin = key(app_client, "admin")
    assert admin("PUT", "/v1/catalog/products/QC-KIT-KTL-17", json=KETTLE).status_code == 200
    for role in ("agent", "qa"):
        reader = key(app_client, role)
        assert skus(reader) == ["QC-KIT-KTL-17", "QC-KIT-POT-24"]
        assert reader("GET", "/v1/catalog/products/QC-KIT-POT-24").status_code == 200
        assert reader("GET", "/v1/catalog/promotions").status_code == 200
        assert_error(reader("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=POT), 403, "forbidden")
        assert_error(reader("DELETE", "/v1/catalog/products/QC-KIT-POT-24"), 403, "forbidden")
        assert_error(reader("PUT", "/v1/catalog/promotions/P-D11", json=DOUBLE_11), 403, "forbidden")
        assert_error(reader.upload(products=("p.jsonl", jsonl(PRODUCTS))), 403, "forbidden")
    assert_error(app_client.get("/v1/catalog/products"), 401, "unauthorized")
    assert skus(owner) == ["QC-KIT-KTL-17", "QC-KIT-POT-24"]


def test_changes_are_audited_and_reads_are_not(app_client: TestClient, owner: Caller) -> None:
    owner("PUT", "/v1/catalog/products/QC-KIT-POT-24", json=POT)
    owner.upload(products=("p.jsonl", jsonl(PRODUCTS)))
    owner("GET", "/v1/catalog/products")
    key(app_client, "agent")("DELETE", "/v1/catalog/products/QC-KIT-POT-24")
    audit = key(app_client, "admin")("GET", "/v1/audit").json()["items"]
    rows = {(row["action"], row["status"], row["role"]) for row in audit if "/v1/catalog" in row["action"]}
    assert rows == {("PUT /v1/catalog/products/QC-KIT-POT-24", 200, "knowledge_owner"),
                    ("POST /v1/catalog/import", 200, "knowledge_owner"),
                    ("DELETE /v1/catalog/products/QC-KIT-POT-24", 403, "agent")}


def test_two_shops_keep_their_own_catalogs(app_client: TestClient, owner: Caller) -> None:
    hills = key(app_client, "knowledge_owner", shop="hills")
    owner.upload(products=("p.jsonl", jsonl(PRODUCTS)), promotions=("o.jsonl", jsonl([DOUBLE_11])))
    imported = hills.upload(products=("冬被.csv", CSV_GBK))
    assert imported.json()["products"]["added"] == 2
    assert imported.json()["embedded"] == 2  # its own index: nothing of ours counts as already embedded

    assert skus(hills) == ["QC-QLT-SUM-150", "QC-QLT-WIN-200"]
    assert skus(owner) == ["QC-KIT-KTL-15", "QC-KIT-KTL-17", "QC-KIT-POT-24"]
    assert hills("GET", "/v1/catalog/promotions").json()["total"] == 0
    assert_error(hills("GET", "/v1/catalog/products/QC-KIT-POT-24"), 404, "not_found")
    assert_error(hills("DELETE", "/v1/catalog/products/QC-KIT-POT-24"), 404, "not_found")
    assert_error(hills("GET", "/v1/catalog/promotions/P-D11"), 404, "not_found")
    assert owner("GET", "/v1/catalog/products/QC-KIT-POT-24").status_code == 200


def test_a_draft_about_an_imported_product_quotes_its_stock(app_client: TestClient, owner: Caller) -> None:
    owner.upload(products=("p.jsonl", jsonl(PRODUCTS)), promotions=("o.jsonl", jsonl([DOUBLE_11])))
    agent = key(app_client, "agent")

    response = agent("POST", "/v1/drafts", json={"message": "还有货吗", "platform": "taobao", "sku": "QC-KIT-KTL-17"})

    assert response.status_code == 200, response.text
    draft = response.json()
    assert draft["answer_mode"] == "catalog"
    assert draft["product"]["sku"] == "QC-KIT-KTL-17"
    assert draft["product"]["resolved_by"] == "field"
    assert (draft["product"]["price"], draft["product"]["currency"]) == ("129", "CNY")
    assert draft["product"]["stock_level"] == "in_stock"
    assert draft["product"]["promotions"] == ["双11狂欢"]
    assert "有货" in draft["draft"] or "现货" in draft["draft"]
