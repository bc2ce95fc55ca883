"""Announcements on a real Chroma store with the hashing embedder: publish, states over time, expire, applicable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from knowledge.announcements import Announcement, Announcements, state_at
from knowledge.chroma_store import ChromaStore
from knowledge.errors import ConflictError, EntryNotFoundError, InvalidAnnouncementError
from knowledge.indexing import Indexer
from knowledge.models import Scope
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, make_entry

INTENTS = ("logistics", "cancel", "presale", "return_refund")
NOW = at(2026, 1, 15, 10)


@pytest.fixture
def notices(store: ChromaStore, indexer: Indexer) -> Announcements:
    return Announcements(store, indexer, intents=INTENTS)


def publish(notices: Announcements, **overrides: Any) -> str:
    """A Chinese snowstorm notice for Xinjiang, active from Jan 10 to Jan 20; override any argument."""
    fields: dict[str, Any] = {
        "title": "新疆地区快递延迟", "body": "受降雪影响，发往新疆的包裹预计延迟3-5天送达，给您添麻烦了。",
        "locale": "zh", "valid_from": at(2026, 1, 10), "valid_until": at(2026, 1, 20), "at": NOW,
        "scope": Scope(regions=("新疆",)),
    }
    return notices.publish(**{**fields, **overrides}).id


def ids(entries: list[Any]) -> list[str]:
    return [e.id for e in entries]


# --- publish -------------------------------------------------------------------------------------------


def test_publish_stores_an_announcement_entry_with_a_generated_id(notices: Announcements, store: ChromaStore) -> None:
    entry = notices.publish(
        title="Spring Festival cut-off", body="Orders placed after Jan 20 ship from Feb 5.", locale="en",
        valid_until=at(2026, 1, 20), at=NOW, priority=30,
    )

    assert re.fullmatch(r"ann-20260115-[0-9a-f]{8}", entry.id)
    assert (entry.kind, entry.source, entry.platform, entry.priority) == ("announcement", "announcements", "any", 30)
    assert (entry.title, entry.answer, entry.question) == ("Spring Festival cut-off",
                                                           "Orders placed after Jan 20 ship from Feb 5.", "")
    assert entry.valid_from == NOW  # starts when published unless told otherwise
    assert store.get([entry.key]) == [entry]


def test_generated_ids_are_unique_and_dated_by_the_start(notices: Announcements) -> None:
    first = publish(notices)
    second = publish(notices)

    assert first != second
    assert first.startswith("ann-20260110-") and second.startswith("ann-20260110-")


def test_republishing_an_id_replaces_it_and_re_embeds_only_changed_text(
    notices: Announcements, fake_embedder: HashingEmbedder, store: ChromaStore
) -> None:
    publish(notices, entry_id="ann-xj")
    embedded = fake_embedder.embedded

    publish(notices, entry_id="ann-xj", priority=80, scope=Scope(regions=("新疆", "西藏")))

    assert fake_embedder.embedded == embedded  # scope and priority are not embedded
    [entry] = notices.get("ann-xj")
    assert (entry.priority, entry.scope.regions) == (80, ("新疆", "西藏"))
    assert store.count() == 1


def test_translations_share_an_id(notices: Announcements) -> None:
    publish(notices, entry_id="ann-xj")
    publish(notices, entry_id="ann-xj", locale="en", title="Delays to Xinjiang",
            body="Snow is delaying parcels to Xinjiang by 3-5 days.", scope=Scope(regions=("Xinjiang",)))

    assert [e.locale for e in notices.get("ann-xj")] == ["en", "zh"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_until": datetime(2026, 1, 20)}, "valid_until: must carry a timezone"),
        ({"valid_from": datetime(2026, 1, 10)}, "valid_from: must carry a timezone"),
        ({"valid_until": at(2026, 1, 10)}, "valid_until must be after valid_from"),
        ({"valid_from": None, "valid_until": at(2026, 1, 1)}, "valid_until must be after valid_from"),
        ({"priority": 101}, "priority: Input should be less than or equal to 100"),
        ({"priority": -1}, "priority: Input should be greater than or equal to 0"),
        ({"body": "  "}, "body: String should have at least 1 character"),
        ({"title": " "}, "title: String should have at least 1 character"),
        ({"locale": "fr"}, "locale:"),
        ({"platform": "tmall"}, "platform:"),
        ({"entry_id": "ann 1"}, "id: String should match pattern"),
        ({"scope": Scope(intents=("logistics", "shipping", "refund"))}, "unknown intent 'shipping', 'refund'"),
    ],
    ids=["naive-until", "naive-from", "until-equals-from", "until-before-now", "priority-high", "priority-low",
         "blank-body", "no-title", "locale", "platform", "bad-id", "unknown-intent"],
)
def test_publish_rejects_bad_input_on_one_line(
    notices: Announcements, store: ChromaStore, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidAnnouncementError) as info:
        publish(notices, **change)

    assert message in info.value.message
    assert "\n" not in info.value.message
    assert info.value.code == "invalid_request"
    assert store.count() == 0


def test_any_intent_is_accepted_when_none_are_known(store: ChromaStore, indexer: Indexer) -> None:
    notices = Announcements(store, indexer)

    assert publish(notices, entry_id="ann-1", scope=Scope(intents=("anything",))) == "ann-1"


def test_publishing_over_a_faq_id_is_a_conflict(notices: Announcements, indexer: Indexer) -> None:
    indexer.index([make_entry()])

    with pytest.raises(ConflictError, match="'ship-001' \\(zh\\) is a faq"):
        publish(notices, entry_id="ship-001")


# --- states over time ----------------------------------------------------------------------------------


def test_a_notice_is_scheduled_then_active_then_expired_and_kept(notices: Announcements, store: ChromaStore) -> None:
    notice = publish(notices)

    for moment, state in [(at(2026, 1, 9), "scheduled"), (at(2026, 1, 10), "active"),
                          (at(2026, 1, 19, 23, 59), "active"), (at(2026, 1, 20), "expired"),
                          (at(2027, 1, 1), "expired")]:
        assert ids(notices.list(state, moment)) == [notice], moment
        others = {"active", "scheduled", "expired"} - {state}
        assert all(notices.list(other, moment) == [] for other in others), moment
        assert ids(notices.list("all", moment)) == [notice]
    assert store.count() == 1


def test_state_compares_instants_across_timezones(notices: Announcements) -> None:
    [entry] = notices.get(publish(notices))  # ends 2026-01-20 00:00 in China: 16:00 UTC the day before

    assert state_at(entry, datetime(2026, 1, 19, 15, 59, tzinfo=UTC)) == "active"
    assert state_at(entry, datetime(2026, 1, 19, 16, 0, tzinfo=UTC)) == "expired"


def test_list_orders_by_priority_then_latest_start(notices: Announcements) -> None:
    low = publish(notices, priority=0, valid_from=at(2026, 1, 14))
    high = publish(notices, priority=90, valid_from=at(2026, 1, 1))
    older = publish(notices, priority=40, valid_from=at(2026, 1, 11))
    newer = publish(notices, priority=40, valid_from=at(2026, 1, 12))

    assert ids(notices.list("active", NOW)) == [high, newer, older, low]


def test_list_filters_by_platform_and_locale(notices: Announcements) -> None:
    everywhere = publish(notices)
    taobao = publish(notices, platform="taobao")
    jd = publish(notices, platform="jd")
    english = publish(notices, locale="en", title="Spring Festival", body="Shipping pauses from Jan 20.")

    assert set(ids(notices.list("active", NOW, platform="taobao"))) == {everywhere, taobao, english}
    assert set(ids(notices.list("active", NOW, platform="jd", locale="zh"))) == {everywhere, jd}
    assert ids(notices.list("active", NOW, locale="en")) == [english]


def test_list_and_get_see_only_announcements(notices: Announcements, indexer: Indexer) -> None:
    indexer.index([make_entry()])

    assert notices.list("all", NOW) == []
    with pytest.raises(EntryNotFoundError, match="no announcement with id 'ship-001'"):
        notices.get("ship-001")


def test_announcements_indexed_from_files_are_listed_too(notices: Announcements, indexer: Indexer) -> None:
    indexer.index([make_entry(id="ann-file", kind="announcement", question="", title="双11发货安排",
                              answer="双11期间订单72小时内发出。", valid_until=at(2026, 1, 12))])

    assert ids(notices.list("expired", NOW)) == ["ann-file"]
    assert Announcement.of(notices.get("ann-file")[0], NOW).state == "expired"


# --- expire --------------------------------------------------------------------------------------------


def test_expire_ends_it_now_in_every_locale_and_keeps_it(notices: Announcements, store: ChromaStore) -> None:
    publish(notices, entry_id="ann-xj")
    publish(notices, entry_id="ann-xj", locale="en", title="Delays to Xinjiang", body="Parcels are 3-5 days late.")

    ended = notices.expire("ann-xj", NOW)

    assert [(e.locale, e.valid_until, state_at(e, NOW)) for e in ended] == [("en", NOW, "expired"),
                                                                           ("zh", NOW, "expired")]
    assert ended[0].valid_from == at(2026, 1, 10)
    assert notices.list("active", NOW) == []
    assert ids(notices.list("expired", NOW)) == ["ann-xj", "ann-xj"]
    assert store.count() == 2


def test_expiring_again_changes_nothing(notices: Announcements) -> None:
    publish(notices, entry_id="ann-xj")
    notices.expire("ann-xj", NOW)

    [entry] = notices.expire("ann-xj", NOW + timedelta(days=1))

    assert entry.valid_until == NOW


def test_expiring_a_scheduled_notice_is_a_conflict(notices: Announcements) -> None:
    publish(notices, entry_id="ann-later", valid_from=at(2026, 2, 1), valid_until=at(2026, 2, 5))

    with pytest.raises(ConflictError, match="has not started yet"):
        notices.expire("ann-later", NOW)

    assert ids(notices.list("scheduled", NOW)) == ["ann-later"]


def test_expiring_an_unknown_id_is_not_found(notices: Announcements) -> None:
    with pytest.raises(EntryNotFoundError, match="'nope'"):
        notices.expire("nope", NOW)


# --- applicable ----------------------------------------------------------------------------------------


def applicable(notices: Announcements, **order: Any) -> list[str]:
    facts: dict[str, Any] = {"platform": "taobao", "locale": "zh", "intent": "logistics", "skus": (),
                             "region": "新疆维吾尔自治区乌鲁木齐市"}
    return ids(notices.applicable(NOW, **{**facts, **order}))


@pytest.mark.parametrize(
    ("scope_region", "order_region", "applies"),
    [
        ("新疆", "新疆维吾尔自治区乌鲁木齐市", True),
        ("新疆维吾尔自治区", "新疆", True),
        ("新疆维吾尔自治区", "新疆维吾尔自治区", True),
        ("乌鲁木齐", "新疆维吾尔自治区乌鲁木齐市天山区", True),
        ("北京市", "北京市朝阳区", True),
        ("广西壮族自治区", "广西南宁", True),
        ("新疆", "西藏自治区拉萨市", False),
        ("Xinjiang", "Urumqi, XINJIANG", True),
        ("new york", "New  York City, NY", True),
        ("York", "Yorkshire, UK", False),
        ("新疆", None, False),
    ],
)
def test_region_matches_by_containment_ignoring_case(
    notices: Announcements, scope_region: str, order_region: str | None, applies: bool
) -> None:
    notice = publish(notices, scope=Scope(regions=(scope_region,)))

    assert applicable(notices, region=order_region) == ([notice] if applies else [])


def test_intent_must_be_listed(notices: Announcements) -> None:
    notice = publish(notices, scope=Scope(intents=("logistics", "cancel")))

    assert applicable(notices, intent="cancel") == [notice]
    assert applicable(notices, intent="return_refund") == []
    assert applicable(notices, intent=None) == []


def test_any_sku_of_the_order_matches_ignoring_case(notices: Announcements) -> None:
    notice = publish(notices, title="蓝色枕头缺货", body="蓝色乳胶枕暂时缺货，预计1月25日补货后发出。",
                     scope=Scope(skus=("QC-PILLOW-BLUE",)))

    assert applicable(notices, skus=["QC-SHEET-01", "qc-pillow-blue"]) == [notice]
    assert applicable(notices, skus=["QC-SHEET-01"]) == []
    assert applicable(notices, skus=[]) == []


def test_every_non_empty_scope_list_must_match(notices: Announcements) -> None:
    notice = publish(notices, scope=Scope(intents=("logistics",), regions=("新疆",), skus=("QC-01",)))

    assert applicable(notices, skus=["QC-01"]) == [notice]
    assert applicable(notices, skus=["QC-01"], region="上海市") == []
    assert applicable(notices, skus=["QC-01"], intent="presale") == []
    assert applicable(notices, skus=["QC-02"]) == []


def test_platform_any_applies_everywhere_and_a_platform_only_there(notices: Announcements) -> None:
    everywhere = publish(notices)
    taobao = publish(notices, platform="taobao", priority=10)

    assert applicable(notices, platform="taobao") == [taobao, everywhere]
    assert applicable(notices, platform="pdd") == [everywhere]


def test_only_active_notices_in_the_locale_apply(notices: Announcements) -> None:
    active = publish(notices)
    publish(notices, valid_from=at(2026, 1, 16))  # scheduled
    publish(notices, valid_from=at(2026, 1, 1), valid_until=at(2026, 1, 15))  # expired
    english = publish(notices, locale="en", title="Delays to Xinjiang", body="Parcels are 3-5 days late.",
                      scope=Scope(regions=("xinjiang",)))

    assert applicable(notices) == [active]
    assert applicable(notices, locale="en", region="Urumqi, Xinjiang") == [english]


def test_unscoped_notices_are_left_to_retrieval(notices: Announcements) -> None:
    publish(notices, scope=Scope())

    assert applicable(notices) == []
    assert len(notices.list("active", NOW)) == 1


def test_applicable_orders_by_priority_then_latest_start(notices: Announcements) -> None:
    low = publish(notices, valid_from=at(2026, 1, 14))
    high = publish(notices, priority=60, valid_from=at(2026, 1, 2))
    newer = publish(notices, priority=60, valid_from=at(2026, 1, 12))

    assert applicable(notices) == [newer, high, low]


def test_an_expired_notice_stops_applying(notices: Announcements) -> None:
    notice = publish(notices)
    assert applicable(notices) == [notice]

    notices.expire(notice, NOW - timedelta(minutes=1))

    assert applicable(notices) == []
