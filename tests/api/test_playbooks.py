"""Playbooks, outreach and review replies through the real app, model and store (the sample knowledge base)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from drafting.playbooks import load_playbooks
from drafting.question_types import load_question_types

pytestmark = pytest.mark.model

DELIVERED = "2026-12-05T10:00:00+08:00"


def draft(client: TestClient, message: str, platform: str = "taobao", **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/drafts", json={"message": message, "platform": platform, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("message", "platform", "extra", "playbook", "phrase"), [
    ("我们公司要买50套，能给批发价吗", "taobao", {}, "bulk_order", "数量"),
    ("We need 200 units for our office, can you do a bulk price?", "amazon", {}, "bulk_order", "how many"),
    ("能便宜点吗", "taobao", {}, "bargaining", "5元"),
    ("Can you give me a discount?", "jd", {"locale": "en"}, "bargaining", "5 CNY"),
    ("你们再这样我就给差评了", "taobao", {}, "bad_review_threat", "具体遇到了什么问题"),
    ("I'm going to leave a 1-star review if this isn't fixed", "amazon", {}, "bad_review_threat", "what went wrong"),
    ("I filed an A-to-z claim because nobody answered me", "amazon", {}, "marketplace_claim", "supervisor"),
    ("我要申请信用卡拒付", "taobao", {}, "marketplace_claim", "主管"),
])
def test_questions_no_faq_answers_follow_their_playbook(
    sample_app_client: TestClient, message: str, platform: str, extra: dict[str, Any], playbook: str, phrase: str,
) -> None:
    body = draft(sample_app_client, message, platform, **extra)

    assert body["answer_mode"] == "playbook", body["answer_reason"]
    assert body["playbook"] == playbook
    assert phrase in body["draft"]
    assert body["compliance"]["passed"] is True
    assert not [c for c in body["citations"] if c["kind"] != "announcement"]  # no FAQ pasted


def test_a_discount_beyond_the_role_goes_to_the_supervisor(sample_app_client: TestClient) -> None:
    body = draft(sample_app_client, "能便宜50块吗", role="l1")

    assert body["playbook"] == "bargaining"
    assert body["needs_human"] is True and body["handoff"]["to"] == "supervisor"
    assert "5元" not in body["draft"]


@pytest.mark.parametrize(("message", "locale", "amount", "within_text"), [
    ("东西收到了，杯子磕了个口", "zh", "19.90", "部分退款"),
    ("The mug arrived chipped", "en", "19.90", "partial refund"),
])
def test_a_cheap_damaged_item_gets_a_refund_or_reship_choice(
    sample_app_client: TestClient, message: str, locale: str, amount: str, within_text: str,
) -> None:
    order = {"id": "TB9", "status": "delivered", "amount": amount, "delivered_at": DELIVERED}
    body = draft(sample_app_client, message, locale=locale, order=order)

    assert body["playbook"] == "damaged_low_value"
    assert within_text in body["draft"]
    assert body["needs_human"] is False


def test_a_forgotten_coupon_on_a_paid_order_is_compensated_within_authority(sample_app_client: TestClient) -> None:
    order = {"id": "TB7", "status": "shipped", "amount": "199"}
    small = draft(sample_app_client, "忘了用5元的优惠券了，能补吗", order=order)
    large = draft(sample_app_client, "忘了用20元的优惠券了，能补吗", order=order)

    assert small["playbook"] == "forgotten_coupon" and small["answer_mode"] == "playbook"
    assert "¥5.00" in small["draft"] and small["needs_human"] is False
    assert large["playbook"] == "forgotten_coupon" and large["handoff"]["to"] == "l2"
    assert "20" not in large["draft"]


def test_a_return_on_a_delivered_order_without_its_delivery_date_asks_for_it(sample_app_client: TestClient) -> None:
    body = draft(sample_app_client, "东西不想要了，想退货", order={"id": "TB5", "status": "delivered"})

    assert body["answer_mode"] == "holding" and body["playbook"] == "return_window"
    assert body["answer_reason"]["code"] == "missing_order_facts"
    assert "签收时间" in body["draft"]


@pytest.mark.parametrize(("delivered", "expected"), [
    ("2026-12-05T10:00:00+08:00", "可以申请到"), ("2026-11-20T10:00:00+08:00", "截止了"),
])
def test_a_return_on_a_delivered_order_is_judged_by_its_window(
    sample_app_client: TestClient, delivered: str, expected: str,
) -> None:
    order = {"id": "TB5", "status": "delivered", "amount": "89", "delivered_at": delivered}
    body = draft(sample_app_client, "东西不想要了，想退货", order=order)

    assert body["playbook"] == "return_window"
    assert expected in body["draft"]


def test_cancelling_a_delivered_order_is_a_return_judged_by_its_window(sample_app_client: TestClient) -> None:
    order = {"id": "TB6", "status": "delivered", "amount": "89", "delivered_at": "2026-11-20T10:00:00+08:00"}
    body = draft(sample_app_client, "东西已经签收了 但这单我不要了 给我取消吧", order=order)

    assert body["playbook"] == "return_window"
    assert "截止了" in body["draft"]


def test_an_angry_message_that_asks_what_an_entry_answers_gets_the_answer(sample_app_client: TestClient) -> None:
    asked = draft(sample_app_client, "气死了 东西不想要了 七天无理由能退吗")
    vented = draft(sample_app_client, "你们这什么垃圾服务 我要投诉")

    assert asked["answer_mode"] == "entry" and asked["citations"][-1]["id"] == "ret-001"
    assert asked["needs_human"] is True  # the anger still reaches a person
    assert vented["playbook"] == "complaint"


def test_asking_to_change_a_review_is_not_a_bad_review_threat(sample_app_client: TestClient) -> None:
    body = draft(sample_app_client, "手滑给了个中评 能改成好评吗")

    assert body["playbook"] is None and body["answer_mode"] == "holding"


def test_every_question_type_a_playbook_names_exists() -> None:
    types = set(load_question_types().types)

    assert {t for p in load_playbooks().playbooks for t in p.unless_types} <= types


def test_asking_the_free_shipping_rule_is_not_bargaining(sample_app_client: TestClient) -> None:
    asked = draft(sample_app_client, "满多少包邮")
    bargained = draft(sample_app_client, "包邮再少5块行不行")

    assert asked["playbook"] is None and asked["answer_mode"] == "holding"
    assert bargained["playbook"] == "bargaining"


def test_a_wrong_item_ordered_and_shipped_is_intercepted_or_refused(sample_app_client: TestClient) -> None:
    order = {"id": "TB3", "status": "in_transit", "carrier": "圆通", "tracking_number": "YT123"}
    body = draft(sample_app_client, "我拍错颜色了，能退吗", order=order)

    assert body["playbook"] == "wrong_item_shipped"
    assert "YT123" in body["draft"] and "拒收" in body["draft"]


@pytest.mark.parametrize(("message", "platform", "playbook", "reason"), [
    ("你们招聘客服吗", "taobao", "out_of_scope", "out_of_scope"),
    ("My account was hacked and someone placed an order", "amazon", "account_security", "account_security"),
    ("你们扣了我两次款", "pdd", "payment_issue", "payment_issue"),
])
def test_out_of_scope_messages_get_a_short_holding_reply_with_the_right_reason(
    sample_app_client: TestClient, message: str, platform: str, playbook: str, reason: str,
) -> None:
    body = draft(sample_app_client, message, platform)

    assert body["answer_mode"] == "holding" and body["playbook"] == playbook
    assert body["needs_human"] is True
    assert reason in [r["code"] for r in body["reasons"]]


@pytest.mark.parametrize(("message", "platform"), [
    ("这个还有货吗", "taobao"), ("推荐一款适合我妈的被子", "taobao"),
    ("If I order to Canada, will I have to pay import duties?", "amazon"),
    ("满多少包邮", "taobao"), ("你们店的券在哪领啊", "taobao"), ("发票抬头能开我朋友公司的吗", "taobao"),
    ("客服晚上几点下班", "pdd"), ("退货寄回你们有指定快递吗", "taobao"), ("can you engrave a name on the mug", "jd"),
    ("Is cash on delivery available?", "jd"),
])
def test_questions_the_knowledge_base_does_not_answer_hold_instead_of_pasting_a_near_miss(
    sample_app_client: TestClient, message: str, platform: str,
) -> None:
    body = draft(sample_app_client, message, platform)

    assert body["answer_mode"] == "holding"
    assert body["citations"] == []
    assert body["needs_human"] is True


def test_an_in_kb_question_still_answers_from_its_entry(sample_app_client: TestClient) -> None:
    body = draft(sample_app_client, "能发顺丰吗")

    assert body["answer_mode"] == "entry"
    assert body["citations"][-1]["id"] == "ship-003"


@pytest.mark.parametrize(("kind", "order", "locale", "phrase"), [
    ("address_confirmation", {"id": "TB1", "status": "paid"}, "zh", "收货地址"),
    ("payment_reminder", {"id": "TB2", "status": "unpaid", "amount": "59"}, "en", "$"),
])
def test_outreach_drafts_a_polite_first_message(
    sample_app_client: TestClient, kind: str, order: dict[str, Any], locale: str, phrase: str,
) -> None:
    order = order if locale == "zh" else {**order, "currency": "USD"}
    response = sample_app_client.post("/v1/outreach", json={"kind": kind, "platform": "taobao", "locale": locale,
                                                             "order": order})

    assert response.status_code == 200, response.text
    body = response.json()
    assert order["id"] in body["text"] and phrase in body["text"]
    assert body["compliance"]["passed"] is True


@pytest.mark.parametrize(("payload", "fragment"), [
    ({"kind": "upsell", "platform": "taobao", "order": {"id": "TB1"}}, "kind"),
    ({"kind": "address_confirmation", "platform": "taobao", "order": {"status": "paid"}}, "order.id"),
    ({"kind": "payment_reminder", "platform": "taobao", "order": {"id": "TB1", "status": "shipped"}}, "unpaid"),
])
def test_outreach_bad_input_is_a_422_naming_the_problem(
    sample_app_client: TestClient, payload: dict[str, Any], fragment: str,
) -> None:
    response = sample_app_client.post("/v1/outreach", json=payload)

    assert response.status_code == 422
    assert fragment in response.json()["error"]["message"]


@pytest.mark.parametrize(("review", "platform", "topic", "phrase"), [
    ("快递太慢了，等了一个星期才到", "taobao", "logistics", "配送"),
    ("The pan arrived broken and support was useless", "amazon", None, "sorry"),
])
def test_review_replies_are_polite_factual_and_compliant(
    sample_app_client: TestClient, review: str, platform: str, topic: str | None, phrase: str,
) -> None:
    response = sample_app_client.post("/v1/review-replies", json={"review": review, "platform": platform,
                                                                  "rating": 1})

    assert response.status_code == 200, response.text
    body = response.json()
    assert phrase in body["text"]
    assert topic is None or body["topic"] == topic
    assert body["compliance"]["passed"] is True
    assert "http" not in body["text"] and "@" not in body["text"]


def test_a_review_reply_needs_a_review(sample_app_client: TestClient) -> None:
    response = sample_app_client.post("/v1/review-replies", json={"review": "", "platform": "taobao"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(("message", "locale", "order", "playbook", "phrase"), [
    ("I forgot to use my 5 yuan coupon, can you refund it?", "en",
     {"id": "TB7", "status": "shipped", "amount": "199"}, "forgotten_coupon", "¥5.00"),
    ("I don't want it any more, can I return it?", "en",
     {"id": "TB5", "status": "delivered", "amount": "89", "delivered_at": DELIVERED}, "return_window", "until"),
    ("I ordered the wrong colour by mistake", "en",
     {"id": "TB3", "status": "in_transit", "carrier": "YTO", "tracking_number": "YT123"}, "wrong_item_shipped",
     "refuse"),
    ("你们客服态度太差了，我要投诉", "zh", {}, "complaint", "记录"),
    ("I want to make a complaint about your service", "en", {}, "complaint", "noted"),
])
def test_every_playbook_drafts_in_both_languages(
    sample_app_client: TestClient, message: str, locale: str, order: dict[str, Any], playbook: str, phrase: str,
) -> None:
    body = draft(sample_app_client, message, locale=locale, order=order)

    assert body["playbook"] == playbook, body["answer_reason"]
    assert phrase in body["draft"]
    assert body["compliance"]["passed"] is True


@pytest.mark.parametrize(("message", "platform", "playbook"), [
    ("We're hiring? I'd like to apply for a job at your warehouse", "taobao", "out_of_scope"),
    ("我的账号被盗了，有人用我的账号下单", "taobao", "account_security"),
    ("I was charged twice for one order", "amazon", "payment_issue"),
])
def test_holding_playbooks_hold_in_the_other_language_too(
    sample_app_client: TestClient, message: str, platform: str, playbook: str,
) -> None:
    body = draft(sample_app_client, message, platform)

    assert body["answer_mode"] == "holding" and body["playbook"] == playbook
    assert body["needs_human"] is True
