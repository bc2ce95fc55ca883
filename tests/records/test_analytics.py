"""Analytics over a real draft log (SQLite in tmp_path), and the Erlang C staffing forecast against known values."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from records import analytics
from records.history import DraftLog, open_engine
from tests.fakes import HashingEmbedder
from tests.records.test_history import T0, Clock, make_pair

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(tmp_path: Path, clock: Clock) -> DraftLog:
    return DraftLog(open_engine(f"sqlite:///{tmp_path / 'draftdesk.db'}"), clock)


def test_volume_by_intent_platform_and_shop_hour(log: DraftLog, clock: Clock) -> None:
    log.record(*make_pair(), kb_version="v1", shop="default")  # 09:30 in Shanghai
    clock.at = T0 + timedelta(hours=14)  # 23:30
    log.record(*make_pair("Where is my parcel?", platform="amazon"), kb_version="v1", shop="default")
    log.record(*make_pair("能便宜点吗", intent="bargaining"), kb_version="v1", shop="default")
    log.record(*make_pair("？？", intent=None), kb_version="v1", shop="default")
    drafts = log.between(shop="default")

    by_intent = analytics.volume(drafts, "intent", SHANGHAI)
    by_platform = analytics.volume(drafts, "platform", SHANGHAI)
    by_hour = analytics.volume(drafts, "hour", SHANGHAI)

    assert [(c.key, c.count) for c in by_intent] == [("logistics", 2), ("bargaining", 1), ("unknown", 1)]
    assert [(c.key, c.count) for c in by_platform] == [("taobao", 3), ("amazon", 1)]
    assert len(by_hour) == 24 and by_hour[9].count == 1 and by_hour[23].count == 3
    assert sum(c.count for c in by_hour) == 4 and by_hour[9].key == "09"


def test_acceptance_by_intent_and_entry_uses_the_latest_action(log: DraftLog) -> None:
    a = log.record(*make_pair(cited=("ship-001",)), kb_version="v1", shop="default")
    b = log.record(*make_pair(cited=("ship-001", "ann-618")), kb_version="v1", shop="default")
    c = log.record(*make_pair("Can I return it?", text="Yes, within 7 days.", intent="return_refund",
                              cited=("ret-001",)), kb_version="v1", shop="default")
    log.record(*make_pair(cited=("ship-001",)), kb_version="v1", shop="default")  # no feedback yet
    log.feedback(a, "accepted", shop="default")
    log.feedback(b, "accepted", shop="default")
    log.feedback(b, "edited", final_text="亲，您的包裹已发出，请耐心等待。", shop="default")  # the later action counts
    log.feedback(c, "rejected", reason="wrong policy", shop="default")

    by_intent = {row.key: row for row in analytics.acceptance(log.between(shop="default"), "intent")}
    by_entry = {row.key: row for row in analytics.acceptance(log.between(shop="default"), "entry")}

    logistics = by_intent["logistics"]
    assert (logistics.drafts, logistics.n, logistics.accepted, logistics.edited, logistics.rejected) == (
        3, 2, 0.5, 0.5, 0.0)
    assert logistics.mean_edit_distance == 2.0
    assert (by_intent["return_refund"].rejected, by_intent["return_refund"].mean_edit_distance) == (1.0, None)
    assert (by_entry["ship-001"].drafts, by_entry["ship-001"].n) == (3, 2)
    assert (by_entry["ann-618"].n, by_entry["ann-618"].edited) == (1, 1.0)
    assert list(by_entry) == ["ship-001", "ann-618", "ret-001"]


def test_acceptance_without_feedback_has_no_rates(log: DraftLog) -> None:
    log.record(*make_pair(), kb_version="v1", shop="default")

    (row,) = analytics.acceptance(log.between(shop="default"), "intent")

    assert (row.drafts, row.n, row.accepted, row.mean_edit_distance) == (1, 0, None, None)


def test_gaps_group_similar_unanswered_questions(log: DraftLog) -> None:
    for message in ("发票怎么开", "发票怎么开", "发票怎么开？", "How do I get an invoice?"):
        log.record(*make_pair(message, intent="invoice", cited=(), low_confidence=True), kb_version="v1",
                   shop="default")
    rejected = log.record(*make_pair("可以开增值税专用发票吗"), kb_version="v1", shop="default")
    log.feedback(rejected, "rejected", reason="知识库没有专票的说明", shop="default")
    answered = log.record(*make_pair("我的快递怎么还没到"), kb_version="v1", shop="default")
    log.feedback(answered, "accepted", shop="default")

    groups = analytics.gaps(log.between(shop="default"), HashingEmbedder(), similarity=0.6, limit=10)

    assert [g.count for g in groups] == [3, 1, 1]
    top = groups[0]
    assert top.examples == ["发票怎么开", "发票怎么开？"] and (top.low_confidence, top.rejected) == (3, 0)
    special = next(g for g in groups if g.rejected)
    assert special.examples == ["可以开增值税专用发票吗"] and special.reasons == ["知识库没有专票的说明"]
    assert all("我的快递怎么还没到" not in g.examples for g in groups)
    assert len(analytics.gaps(log.between(shop="default"), HashingEmbedder(), similarity=0.6, limit=1)) == 1
    assert analytics.gaps([], HashingEmbedder(), similarity=0.6, limit=10) == []


def _erlang_c_by_definition(agents: int, load: float) -> float:
    waiting = load**agents / math.factorial(agents) * agents / (agents - load)
    return waiting / (sum(load**k / math.factorial(k) for k in range(agents)) + waiting)


@pytest.mark.parametrize(("agents", "expected"), [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)])
def test_erlang_c_known_values(agents: int, expected: float) -> None:
    assert analytics.erlang_c(agents, 10.0) == pytest.approx(expected, abs=1e-4)  # 10 Erlangs, textbook table
    assert analytics.erlang_c(agents, 10.0) == pytest.approx(_erlang_c_by_definition(agents, 10.0), rel=1e-9)


def test_erlang_c_edges() -> None:
    assert analytics.erlang_c(5, 0.0) == 0.0
    assert analytics.erlang_c(10, 10.0) == 1.0  # no more agents than load: everyone waits
    assert analytics.erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = utilisation


def test_classic_example_needs_14_agents() -> None:
    """200 consultations an hour at 3 minutes each (10 Erlangs), 80% answered within 20 s: 13 agents reach only
    79.6%, 14 reach 88.8% with a mean wait of about 8 s."""
    plan = analytics.plan_hour(0, 200, capacity_per_hour=20, target_reply_s=20, service_level=0.8)

    assert (plan.load, plan.agents, plan.service_level, plan.occupancy) == (10.0, 14, 0.8884, 0.7143)
    assert plan.mean_wait_s == pytest.approx(7.84, abs=0.01)
    assert analytics.plan_hour(0, 200, capacity_per_hour=20, target_reply_s=20, service_level=0.79).agents == 13


def test_staffing_per_hour_and_shift() -> None:
    plan = analytics.staffing([200, 0, 50, 20, 20], capacity_per_hour=20, target_reply_s=20, shift_hours=2)

    assert [h.agents for h in plan.hours] == [14, 0, 5, 3, 3]
    assert [(s.shift, s.start_hour, s.end_hour, s.agents) for s in plan.shifts] == [(1, 0, 2, 14), (2, 2, 4, 5),
                                                                                    (3, 4, 5, 3)]
    assert plan.hours[1].service_level == 1.0


def test_staffing_refuses_an_absurd_load() -> None:
    with pytest.raises(ValueError, match="beyond"):
        analytics.staffing([1e9], capacity_per_hour=1, target_reply_s=20)
