"""/v1/announcements on the real app, with the hashing embedder and a clock the tests move."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ROWS, assert_error, total
from tests.fakes import HashingEmbedder

CST = timezone(timedelta(hours=8))
START = datetime(2026, 1, 10, 9, 0, tzinfo=CST)


class Clock:
    """What time the app thinks it is; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def api(fake_settings: Settings, fake_embedder: HashingEmbedder, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(fake_settings, embedder=fake_embedder, clock=clock)) as client:
        yield client


SNOW_ZH: dict[str, Any] = {
    "title": "新疆地区快递延迟", "body": "受降雪影响，发往新疆的快递预计延迟3-5天送达，给您添麻烦了。", "locale": "zh",
    "valid_until": "2026-01-20T00:00:00+08:00", "scope": {"regions": ["新疆"], "intents": ["logistics"]},
    "priority": 50,
}
STOCKOUT_EN: dict[str, Any] = {
    "title": "Blue pillow sold out", "body": "The blue latex pillow is sold out; restocked orders ship from Jan 25.",
    "locale": "en", "platform": "amazon", "valid_from": "2026-01-12T00:00:00+08:00",
    "valid_until": "2026-01-25T00:00:00+08:00", "scope": {"skus": ["QC-PILLOW-BLUE"]},
}


def publish(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/announcements", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def listed(client: TestClient, state: str = "active", **params: str) -> list[str]:
    response = client.get("/v1/announcements", params={"state": state, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


def test_publish_returns_the_announcement_with_its_id_and_state(api: TestClient) -> None:
    response = api.post("/v1/announcements", json=SNOW_ZH)

    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"ann-20260110-[0-9a-f]{8}", body["id"])
    assert response.headers["location"] == f"/v1/announcements/{body['id']}"
    assert body == {
        "id": body["id"], "state": "active", "title": SNOW_ZH["title"], "body": SNOW_ZH["body"], "locale": "zh",
        "platform": "any", "valid_from": "2026-01-10T09:00:00+08:00", "valid_until": "2026-01-20T00:00:00+08:00",
        "scope": {"intents": ["logistics"], "skus": [], "regions": ["新疆"]}, "priority": 50,
        "source": "announcements",
    }


def test_a_notice_moves_from_scheduled_to_active_to_expired_and_is_kept(api: TestClient, clock: Clock) -> None:
    notice = publish(api, STOCKOUT_EN)["id"]  # starts Jan 12; the clock says Jan 10
    assert publish(api, STOCKOUT_EN | {"id": notice})["state"] == "scheduled"

    assert (listed(api), listed(api, "scheduled"), listed(api, "expired")) == ([], [notice], [])
    clock.now = datetime(2026, 1, 12, tzinfo=CST)
    assert (listed(api), listed(api, "scheduled"), listed(api, "expired")) == ([notice], [], [])
    clock.move(days=13)
    assert (listed(api), listed(api, "scheduled"), listed(api, "expired")) == ([], [], [notice])

    assert listed(api, "all") == [notice]
    assert api.get(f"/v1/announcements/{notice}").json()["items"][0]["state"] == "expired"
    assert total(api, kind="announcement") == 1  # still stored


def test_list_defaults_to_active_and_filters_by_platform_and_locale(api: TestClient) -> None:
    snow = publish(api, SNOW_ZH)["id"]
    pillow = publish(api, STOCKOUT_EN | {"valid_from": None})["id"]
    taobao = publish(api, SNOW_ZH | {"platform": "taobao", "priority": 90})["id"]

    assert [i["id"] for i in api.get("/v1/announcements").json()["items"]] == [taobao, snow, pillow]
    assert listed(api, platform="taobao") == [taobao, snow]
    assert listed(api, platform="amazon") == [snow, pillow]
    assert listed(api, locale="en") == [pillow]


def test_expire_ends_it_now_and_keeps_it(api: TestClient, clock: Clock) -> None:
    notice = publish(api, SNOW_ZH)["id"]
    clock.move(hours=3)

    response = api.post(f"/v1/announcements/{notice}/expire")

    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert (item["state"], item["valid_until"]) == ("expired", "2026-01-10T12:00:00+08:00")
    assert (listed(api), listed(api, "expired")) == ([], [notice])
    assert api.post(f"/v1/announcements/{notice}/expire").status_code == 200  # again: no change


def test_expiring_a_scheduled_notice_is_409(api: TestClient) -> None:
    notice = publish(api, STOCKOUT_EN)["id"]

    assert "has not started yet" in assert_error(api.post(f"/v1/announcements/{notice}/expire"), 409, "conflict")
    assert listed(api, "scheduled") == [notice]


def test_get_returns_every_locale(api: TestClient) -> None:
    publish(api, SNOW_ZH | {"id": "ann-snow"})
    english = SNOW_ZH | {"id": "ann-snow", "locale": "en", "title": "Delays to Xinjiang",
                         "body": "Snow delays parcels to Xinjiang by 3-5 days.", "scope": {"regions": ["Xinjiang"]}}
    publish(api, english)

    body = api.get("/v1/announcements/ann-snow").json()

    assert body["id"] == "ann-snow"
    assert [(i["locale"], i["title"]) for i in body["items"]] == [("en", "Delays to Xinjiang"),
                                                                  ("zh", "新疆地区快递延迟")]


@pytest.mark.parametrize("path", ["/v1/announcements/nope", "/v1/announcements/ship-001"])
def test_unknown_id_is_404(seeded: TestClient, path: str) -> None:
    assert "no announcement with id" in assert_error(seeded.get(path), 404, "not_found")
    assert_error(seeded.post(f"{path}/expire"), 404, "not_found")


def test_publishing_over_a_faq_id_is_409(seeded: TestClient) -> None:
    response = seeded.post("/v1/announcements", json=SNOW_ZH | {"id": "ship-001", "valid_until": "2100-01-01T00:00Z"})

    assert "is a faq" in assert_error(response, 409, "conflict")
    assert seeded.get("/v1/knowledge/ship-001", params={"locale": "zh"}).json()["entries"][0]["kind"] == "faq"


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"valid_until": "2026-01-20T00:00:00"}, "valid_until: Value error, must carry a timezone"),
        ({"valid_from": "2026-01-11T00:00:00"}, "valid_from: Value error, must carry a timezone"),
        ({"valid_until": "next tuesday"}, "valid_until"),
        ({"valid_until": "2026-01-10T09:00:00+08:00"},
         "valid_until must be after valid_from, which defaults to now (2026-01-10T09:00:00+08:00)"),
        ({"valid_from": "2026-01-15T00:00:00+08:00", "valid_until": "2026-01-14T00:00:00+08:00"},
         "valid_until must be after valid_from"),
        ({"scope": {"intents": ["logistics", "shiping"]}}, "unknown intent 'shiping'"),
        ({"scope": {"region": ["新疆"]}}, "scope.region"),
        ({"priority": 101}, "priority"),
        ({"priority": -1}, "priority"),
        ({"body": None}, "body"),
        ({"body": "   "}, "body"),
        ({"title": ""}, "title"),
        ({"locale": "fr"}, "locale"),
        ({"platform": "tmall"}, "platform"),
        ({"id": "has space"}, "id: String should match pattern"),
        ({"surprise": 1}, "surprise"),
    ],
    ids=["naive-until", "naive-from", "not-a-date", "until-is-now", "until-before-from", "unknown-intent",
         "scope-typo", "priority-high", "priority-low", "missing-body", "blank-body", "empty-title", "locale",
         "platform", "bad-id", "extra-field"],
)
def test_invalid_announcement_is_422_and_stores_nothing(
    api: TestClient, change: dict[str, Any], mentions: str
) -> None:
    body = {k: v for k, v in (SNOW_ZH | change).items() if v is not None}

    assert mentions in assert_error(api.post("/v1/announcements", json=body), 422, "invalid_request")
    assert total(api) == 0


@pytest.mark.parametrize("missing", ["title", "body", "locale", "valid_until"])
def test_required_fields_are_named(api: TestClient, missing: str) -> None:
    body = {k: v for k, v in SNOW_ZH.items() if k != missing}

    assert f"{missing}: Field required" in assert_error(api.post("/v1/announcements", json=body), 422,
                                                        "invalid_request")


@pytest.mark.parametrize("params", [{"state": "live"}, {"platform": "tmall"}, {"locale": "fr"}])
def test_list_rejects_bad_query_parameters(api: TestClient, params: dict[str, str]) -> None:
    assert next(iter(params)) in assert_error(api.get("/v1/announcements", params=params), 422, "invalid_request")


def test_a_valid_notice_is_cited_first_and_stops_applying_when_it_expires(api: TestClient, clock: Clock) -> None:
    assert api.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
    notice = SNOW_ZH | {"title": "快递延迟通知", "scope": {},
                        "body": "受降雪影响，快递可能延迟3-5天到，物流信息更新也会变慢，请耐心等待。"}
    notice_id = publish(api, notice)["id"]
    ask = {"message": "我的快递怎么还没到，物流信息一直不更新", "platform": "taobao"}

    cited = [c["id"] for c in api.post("/v1/drafts", json=ask).json()["citations"]]
    assert cited[0] == notice_id
    assert "ship-001" in cited

    clock.now = datetime(2026, 1, 20, tzinfo=CST)  # its valid_until

    cited = [c["id"] for c in api.post("/v1/drafts", json=ask).json()["citations"]]
    assert notice_id not in cited and cited[0] == "ship-001"
    assert listed(api, "expired") == [notice_id]



# --- scoped notices in drafts: they apply by scope, highest priority first, and stop when they expire ------


def test_scoped_notices_lead_the_draft_by_priority_and_only_for_orders_in_scope(api: TestClient, clock: Clock) -> None:
    assert api.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
    snow = publish(api, SNOW_ZH)  # priority 50, region 新疆, logistics
    stockout = publish(api, {"title": "蓝色乳胶枕缺货", "body": "蓝色乳胶枕暂时缺货，预计1月25日补货后按付款顺序发出。",
                             "locale": "zh", "valid_until": "2026-01-25T00:00:00+08:00",
                             "scope": {"skus": ["QC-PILLOW-BLUE"]}, "priority": 80})
    order = {"id": "TB9", "status": "paid", "region": "新疆维吾尔自治区乌鲁木齐市",
             "items": [{"sku": "qc-pillow-blue", "name": "乳胶枕"}]}

    def draft(order: dict[str, Any]) -> dict[str, Any]:
        response = api.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao", "order": order})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    both = draft(order)
    cited = [c["id"] for c in both["citations"]]
    assert cited[:2] == [stockout["id"], snow["id"]]  # priority 80 before 50, both before the FAQ
    assert both["citations"][0]["score"] is None  # applied by scope, not by similarity
    text = both["draft"]
    assert text.index("【蓝色乳胶枕缺货】") < text.index("【新疆地区快递延迟】") < text.index("订单")

    elsewhere = draft(order | {"region": "广东省深圳市", "items": []})
    assert snow["id"] not in [c["id"] for c in elsewhere["citations"]]
    assert stockout["id"] not in [c["id"] for c in elsewhere["citations"]]
    assert "新疆" not in elsewhere["draft"] and "缺货" not in elsewhere["draft"]

    clock.move(days=11)  # 21 Jan: the snow notice has expired, the stock-out is still on
    later = [c["id"] for c in draft(order)["citations"]]
    assert stockout["id"] in later and snow["id"] not in later
    listed = api.get("/v1/announcements", params={"state": "expired"}).json()
    assert [a["id"] for a in listed["items"]] == [snow["id"]]  # kept, not deleted
