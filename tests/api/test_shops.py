"""Shops (tenants) on the real app with auth on: a key sees only its shop's knowledge, announcements, versions,
drafts, feedback, history, analytics and audit events, through every endpoint that reads or writes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder

SHOPS = ("default", "hills")
HILLS_ROWS: list[dict[str, Any]] = [
    {"id": "hills-ship-01", "locale": "zh", "tags": ["logistics"],
     "question": "我的快递怎么还没到？", "answer": "山丘小店：冬季订单付款后72小时内从哈尔滨仓发出。"},
    {"id": "hills-ship-01", "locale": "en", "tags": ["logistics"],
     "question": "Where is my parcel?",
     "answer": "Hills shop: winter orders leave the Harbin warehouse within 72 hours."},
]
NOTICE = {"title": "暴雪停发", "body": "受暴雪影响，东北地区暂停发货。", "locale": "zh",
          "valid_until": "2099-01-01T00:00:00+08:00", "id": "ann-snow"}
ASK = {"message": "我的快递怎么还没到", "platform": "taobao"}


class Caller:
    """One shop's admin (may call everything) on the shared app."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.text)
        return response.json() if response.headers.get("content-type", "").startswith("application/json") else \
            response.text


@pytest.fixture
def app_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(configure(fake_settings, auth="on"), embedder=fake_embedder)) as client:
        yield client


@pytest.fixture
def shops(app_client: TestClient) -> dict[str, Caller]:
    """Both shops with their knowledge, an announcement in `default`, and one draft each with feedback."""
    store = app_client.app.state.components.keys  # type: ignore[attr-defined]
    callers = {shop: Caller(app_client, store.create("admin", shop=shop)[1]) for shop in SHOPS}
    ours, hills = callers["default"], callers["hills"]
    ours.ok("POST", "/v1/knowledge", json={"entries": ROWS})
    upload = "\n".join(json.dumps(r, ensure_ascii=False) for r in HILLS_ROWS)
    hills.ok("POST", "/v1/knowledge", files={"file": ("hills.jsonl", upload, "application/x-ndjson")})
    ours.ok("POST", "/v1/announcements", json=NOTICE)
    return callers


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def test_knowledge_is_the_shops_own(shops: dict[str, Caller]) -> None:
    ours, hills = shops["default"], shops["hills"]

    assert _ids(ours.ok("GET", "/v1/knowledge")["items"]) == {r["id"] for r in ROWS} | {"ann-snow"}
    assert _ids(hills.ok("GET", "/v1/knowledge")["items"]) == {"hills-ship-01"}
    assert_error(hills("GET", "/v1/knowledge/ship-001"), 404, "not_found")
    assert_error(hills("DELETE", "/v1/knowledge/ship-001"), 404, "not_found")
    assert len(ours.ok("GET", "/v1/knowledge/ship-001")["entries"]) == 2  # not deleted by the other shop
    assert ours.ok("POST", "/v1/knowledge?dry_run=true", json={"entries": HILLS_ROWS})["added"] == 2
    assert hills.ok("POST", "/v1/knowledge?dry_run=true", json={"entries": HILLS_ROWS})["added"] == 0  # known here
    hills.ok("POST", "/v1/knowledge", json={"entries": [{**HILLS_ROWS[0], "id": "hills-ship-02"}]})
    pairs = hills.ok("GET", "/v1/knowledge/duplicates?threshold=0.5")["items"]
    assert [{p["first"], p["second"]} for p in pairs] == [{"hills-ship-01@zh", "hills-ship-02@zh"}]
    assert all("hills" not in p["first"] + p["second"]
               for p in ours.ok("GET", "/v1/knowledge/duplicates?threshold=0.5")["items"])


def test_announcements_are_the_shops_own(shops: dict[str, Caller]) -> None:
    ours, hills = shops["default"], shops["hills"]

    assert _ids(ours.ok("GET", "/v1/announcements")["items"]) == {"ann-snow"}
    assert hills.ok("GET", "/v1/announcements?state=all")["items"] == []
    assert_error(hills("GET", "/v1/announcements/ann-snow"), 404, "not_found")
    assert_error(hills("POST", "/v1/announcements/ann-snow/expire"), 404, "not_found")
    assert ours.ok("GET", "/v1/announcements/ann-snow")["items"][0]["state"] == "active"


def test_versions_are_the_shops_own(shops: dict[str, Caller]) -> None:
    ours, hills = shops["default"], shops["hills"]
    ours_versions = ours.ok("GET", "/v1/knowledge/versions")["items"]
    hills_versions = hills.ok("GET", "/v1/knowledge/versions")["items"]

    assert [v["number"] for v in ours_versions] == [2, 1]  # the upload, then the announcement
    assert [(v["number"], v["entries"]) for v in hills_versions] == [(1, 2)]
    assert_error(hills("POST", "/v1/knowledge/versions/2/rollback"), 404, "not_found")
    hills.ok("POST", "/v1/knowledge", json={"entries": [{**HILLS_ROWS[0], "answer": "改了"}]})
    hills.ok("POST", "/v1/knowledge/versions/1/rollback")

    assert [v["number"] for v in ours.ok("GET", "/v1/knowledge/versions")["items"]] == [2, 1]  # untouched
    assert ours.ok("GET", "/v1/knowledge")["total"] == 6


def test_drafts_cite_and_log_only_the_shops_own(shops: dict[str, Caller]) -> None:
    ours, hills = shops["default"], shops["hills"]

    mine = ours.ok("POST", "/v1/drafts", json=ASK)
    theirs = hills.ok("POST", "/v1/drafts", json=ASK)
    streamed = hills("POST", "/v1/drafts/stream", json=ASK).text

    assert {c["id"] for c in mine["citations"]} <= {r["id"] for r in ROWS} | {"ann-snow"}
    assert "48小时" in mine["draft"] and "48小时" not in theirs["draft"] and "暴雪" not in theirs["draft"]
    assert {c["id"] for c in theirs["citations"]} == {"hills-ship-01"} and "哈尔滨" in theirs["draft"]
    assert "hills-ship-01" in streamed and "ann-snow" not in streamed
    assert ours.ok("GET", f"/v1/drafts/{mine['id']}")["shop"] == "default"
    assert_error(hills("GET", f"/v1/drafts/{mine['id']}"), 404, "not_found")
    assert_error(hills("POST", f"/v1/drafts/{mine['id']}/feedback", json={"action": "accepted"}), 404, "not_found")
    ours.ok("POST", f"/v1/drafts/{mine['id']}/feedback", json={"action": "accepted"})
    hills.ok("POST", f"/v1/drafts/{theirs['id']}/feedback", json={"action": "rejected", "reason": "冬季说明过时"})

    assert _ids(ours.ok("GET", "/v1/history")["items"]) == {mine["id"]}
    assert hills.ok("GET", "/v1/history")["total"] == 2  # the draft and the streamed one
    assert [f["action"] for f in ours.ok("GET", f"/v1/drafts/{mine['id']}")["feedback"]] == ["accepted"]


def test_analytics_count_only_the_shops_own(shops: dict[str, Caller]) -> None:
    ours, hills = shops["default"], shops["hills"]
    for _ in range(3):
        ours.ok("POST", "/v1/drafts", json=ASK)
    rejected = hills.ok("POST", "/v1/drafts", json={"message": "Where is my parcel?", "platform": "amazon"})
    hills.ok("POST", f"/v1/drafts/{rejected['id']}/feedback", json={"action": "rejected", "reason": "wrong"})

    assert ours.ok("GET", "/v1/analytics/volume")["total"] == 3
    assert hills.ok("GET", "/v1/analytics/volume?group=platform")["items"] == [{"key": "amazon", "count": 1}]
    assert [row["rejected"] for row in hills.ok("GET", "/v1/analytics/acceptance")["items"]] == [1.0]
    assert all(row["rejected"] in (None, 0.0) for row in ours.ok("GET", "/v1/analytics/acceptance")["items"])
    assert ours.ok("GET", "/v1/analytics/gaps")["unanswered"] == 0
    assert hills.ok("GET", "/v1/analytics/gaps")["unanswered"] == 1
    assert "amazon" not in ours.ok("GET", "/v1/analytics/volume", params={"group": "platform", "format": "csv"})


def test_the_audit_log_shows_the_shops_own_events(shops: dict[str, Caller], app_client: TestClient) -> None:
    ours, hills = shops["default"], shops["hills"]
    assert_error(app_client.get("/v1/history"), 401, "unauthorized")  # no key: shown to the server admin only

    mine = ours.ok("GET", "/v1/audit")["items"]
    theirs = hills.ok("GET", "/v1/audit")["items"]

    assert {e["shop"] for e in mine} == {"default", "-"} and {e["shop"] for e in theirs} == {"hills"}
    assert any(e["action"].startswith("POST /v1/announcements") for e in mine)
    assert not any("announcements" in e["action"] for e in theirs)


def test_the_console_session_belongs_to_the_keys_shop(shops: dict[str, Caller], app_client: TestClient) -> None:
    key = shops["hills"].headers["Authorization"].removeprefix("Bearer ")
    assert app_client.post("/console/session", json={"key": key}).status_code == 204

    listed = app_client.get("/v1/knowledge")  # the session cookie, no header

    assert listed.status_code == 200 and _ids(listed.json()["items"]) == {"hills-ship-01"}


def test_a_shops_data_survives_a_restart_next_to_the_others(
        fake_settings: Settings, fake_embedder: HashingEmbedder, shops: dict[str, Caller]) -> None:
    settings = configure(fake_settings, auth="on")
    with TestClient(create_app(settings, embedder=fake_embedder)) as again:
        key = again.app.state.components.keys.create("qa", shop="hills")[1]  # type: ignore[attr-defined]
        listed = again.get("/v1/knowledge", headers={"Authorization": f"Bearer {key}"})
    assert _ids(listed.json()["items"]) == {"hills-ship-01"}


def test_a_key_for_a_shop_with_no_knowledge_sees_an_empty_shop(app_client: TestClient) -> None:
    store = app_client.app.state.components.keys  # type: ignore[attr-defined]
    new = Caller(app_client, store.create("admin", shop="new-shop")[1])

    assert new.ok("GET", "/v1/knowledge")["total"] == 0
    draft = new.ok("POST", "/v1/drafts", json=ASK)
    assert draft["needs_human"] and draft["citations"] == []
