"""Unsupported claims: what the draft states that no cited source and no order fact backs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from drafting.calendar import ShopCalendar, load_calendar
from eval.metrics.groundedness import groundedness, unsupported_claim_count, unsupported_claims
from tests.eval.conftest import make_case, make_sample

ZH_SOURCE = "支持七天无理由退货：商品签收后7天内可以申请。退回银行卡一般需要1至7个工作日。"
EN_SOURCE = "Refunds to a card usually take 3 to 5 business days. If the parcel is lost, we will refund you in full."


def test_chinese_draft_with_three_unsupported_claims() -> None:
    draft = "亲，我们保证七天内给您处理，差价50元会在3-5个工作日到账。"

    result = unsupported_claim_count(draft, [ZH_SOURCE])

    # 七天 = 7天 is backed; 保证, 50元 and 3-5个工作日 are not
    assert result.score == 3.0
    assert result.reason == ("not in the cited sources or the order: 保证 (promise guarantee); 50元 (amount ¥50); "
                             "3-5个工作日 (duration 3-5bd)")


def test_english_draft_backed_by_its_source() -> None:
    draft = "We're sorry! We will refund you, and the money reaches your card within 3-5 business days."

    result = unsupported_claim_count(draft, [EN_SOURCE])

    assert result.score == 0.0
    assert result.reason == "every claim is backed by a source or the order"


def test_a_chinese_draft_is_backed_by_the_same_value_in_an_english_source() -> None:
    assert unsupported_claims("退款一般3至5个工作日到账", [EN_SOURCE]) == []


def test_order_facts_back_amounts_dates_and_numbers() -> None:
    order = {"order_id": "20251105-7781", "paid": 599, "signed_at": "2025-11-05T15:00:00+08:00", "items": [{"qty": 2}]}
    draft = "您的订单20251105-7781实付599元，2件商品已于11月5日签收。"

    assert unsupported_claims(draft, [], order) == []
    assert [c.text for c in unsupported_claims("实付699元", [], order)] == ["699元"]


def test_dates_without_a_year_match_dates_with_one_but_different_years_disagree() -> None:
    source = "2027年1月30日16:00前付款的订单节前发出"

    assert unsupported_claims("1月30日前付款的订单节前发出", [source]) == []
    assert [c.value for c in unsupported_claims("2026年1月30日", [source])] == ["2026-01-30"]
    assert unsupported_claims("orders paid before 16:00 on 30 January 2027", [source]) == []


def test_a_hedged_source_does_not_back_a_promise() -> None:
    source = "改址需要快递公司处理，无法保证一定能改。"

    assert [c.value for c in unsupported_claims("我们保证能改好", [source])] == ["guarantee"]
    assert unsupported_claims("我们无法保证一定能改", [source]) == []


def test_a_promise_is_backed_by_the_same_kind_of_promise_in_the_source() -> None:
    source = "经核实确认包裹丢失的，我们会为您补发或全额退款。"

    assert unsupported_claims("确认丢失后会为您全额退款", [source]) == []
    assert [c.value for c in unsupported_claims("我们会赔偿您的损失", [source])] == ["compensation"]


def test_edge_cases() -> None:
    assert unsupported_claim_count("", [ZH_SOURCE]).score == 0.0
    assert unsupported_claim_count("", [ZH_SOURCE]).reason == "the draft is empty: no claims"
    assert unsupported_claim_count("亲，已为您催促仓库", []).score == 0.0  # no claims at all
    assert unsupported_claim_count("48小时内发货", []).score == 1.0  # nothing cited: nothing backs it


def test_the_sample_uses_full_source_texts_and_falls_back_to_snippets() -> None:
    case = make_case(order={"amount": 89})
    draft = "签收后7天内可退，实付89元"
    full = make_sample(draft, cited=["ret-001"], case=case, sources={"ret-001": ZH_SOURCE})
    snippet_only = make_sample(draft, cited=["ret-001"], case=case, snippets={"ret-001": "支持退货"})

    assert groundedness(full).score == 0.0
    assert groundedness(snippet_only).score == 1.0


@pytest.mark.parametrize(("locale", "written"), [("zh", "12月8日 09:00"), ("en", "8 Dec 09:00")])
def test_dates_and_times_from_the_shop_calendar_are_grounded(locale: str, written: str) -> None:
    """A draft written out of hours carries the calendar's notice: when a human will handle the message."""
    calendar = ShopCalendar(load_calendar())
    status = calendar.status(datetime(2026, 12, 8, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    notice = calendar.render_notice(status, locale)  # type: ignore[arg-type]
    assert notice is not None and written in notice
    case = make_case(locale=locale, order={})

    carried = make_sample(notice, language=locale, case=case, calendar=status)
    bare = make_sample(notice, language=locale, case=case)
    invented = make_sample(notice.replace("8", "9", 1), language=locale, case=case, calendar=status)

    assert groundedness(carried).score == 0.0
    assert groundedness(bare).score == 2.0  # the date and the time, with nothing behind them
    assert groundedness(invented).score == 1.0 and "9" in groundedness(invented).reason


def test_a_carrier_stops_end_is_grounded_too() -> None:
    calendar = ShopCalendar(load_calendar())
    status = calendar.status(datetime(2027, 2, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    notice = calendar.render_notice(status, "zh")
    assert notice is not None and any(n.kind == "carrier_stop" for n in status.notices)

    assert groundedness(make_sample(f"亲，{notice}", case=make_case(order={}), calendar=status)).score == 0.0
