"""POST /v1/drafts with the hashing embedder: the response shape and request validation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from drafting.models import MAX_MESSAGE_CHARS
from tests.api.conftest import assert_error

_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_draft_has_every_field(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "id", "draft", "language", "citations", "confidence", "needs_human", "reasons", "provider", "degraded",
        "latency_ms", "candidates", "compliance", "intent", "intent_confidence", "situation", "handoff", "calendar",
        "quick_replies", "answer_mode", "answer_reason", "playbook", "question_type", "product",
    }
    assert body["language"] == "zh"
    assert body["intent"] == "logistics" and 0.0 < body["intent_confidence"] <= 1.0
    assert "日常订单一般在付款后48小时内发出" in body["draft"]
    assert body["needs_human"] is False
    assert body["degraded"] is False
    assert body["reasons"] == []
    assert body["provider"] == "template"
    assert 0.5 <= body["confidence"] <= 1.0
    assert body["latency_ms"] >= 0
    first = body["citations"][0]
    assert set(first) == {"id", "title", "kind", "score", "snippet"}
    assert first["id"] == "ship-001"
    assert first["title"] == "我的快递怎么还没到？物流一直不更新怎么办？"
    assert first["kind"] == "faq"
    assert 0.3 <= first["score"] <= 1.0
    assert first["snippet"].startswith("亲，日常订单")


def test_english_draft_with_order_facts_and_history(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json={
        "message": "Where is my parcel?", "platform": "jd",
        "order": {"id": "JD-1", "status": "shipped", "tracking_number": "SF123"},
        "history": [{"role": "buyer", "text": "hello?"}, {"role": "agent", "text": "Hi, how can I help?"}],
    })

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "en"
    assert not _CJK.search(body["draft"])
    assert "About your order JD-1: Your parcel is on its way: (tracking number SF123)." in body["draft"]
    assert body["situation"] == "in_transit"
    assert [c["id"] for c in body["citations"]] == ["ship-001"]


def test_explicit_locale_is_respected(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao", "locale": "en"})

    assert response.status_code == 200, response.text
    assert response.json()["language"] == "en"


def test_platform_filters_what_can_be_cited(seeded: TestClient) -> None:
    message = "淘宝订单怎么退货？"
    on_taobao = seeded.post("/v1/drafts", json={"message": message, "platform": "taobao"}).json()
    on_pdd = seeded.post("/v1/drafts", json={"message": message, "platform": "pdd"}).json()

    assert on_taobao["citations"][0]["id"] == "ret-taobao-001"
    assert "ret-taobao-001" not in [c["id"] for c in on_pdd["citations"]]


def test_unanswerable_message_is_a_200_that_needs_a_human(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json={"message": "ok thanks bye", "platform": "amazon"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["needs_human"] is True
    assert body["citations"] == []
    assert [r["code"] for r in body["reasons"]] == ["low_confidence"]


def test_empty_knowledge_base_still_answers(client: TestClient) -> None:
    response = client.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"})

    assert response.status_code == 200, response.text
    assert response.json()["needs_human"] is True


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"message": "", "platform": "taobao"}, "message"),
        ({"message": "   \n\t ", "platform": "taobao"}, "message"),
        ({"message": "在吗", "platform": "tmall"}, "platform"),
        ({"message": "在吗"}, "platform"),
        ({"platform": "taobao"}, "message"),
        ({"message": "x" * (MAX_MESSAGE_CHARS + 1), "platform": "taobao"}, "message"),
        ({"message": "在吗", "platform": "taobao", "urgent": True}, "urgent"),
        ({"message": "在吗", "platform": "taobao", "locale": "fr"}, "locale"),
        ({"message": "在吗", "platform": "taobao", "order": "TB-1"}, "order"),
        ({"message": "在吗", "platform": "taobao", "history": [{"role": "system", "text": "hi"}]}, "history"),
        ({"message": "在吗", "platform": "taobao", "history": [{"role": "buyer", "text": "hi"}] * 51}, "history"),
    ],
    ids=["empty", "whitespace", "unknown-platform", "no-platform", "no-message", "too-long", "extra-field",
         "unknown-locale", "order-not-object", "bad-role", "long-history"],
)
def test_invalid_requests_are_422_with_the_error_body(seeded: TestClient, body: dict[str, Any], mentions: str) -> None:
    response = seeded.post("/v1/drafts", json=body)

    message = assert_error(response, 422, "invalid_request")
    assert mentions in message
    assert "Traceback" not in response.text


def test_longest_allowed_message_is_accepted(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json={"message": "快" * MAX_MESSAGE_CHARS, "platform": "taobao"})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("content", [b'{"message": "hi", "platform": ', b"not json at all", b""])
def test_malformed_json_is_422(seeded: TestClient, content: bytes) -> None:
    response = seeded.post("/v1/drafts", content=content, headers={"content-type": "application/json"})

    assert_error(response, 422, "invalid_request")


def test_a_list_body_is_422(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json=[{"message": "hi", "platform": "taobao"}])

    assert_error(response, 422, "invalid_request")
