"""GET /v1/calendar and the quick-reply endpoints, on the real app with a fixed clock."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from drafting.calendar import CalendarError
from tests.api.conftest import assert_error, configure
from tests.fakes import HashingEmbedder

NIGHT = datetime(2026, 6, 10, 17, 30, tzinfo=UTC)  # 01:30 on 11 Jun in Shanghai
DAY = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SPRING_FESTIVAL = datetime(2027, 2, 10, 4, 0, tzinfo=UTC)

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def make(at: datetime, settings: Settings | None = None) -> TestClient:
        client = TestClient(create_app(settings or fake_settings, embedder=fake_embedder, clock=lambda: at))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(DAY)


# --- calendar ---------------------------------------------------------------------------------------


def test_calendar_while_open(client: TestClient) -> None:
    response = client.get("/v1/calendar")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "open"
    assert body["timezone"] == "Asia/Shanghai"
    assert body["at"] == "2026-06-10T10:00:00+08:00"
    assert body["handled_by"] == "2026-06-10T10:10:00+08:00"
    assert body["opens_at"] is None
    assert body["notices"] == [] and body["notice"] is None


def test_calendar_at_night_reads_a_utc_clock_in_shop_time(make_client: MakeClient) -> None:
    client = make_client(NIGHT)
    body = client.get("/v1/calendar").json()
    assert body["state"] == "out_of_hours"
    assert body["handled_by"] == body["opens_at"] == "2026-06-11T09:00:00+08:00"
    assert "6月11日 09:00" in body["notice"]
    assert "11 Jun 09:00" in client.get("/v1/calendar", params={"locale": "en"}).json()["notice"]


def test_calendar_during_the_spring_festival(make_client: MakeClient) -> None:
    body = make_client(SPRING_FESTIVAL).get("/v1/calendar", params={"locale": "en"}).json()
    assert body["state"] == "closed"
    assert body["handled_by"] == "2027-02-15T09:00:00+08:00"
    assert [n["kind"] for n in body["notices"]] == ["closure", "carrier_stop"]
    closure = body["notices"][0]
    assert closure["id"] == "spring_festival_2027"
    assert closure["start"] == "2027-02-05T00:00:00+08:00" and closure["end"] == "2027-02-15T00:00:00+08:00"
    assert closure["text"]["zh"].startswith("春节")
    assert "15 Feb 09:00" in body["notice"] and "resume from 17 Feb" in body["notice"]


def test_a_teams_calendar_file_and_the_carrier_filter(
    make_client: MakeClient, fake_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(textwrap.dedent("""
        version: 1
        timezone: Asia/Shanghai
        hours: {default: "09:00-18:00"}
        carrier_stops:
          - id: zto-typhoon
            carriers: [中通]
            from: 2026-06-09
            until: 2026-06-11
            notice: {zh: 受台风影响中通暂停揽收, en: ZTO has paused pick-ups because of a typhoon}
    """), encoding="utf-8")
    client = make_client(DAY, configure(fake_settings, calendar=path))
    body = client.get("/v1/calendar").json()
    assert body["state"] == "open"
    assert body["notice"] == "受台风影响中通暂停揽收，预计6月12日起恢复发货。"
    assert client.get("/v1/calendar", params={"carrier": "顺丰"}).json()["notices"] == []
    assert client.get("/v1/calendar", params={"carrier": "中通"}).json()["notices"][0]["carriers"] == ["中通"]


def test_a_bad_calendar_file_stops_the_app_at_start_up(
    fake_settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("version: 1\nhours: {default: '9-18'}\n", encoding="utf-8")
    app = create_app(configure(fake_settings, calendar=path), embedder=fake_embedder)
    with pytest.raises(CalendarError, match=r"calendar\.yaml: hours\.default"), TestClient(app):
        pass


def test_calendar_rejects_an_unknown_locale(client: TestClient) -> None:
    assert "locale" in assert_error(client.get("/v1/calendar", params={"locale": "fr"}), 422, "invalid_request")


# --- macros -----------------------------------------------------------------------------------------


def test_list_macros_for_an_intent(client: TestClient) -> None:
    response = client.get("/v1/macros", params={"intent": "cancel", "locale": "en"})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {"id": "cancel_before_shipping", "intent": "cancel", "title": "Not shipped: cancel the order",
         "needs": ["id"], "statuses": ["unpaid", "paid"]},
        {"id": "cancel_after_shipping", "intent": "cancel", "title": "Shipped: intercept or refuse delivery",
         "needs": ["carrier", "tracking_number"], "statuses": ["shipped", "in_transit"]},
    ]
    everything = client.get("/v1/macros").json()["items"]
    assert len(everything) >= 12 and {m["intent"] for m in everything} >= {"logistics", "presale", "invoice"}
    assert everything[0]["title"] == "已发货：运单号与物流"  # zh by default
    assert_error(client.get("/v1/macros", params={"intent": "refunds"}), 422, "invalid_request")


def test_render_a_macro_with_the_order(client: TestClient) -> None:
    order = {"id": "TB1001", "status": "in_transit", "carrier": "中通", "tracking_number": "ZT7788123"}
    response = client.post("/v1/macros/logistics_in_transit/render", json={"locale": "zh", "order": order})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "logistics_in_transit" and body["title"] == "已发货：运单号与物流"
    assert "中通" in body["text"] and "ZT7788123" in body["text"]
    en = client.post("/v1/macros/presale_balance_reminder/render", json={"locale": "en", "order": {
        "presale": {"balance": "300", "balance_until": "2026-06-20T15:59:00Z"}}}).json()
    assert "balance of ¥300.00 is due by 20 Jun 23:59" in en["text"]


def test_render_names_the_missing_order_facts(client: TestClient) -> None:
    response = client.post("/v1/macros/logistics_in_transit/render", json={"locale": "en", "order": {"id": "A1"}})
    message = assert_error(response, 422, "missing_order_facts")
    assert "carrier, tracking_number" in message
    wrong_status = client.post("/v1/macros/cancel_before_shipping/render",
                               json={"order": {"id": "A1", "status": "delivered"}})
    assert "this one is delivered" in assert_error(wrong_status, 422, "macro_not_applicable")


def test_render_an_unknown_macro_or_a_bad_order(client: TestClient) -> None:
    assert "nope" in assert_error(client.post("/v1/macros/nope/render", json={"order": {}}), 404, "not_found")
    bad = client.post("/v1/macros/invoice_how_to/render", json={"order": {"id": "A1", "colour": "red"}})
    assert "order.colour" in assert_error(bad, 422, "invalid_request")
