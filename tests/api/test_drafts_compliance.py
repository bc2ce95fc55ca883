"""POST /v1/drafts reports `compliance`; an LLM reply that breaks a platform rule is repaired or replaced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from drafting.policy import RulesError
from tests.api.conftest import ROWS, configure
from tests.api.test_drafts_with_llm import COMPLETIONS, completion
from tests.fakes import HashingEmbedder

ASK = {"message": "我的快递怎么还没到", "platform": "taobao"}


def test_a_draft_carries_its_compliance(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts", json=ASK)

    assert response.status_code == 200, response.text
    assert response.json()["compliance"] == {"passed": True, "violations": []}


def test_a_knowledge_answer_that_is_all_violation_becomes_a_holding_reply(seeded: TestClient) -> None:
    question = "怎么联系你们售后？"
    entry = {"id": "wx-001", "locale": "zh", "question": question, "answer": "加客服微信 qc-home 处理更快。"}
    assert seeded.post("/v1/knowledge", json={"entries": [entry]}).status_code == 200

    on_taobao: dict[str, Any] = seeded.post("/v1/drafts", json={"message": question, "platform": "taobao"}).json()

    assert "微信" not in on_taobao["draft"] and "qc-home" not in on_taobao["draft"]
    assert on_taobao["compliance"] == {"passed": True, "violations": []}
    assert (on_taobao["answer_mode"], on_taobao["needs_human"]) == ("holding", True)
    hold = on_taobao["reasons"][-1]
    assert hold["code"] == "compliance_hold" and "off_platform_contact" in hold["message"]


def test_a_sentence_of_a_knowledge_answer_that_breaks_a_rule_is_removed(seeded: TestClient) -> None:
    question = "How do I return a damaged duvet?"
    answer = ("Start the return from the order page within 7 days of delivery. Our courier collects it for free. "
              "You can also call us at (555) 123-4567 or email support@example.com. The refund follows within 3 days.")
    entry = {"id": "ret-damaged", "locale": "en", "question": question, "answer": answer}
    assert seeded.post("/v1/knowledge", json={"entries": [entry]}).status_code == 200

    body: dict[str, Any] = seeded.post("/v1/drafts", json={"message": question, "platform": "amazon"}).json()

    assert [c["id"] for c in body["citations"]] == ["ret-damaged"]
    assert "Start the return from the order page" in body["draft"] and "refund follows" in body["draft"]
    assert "555" not in body["draft"] and "support@example.com" not in body["draft"]
    assert body["compliance"] == {"passed": True, "violations": []}
    assert body["answer_mode"] == "entry"
    assert body["reasons"][-1]["code"] == "compliance_pruned"


@pytest.fixture
def llm_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    settings = configure(
        fake_settings, llm="openai", llm_base_url="https://llm.test/v1", llm_api_key="k", llm_model="m"
    )
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        assert client.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
        yield client


@pytest.mark.respx(assert_all_called=True)
def test_an_llm_reply_is_repaired_before_it_reaches_the_agent(
    llm_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=[
        completion("亲，加我微信，我帮您催快递 [ship-001]。"),
        completion("亲，物流可能延迟约一天更新，我这边帮您跟进 [ship-001]。"),
    ])

    body = llm_client.post("/v1/drafts", json=ASK).json()

    assert route.call_count == 2
    assert body["draft"] == "亲，物流可能延迟约一天更新，我这边帮您跟进。"
    assert (body["provider"], body["reasons"]) == ("openai:m", [])
    assert body["compliance"] == {"passed": True, "violations": []}
    repair = json.loads(route.calls.last.request.content)["messages"][1]["content"]
    assert "“微信”" in repair


@pytest.mark.respx(assert_all_called=True)
def test_an_llm_reply_that_stays_non_compliant_becomes_the_template_draft(
    llm_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=completion("亲，这款是全网最低价，加我微信 [ship-001]。"))

    body = llm_client.post("/v1/drafts", json=ASK).json()

    assert body["provider"] == "template"
    assert body["degraded"] is False
    assert [r["code"] for r in body["reasons"]] == ["compliance_fallback"]
    assert "微信" not in body["draft"] and "日常订单一般在付款后48小时内发出" in body["draft"]
    assert body["compliance"] == {"passed": True, "violations": []}


def test_a_bad_rules_file_stops_the_app_at_start_up(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    bad = fake_settings.data_dir.parent / "rules.yaml"
    bad.write_text("version: 1\nrules: []\n", encoding="utf-8")
    settings = configure(fake_settings, compliance_rules=bad)

    app = create_app(settings, embedder=fake_embedder)
    with pytest.raises(RulesError, match=r"rules\.yaml: rules: List should have at least 1 item"), TestClient(app):
        pass


@pytest.mark.respx(assert_all_called=True)
@pytest.mark.parametrize(
    ("reply", "ask"),
    [
        ("亲，加我微\u200b信 abc123，我帮您催 [ship-001]。", ASK),
        ("亲，请访问 http://evil.cn/pay 付款 [ship-001]。", ASK),
        ("I'll refund you $500 right away [ship-001].", {"message": "Where is my parcel?", "platform": "amazon"}),
    ],
    ids=["zero-width", "link-on-taobao", "refund-over-limit"],
)
def test_the_bypasses_found_in_review_are_caught_and_replaced(
    llm_client: TestClient, respx_mock: respx.MockRouter, reply: str, ask: dict[str, str]
) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=completion(reply))

    body = llm_client.post("/v1/drafts", json={**ask, "role": "l1"}).json()

    assert body["provider"] == "template" and [r["code"] for r in body["reasons"]] == ["compliance_fallback"]
    assert reply.removesuffix(" [ship-001].").removesuffix(" [ship-001]。") not in body["draft"]
    assert body["compliance"] == {"passed": True, "violations": []}
