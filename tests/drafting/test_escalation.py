"""Escalation: which buyer messages need a colleague with more authority, who that is, and the handoff note."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from drafting.authority import load_authority
from drafting.escalation import Escalator, load_escalation_rules
from drafting.models import DraftRequest
from drafting.rulefile import RuleFileError

AUTHORITY = load_authority()
ESCALATOR = Escalator(load_escalation_rules(), AUTHORITY)


def ask(message: str, **extra: Any) -> DraftRequest:
    return DraftRequest.model_validate({"message": message, "platform": "taobao", **extra})


def assess(message: str, intent: str | None = None, locale: str = "zh", *, confident: bool = True,
           **extra: Any) -> tuple[list[str], str | None, bool]:
    found = ESCALATOR.assess(ask(message, **extra), locale, intent, confident=confident)
    return [r.code for r in found.reasons], found.to, found.needs_human


@pytest.mark.parametrize(
    ("message", "intent", "locale", "codes", "to"),
    [
        ("我的快递到哪了", "logistics", "zh", [], None),
        ("Where is my parcel?", "logistics", "en", [], None),
        ("你们这服务太差了，我要投诉", "complaint", "zh", ["complaint"], "l2"),
        ("I want to make a complaint about your service", "complaint", "en", ["complaint"], "l2"),
        ("再不发货我就给差评", "bad_review_threat", "zh", ["bad_review_threat"], "l2"),
        ("Ship it today or I'm leaving a 1-star review", "bad_review_threat", "en", ["bad_review_threat"], "l2"),
        ("再不处理我就打12315投诉你们", "complaint", "zh", ["legal_threat", "complaint"], "supervisor"),
        ("I will contact my lawyer and file a chargeback", "other", "en", ["legal_threat"], "supervisor"),
        ("你们就是骗子，垃圾店铺", "other", "zh", ["strong_anger"], "l2"),
        ("WHERE IS MY ORDER I PAID TWO WEEKS AGO", "logistics", "en", ["strong_anger"], "l2"),
        ("到底什么时候发货！！！", "logistics", "zh", ["strong_anger"], "l2"),
        ("这已经是我第三次问了，到底什么时候发货", "logistics", "zh", ["repeated_contact"], "l2"),
        ("I have asked you already, still no answer", "logistics", "en", ["repeated_contact"], "l2"),
    ],
)
def test_triggers(message: str, intent: str, locale: str, codes: list[str], to: str | None) -> None:
    found_codes, found_to, needs_human = assess(message, intent, locale)

    assert found_codes == codes
    assert found_to == to
    assert needs_human is bool(codes)


def test_earlier_buyer_turns_count_as_repeated_contact() -> None:
    history = [{"role": "buyer", "text": "在吗"}, {"role": "agent", "text": "在的"},
               {"role": "buyer", "text": "发货没"}]

    assert assess("发货了吗", "logistics", history=history[:2])[0] == []
    assert assess("发货了吗", "logistics", history=history)[0] == ["repeated_contact"]


@pytest.mark.parametrize(
    ("message", "order", "role", "codes", "to"),
    [
        ("我要退款", {"amount": "59"}, "l1", [], None),  # within L1's 100
        ("我要退款", {"amount": "599"}, "l1", ["refund_above_limit"], "l2"),
        ("我要退款", {"amount": "599"}, "l2", [], None),
        ("我要退款", {"amount": "5999"}, "l2", ["refund_above_limit"], "supervisor"),
        ("东西坏了，退我300元", {"amount": "59"}, "l1", ["refund_above_limit"], "l2"),  # the amount asked wins
        ("I want a refund of $250", {}, "l1", ["refund_above_limit"], "l2"),
        ("I want a refund", {}, "l1", [], None),  # no amount anywhere: nothing to compare
        ("退款20000元", {}, "supervisor", ["refund_above_limit"], None),  # above every limit: still a human call
    ],
)
def test_refunds_above_the_roles_limit_go_to_a_role_that_may_approve_them(
    message: str, order: dict[str, Any], role: str, codes: list[str], to: str | None
) -> None:
    locale = "en" if message.isascii() else "zh"

    found = ESCALATOR.assess(ask(message, order=order, role=role), locale, "return_refund", confident=True)

    assert [r.code for r in found.reasons] == codes
    assert found.to == to
    assert found.needs_human is bool(codes)
    if codes:
        assert ">" in found.reasons[0].message


def test_a_role_that_may_handle_it_is_not_escalated() -> None:
    assert assess("我要投诉", "complaint", role="l2")[0] == []
    assert assess("我要投诉", "complaint", role="supervisor")[0] == []
    assert assess("我要找律师起诉你们", "complaint", role="l2")[0] == ["legal_threat"]


def test_low_confidence_always_needs_a_human_but_is_no_handoff_to_a_higher_role() -> None:
    codes, to, needs_human = assess("在吗", "greeting", confident=False, role="l2")

    assert codes == ["low_confidence"] and to is None and needs_human is True
    request = ask("在吗", role="l2")
    found = ESCALATOR.assess(request, "zh", "greeting", confident=False, retrieval="best 0.800 < 0.910")
    note = ESCALATOR.handoff(found, request, "zh", "greeting")
    assert note is not None and note.to == "l2"
    assert note.note.startswith("需要人工回复：知识库里没有足够匹配的答案 (best 0.800 < 0.910)。")


def test_the_handoff_note_says_who_why_which_order_and_what_the_buyer_wrote() -> None:
    request = ask("再不发货我就给差评！！！", order={"id": "TB123", "status": "paid", "amount": "89"},
                  history=[{"role": "buyer", "text": "什么时候发货"}])
    found = ESCALATOR.assess(request, "zh", "bad_review_threat", confident=True)

    note = ESCALATOR.handoff(found, request, "zh", "bad_review_threat")

    assert note is not None and note.to == "l2"
    assert note.note.startswith("转交二线/售后专员：买家威胁给差评；买家情绪非常激动。")
    assert "订单 TB123，状态 paid，金额 89" in note.note
    assert "此前买家已发 1 条消息" in note.note and "“再不发货我就给差评！！！”" in note.note


def test_the_english_note_and_a_long_message_is_cut() -> None:
    message = "This is unacceptable. " * 10
    request = ask(message, role="l1")
    found = ESCALATOR.assess(request, "en", "complaint", confident=True)

    note = ESCALATOR.handoff(found, request, "en", "complaint")

    assert note is not None and note.note.startswith("For the L2 / after-sales specialist: The buyer is making a")
    assert '…"' in note.note and len(note.note) < 400


def test_no_note_without_an_escalation() -> None:
    request = ask("我的快递到哪了")
    found = ESCALATOR.assess(request, "zh", "logistics", confident=True)

    assert ESCALATOR.handoff(found, request, "zh", "logistics") is None


def test_authority_ranks_roles_and_finds_who_may_refund() -> None:
    assert AUTHORITY.refund_role(Decimal("50")) == "l1"
    assert AUTHORITY.refund_role(Decimal("500")) == "l2"
    assert AUTHORITY.refund_role(Decimal("50000")) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version: 1\ncurrency: CNY\nroles:\n  l1: {max_coupon: 5, max_refund: 100, compensation: false}\n",
         "limits missing for l2, supervisor"),
        ("version: 1\ncurrency: CNY\nroles:\n  l1: {max_coupon: 50, max_refund: 100, compensation: false}\n"
         "  l2: {max_coupon: 20, max_refund: 1000, compensation: true}\n"
         "  supervisor: {max_coupon: 100, max_refund: 10000, compensation: true}\n", "l2 may give less"),
        ("version: 1\ncurrency: CNY\nroles:\n  l1: {max_coupon: -1, max_refund: 100, compensation: false}\n",
         "roles.l1.max_coupon"),
        ("roles: [", "not valid YAML"),
    ],
)
def test_a_bad_authority_file_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "authority.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(RuleFileError, match=r"authority\.yaml") as exc:
        load_authority(path)

    assert problem in str(exc.value)


def test_a_bad_escalation_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yaml"
    path.write_text("version: 1\ntriggers:\n  complaint: {handled_by: l9, message: {zh: a, en: b}}\n", encoding="utf-8")

    with pytest.raises(RuleFileError) as exc:
        load_escalation_rules(path)

    assert "triggers.complaint.handled_by" in str(exc.value)
