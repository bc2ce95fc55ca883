"""Drafts → feedback → history and analytics through the real app (hashing embedder, Chroma in tmp), on a SQLite
draft log and on PostgreSQL (the session's server, tests/conftest.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder

STAFFING = {"consultations": "200,0,50", "capacity_per_hour": 20, "target_reply_s": 20, "shift_hours": 2}


@pytest.fixture
def fake_settings(fake_settings: Settings, database_url: str) -> Settings:
    return configure(fake_settings, database_url=database_url)  # every test here runs on SQLite and PostgreSQL


NO_LOG = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a test the draft log plays no part in


def draft(client: TestClient, message: str, platform: str = "taobao") -> dict[str, Any]:
    response = client.post("/v1/drafts", json={"message": message, "platform": platform})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["id"], body
    return body


def feedback(client: TestClient, draft_id: str, **body: Any) -> Any:
    return client.post(f"/v1/drafts/{draft_id}/feedback", json=body)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_draft_is_logged_with_its_context(seeded: TestClient) -> None:
    made = draft(seeded, "我的快递怎么还没到")

    logged = seeded.get(f"/v1/drafts/{made['id']}").json()

    assert logged["message"] == "我的快递怎么还没到" and logged["draft"] == made["draft"]
    assert logged["citations"] == ["ship-001"] and logged["intent"] == "logistics"
    assert (logged["platform"], logged["locale"], logged["role"], logged["provider"]) == ("taobao", "zh", "l1",
                                                                                          "template")
    assert logged["request"]["platform"] == "taobao" and logged["latency_ms"] == made["latency_ms"]
    assert len(logged["kb_version"]) == 12 and logged["feedback"] == []
    assert logged["created_at"].endswith("Z")


def test_feedback_edited_accepted_rejected(seeded: TestClient) -> None:
    zh = draft(seeded, "我的快递怎么还没到")
    en = draft(seeded, "Where is my parcel?", platform="amazon")
    bad = draft(seeded, "淘宝订单怎么退货？")

    edited = feedback(seeded, zh["id"], action="edited", final_text=zh["draft"] + "谢谢亲")
    accepted = feedback(seeded, en["id"], action="accepted")
    rejected = feedback(seeded, bad["id"], action="rejected", reason="买家问的是换货")

    assert edited.status_code == 201, edited.text
    assert set(edited.json()) == {"draft_id", "action", "edit_distance", "created_at", "learned"}
    assert (edited.json()["action"], edited.json()["edit_distance"]) == ("edited", 3)
    assert (accepted.status_code, accepted.json()["edit_distance"]) == (201, 0)
    assert (rejected.status_code, rejected.json()["edit_distance"]) == (201, None)
    logged = seeded.get(f"/v1/drafts/{bad['id']}").json()
    assert [(f["action"], f["reason"]) for f in logged["feedback"]] == [("rejected", "买家问的是换货")]


@pytest.mark.parametrize(("body", "needle"), [
    ({"action": "edited"}, "final_text"),
    ({"action": "rejected"}, "reason"),
    ({"action": "liked"}, "action"),
    ({"action": "accepted", "extra": 1}, "extra"),
    ({"action": "accepted", "final_text": "亲，改过了"}, "edited"),
])
def test_bad_feedback_is_a_422(seeded: TestClient, body: dict[str, Any], needle: str) -> None:
    made = draft(seeded, "我的快递怎么还没到")

    assert needle in assert_error(feedback(seeded, made["id"], **body), 422, "invalid_request")


def test_unknown_draft_is_a_404(seeded: TestClient) -> None:
    assert_error(feedback(seeded, "f" * 32, action="accepted"), 404, "not_found")
    assert_error(seeded.get("/v1/drafts/" + "f" * 32), 404, "not_found")


def test_history_pages_newest_first(seeded: TestClient) -> None:
    messages = ("我的快递怎么还没到", "Where is my parcel?", "淘宝订单怎么退货？")
    ids = [draft(seeded, message)["id"] for message in messages]

    page = seeded.get("/v1/history", params={"limit": 2, "offset": 0}).json()

    assert page["total"] == 3 and (page["limit"], page["offset"]) == (2, 0)
    assert {d["id"] for d in page["items"]} <= set(ids) and len(page["items"]) == 2
    assert_error(seeded.get("/v1/history", params={"limit": 0}), 422, "invalid_request")


def test_a_restart_keeps_drafts_and_feedback(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    with TestClient(create_app(fake_settings, embedder=fake_embedder)) as first:
        assert first.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
        made = draft(first, "我的快递怎么还没到")
        assert feedback(first, made["id"], action="accepted").status_code == 201

    with TestClient(create_app(fake_settings, embedder=fake_embedder)) as second:
        logged = second.get(f"/v1/drafts/{made['id']}")
        assert logged.status_code == 200, logged.text
        assert [f["action"] for f in logged.json()["feedback"]] == ["accepted"]


def test_volume_json_and_csv(seeded: TestClient) -> None:
    draft(seeded, "我的快递怎么还没到")
    draft(seeded, "Where is my parcel?", platform="amazon")
    draft(seeded, "淘宝订单怎么退货？")

    by_platform = seeded.get("/v1/analytics/volume", params={"group": "platform"}).json()
    by_intent = seeded.get("/v1/analytics/volume", params={"group": "intent"}).json()
    by_hour = seeded.get("/v1/analytics/volume", params={"group": "hour", "format": "csv"})

    assert by_platform["total"] == 3
    assert [(i["key"], i["count"]) for i in by_platform["items"]] == [("taobao", 2), ("amazon", 1)]
    assert by_intent["items"][0] == {"key": "logistics", "count": 2}
    assert by_hour.headers["content-type"].startswith("text/csv")
    table = rows(by_hour.text)
    assert len(table) == 24 and list(table[0]) == ["hour", "count"]
    assert sum(int(r["count"]) for r in table) == 3


def test_volume_period_and_bad_parameters(seeded: TestClient) -> None:
    draft(seeded, "我的快递怎么还没到")

    later = seeded.get("/v1/analytics/volume", params={"since": "2100-01-01T00:00:00+08:00"}).json()

    assert later["total"] == 0
    assert_error(seeded.get("/v1/analytics/volume", params={"since": "2026-01-01T00:00:00"}), 422, "invalid_request")
    assert_error(seeded.get("/v1/analytics/volume", params={"group": "weekday"}), 422, "invalid_request")
    assert_error(seeded.get("/v1/analytics/volume", params={"format": "xlsx"}), 422, "invalid_request")


def test_acceptance_by_intent_and_entry(seeded: TestClient) -> None:
    first = draft(seeded, "我的快递怎么还没到")
    second = draft(seeded, "Where is my parcel?", platform="amazon")
    feedback(seeded, first["id"], action="accepted")
    feedback(seeded, second["id"], action="edited", final_text="Your parcel ships within 48 hours.")

    by_entry = seeded.get("/v1/analytics/acceptance", params={"by": "entry"}).json()
    by_intent = seeded.get("/v1/analytics/acceptance", params={"by": "intent", "format": "csv"})

    ship = by_entry["items"][0]
    assert (ship["key"], ship["drafts"], ship["n"], ship["accepted"], ship["edited"]) == ("ship-001", 2, 2, 0.5, 0.5)
    assert ship["mean_edit_distance"] > 0
    (row,) = rows(by_intent.text)
    assert (row["key"], row["n"], row["accepted"], row["rejected"]) == ("logistics", "2", "0.5", "0.0")


def test_gaps_group_unanswered_questions(seeded: TestClient) -> None:
    for message in ("ok thanks bye", "ok thanks, bye!", "你们老板是谁"):
        assert draft(seeded, message, platform="amazon")["needs_human"] is True
    rejected = draft(seeded, "淘宝订单怎么退货？")
    feedback(seeded, rejected["id"], action="rejected", reason="买家要换货，不是退货")
    draft(seeded, "我的快递怎么还没到")  # answered: not a gap

    report = seeded.get("/v1/analytics/gaps", params={"similarity": 0.6}).json()
    exported = seeded.get("/v1/analytics/gaps", params={"similarity": 0.6, "format": "csv"})

    assert report["unanswered"] == 4 and report["similarity"] == 0.6
    assert [g["count"] for g in report["items"]] == [2, 1, 1]
    assert set(report["items"][0]["examples"]) == {"ok thanks bye", "ok thanks, bye!"}
    assert any(g["reasons"] == ["买家要换货，不是退货"] for g in report["items"])
    assert rows(exported.text)[0]["examples"] in ("ok thanks bye | ok thanks, bye!", "ok thanks, bye! | ok thanks bye")


@NO_LOG
def test_staffing_json_and_csv(client: TestClient) -> None:
    plan = client.get("/v1/analytics/staffing", params=STAFFING).json()
    exported = client.get("/v1/analytics/staffing", params={**STAFFING, "format": "csv"})

    assert [h["agents"] for h in plan["hours"]] == [14, 0, 5]
    assert [(s["start_hour"], s["end_hour"], s["agents"]) for s in plan["shifts"]] == [(0, 2, 14), (2, 3, 5)]
    assert exported.headers["content-disposition"] == 'attachment; filename="staffing.csv"'
    table = rows(exported.text)
    assert [(r["hour"], r["agents"], r["shift"], r["shift_agents"]) for r in table] == [
        ("0", "14", "1", "14"), ("1", "0", "1", "14"), ("2", "5", "2", "5")]


@NO_LOG
@pytest.mark.parametrize("change", [
    {"consultations": "200,abc"}, {"consultations": "-1"}, {"consultations": ""}, {"consultations": "nan"},
    {"consultations": ",".join(["1"] * 169)}, {"consultations": "1e12"}, {"capacity_per_hour": 0},
    {"service_level": 1}, {"shift_hours": 0}, {"target_reply_s": -5},
])
def test_bad_staffing_input_is_a_422(client: TestClient, change: dict[str, Any]) -> None:
    assert_error(client.get("/v1/analytics/staffing", params={**STAFFING, **change}), 422, "invalid_request")


def test_database_failure_is_a_503_but_drafts_still_come(seeded: TestClient, fake_settings: Settings) -> None:
    made = draft(seeded, "我的快递怎么还没到")
    engine = create_engine(fake_settings.database)
    with engine.begin() as db:
        db.execute(text("DROP TABLE feedback"))
        db.execute(text("DROP TABLE drafts"))
    engine.dispose()

    assert_error(feedback(seeded, made["id"], action="accepted"), 503, "database_unavailable")
    response = seeded.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"})
    assert response.status_code == 200 and response.json()["id"] is None


@NO_LOG
def test_every_endpoint_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for path in ("/v1/drafts/{draft_id}/feedback", "/v1/drafts/{draft_id}", "/v1/history", "/v1/analytics/volume",
                 "/v1/analytics/acceptance", "/v1/analytics/gaps", "/v1/analytics/staffing"):
        assert path in paths
    assert "text/csv" in paths["/v1/analytics/staffing"]["get"]["responses"]["200"]["content"]


def test_charts_as_svg(seeded: TestClient) -> None:
    for message in ("我的快递怎么还没到", "Where is my parcel?", "我的快递怎么还没到"):
        feedback(seeded, draft(seeded, message)["id"], action="accepted")

    volume = seeded.get("/v1/analytics/volume", params={"group": "intent", "format": "svg"})
    acceptance = seeded.get("/v1/analytics/acceptance", params={"by": "intent", "format": "svg"})
    staffing = seeded.get("/v1/analytics/staffing", params={
        "consultations": "40,120,300", "capacity_per_hour": 20, "target_reply_s": 60, "format": "svg"})

    for response, title in ((volume, "drafts by intent"), (acceptance, "feedback by intent"),
                            (staffing, "agents needed per hour")):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.text.lstrip().startswith("<?xml") and "</svg>" in response.text
        assert title in response.text  # text stays text (svg.fonttype none)
    assert "logistics" in volume.text and "accepted" in acceptance.text
    empty = seeded.get("/v1/analytics/volume", params={"since": "2099-01-01T00:00:00+08:00", "format": "svg"})
    assert "no data" in empty.text
    assert_error(seeded.get("/v1/analytics/gaps", params={"format": "svg"}), 422, "invalid_request")
