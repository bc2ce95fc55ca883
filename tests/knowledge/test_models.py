"""Entry: validation at the file and API boundary, its store key, its two hashes and its validity window."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from knowledge.models import Entry
from tests.knowledge.conftest import at, make_entry


def test_a_minimal_entry_gets_the_documented_defaults() -> None:
    entry = Entry(id="ship-001", question="我的快递怎么还没到？", answer="一般48小时内发出。", locale="zh")

    assert (entry.kind, entry.platform, entry.tags, entry.source) == ("faq", "any", (), "api")
    assert entry.valid_from is None and entry.valid_until is None


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        make_entry(categroy="logistics")

    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(("categroy",), "extra_forbidden")]


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
def test_naive_datetime_is_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match="must carry a timezone"):
        make_entry(**{field: datetime(2025, 11, 11, 0, 0)})


@pytest.mark.parametrize("hours_after_start", [0, -1])
def test_valid_until_must_come_after_valid_from(hours_after_start: int) -> None:
    start = at(2025, 11, 1)

    with pytest.raises(ValidationError, match="valid_until must be after valid_from"):
        make_entry(valid_from=start, valid_until=start + timedelta(hours=hours_after_start))


def test_entry_needs_a_question_or_a_title() -> None:
    with pytest.raises(ValidationError, match="needs a question or a title"):
        make_entry(question="", title="")
    with pytest.raises(ValidationError, match="needs a question or a title"):
        make_entry(question="   ", title="")  # whitespace is stripped first

    titled = make_entry(question="", title="Double 11 shipping notice")
    assert titled.heading == "Double 11 shipping notice"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("logistics|delivery_delay", ("logistics", "delivery_delay")),
        ("logistics,delivery_delay", ("logistics", "delivery_delay")),
        (" 物流 | 延误 ,, ", ("物流", "延误")),
        ("", ()),
        (["logistics", "holiday"], ("logistics", "holiday")),
    ],
)
def test_tags_are_split_from_a_string(value: object, expected: tuple[str, ...]) -> None:
    assert make_entry(tags=value).tags == expected


@pytest.mark.parametrize(
    "field_value",
    [{"id": "ship 001"}, {"id": "a/b"}, {"id": ""}, {"locale": "fr"}, {"platform": "ebay"},
     {"kind": "blog"}, {"answer": ""}],
)
def test_closed_sets_and_ids_are_checked(field_value: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_entry(**field_value)


def test_key_is_id_at_locale() -> None:
    assert make_entry().key == "ship-001@zh"
    assert make_entry(locale="en", question="Where is my parcel?").key == "ship-001@en"


def test_facets_embed_the_question_as_query_and_the_whole_entry_as_passage() -> None:
    entry = make_entry(title="物流", question="我的快递怎么还没到？", answer="48小时内发出。")

    assert entry.facets() == {
        "q": ("query", "我的快递怎么还没到？"),
        "a": ("passage", "物流\n我的快递怎么还没到？\n48小时内发出。"),
    }
    titled = make_entry(question="", title="Spring Festival shipping", answer="No shipping Jan 20 - Feb 5.")
    assert titled.facets()["q"] == ("query", "Spring Festival shipping")


CHANGES: list[dict[str, object]] = [
    {"id": "ship-002"},
    {"kind": "policy"},
    {"question": "物流一直不更新怎么办？"},
    {"title": "物流"},
    {"answer": "亲，大促期间72小时内发出。"},
    {"platform": "taobao"},
    {"locale": "en"},
    {"tags": "logistics"},
    {"valid_from": at(2025, 1, 1)},
    {"valid_until": at(2030, 1, 1)},
    {"source": "/kb/faq.zh.jsonl"},
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: next(iter(c)))
def test_content_hash_changes_when_any_field_changes(change: dict[str, object]) -> None:
    assert make_entry(**change).content_hash() != make_entry().content_hash()


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: next(iter(c)))
def test_text_hash_changes_only_with_the_embedded_text(change: dict[str, object]) -> None:
    embedded_text_changed = next(iter(change)) in {"question", "title", "answer"}

    assert (make_entry(**change).text_hash() != make_entry().text_hash()) is embedded_text_changed


def test_hashes_are_stable_for_equal_entries() -> None:
    assert make_entry().content_hash() == make_entry().content_hash()
    assert make_entry(tags="logistics|delivery_delay").content_hash() == make_entry().content_hash()
    assert len(make_entry().content_hash()) == 64


def test_is_valid_at_includes_the_start_and_excludes_the_end() -> None:
    entry = make_entry(valid_from=at(2025, 11, 1), valid_until=at(2025, 11, 12))

    assert not entry.is_valid_at(at(2025, 10, 31, 23, 59))
    assert entry.is_valid_at(at(2025, 11, 1))
    assert entry.is_valid_at(at(2025, 11, 11, 23, 59))
    assert not entry.is_valid_at(at(2025, 11, 12))


def test_is_valid_at_compares_instants_across_timezones() -> None:
    entry = make_entry(valid_until=at(2025, 11, 12))  # midnight in China is 16:00 UTC the day before

    assert entry.is_valid_at(datetime(2025, 11, 11, 15, 59, tzinfo=UTC))
    assert not entry.is_valid_at(datetime(2025, 11, 11, 16, 0, tzinfo=UTC))


def test_open_ended_entries_are_always_valid() -> None:
    assert make_entry().is_valid_at(at(1990, 1, 1))
    assert make_entry(valid_from=at(2025, 1, 1)).is_valid_at(at(2099, 1, 1))
    assert not make_entry(valid_from=at(2025, 1, 1)).is_valid_at(at(2024, 12, 31))


# --- announcement scope and priority ---------------------------------------------------------------------


def make_notice(**overrides: object) -> Entry:
    fields: dict[str, object] = {
        "kind": "announcement", "question": "", "title": "新疆地区快递延迟", "valid_from": at(2026, 1, 10),
        "valid_until": at(2026, 1, 20), "answer": "受降雪影响，发往新疆的包裹预计延迟3-5天送达。",
    }
    return make_entry(**{**fields, **overrides})


def test_scope_and_priority_default_to_everyone_and_zero() -> None:
    entry = make_entry()

    assert entry.scope.is_empty and entry.scope.intents == () == entry.scope.regions == entry.scope.skus
    assert entry.priority == 0


@pytest.mark.parametrize("change", [{"priority": 5}, {"scope": {"regions": ["新疆"]}}], ids=["priority", "scope"])
def test_only_announcements_carry_a_scope_or_a_priority(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="only announcements may carry a scope or a priority"):
        make_entry(**change)

    assert make_notice(**change).kind == "announcement"


@pytest.mark.parametrize("priority", [-1, 101])
def test_priority_is_between_0_and_100(priority: int) -> None:
    with pytest.raises(ValidationError, match="priority"):
        make_notice(priority=priority)


def test_scope_lists_are_stripped_deduplicated_and_split_on_bars() -> None:
    notice = make_notice(scope={"regions": [" 新疆 ", "新疆", ""], "skus": "QC-01|QC-02", "intents": ["logistics"]})

    assert notice.scope.regions == ("新疆",)
    assert notice.scope.skus == ("QC-01", "QC-02")
    assert notice.scope.intents == ("logistics",)


def test_scope_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="extra"):
        make_notice(scope={"region": ["新疆"]})


@pytest.mark.parametrize("change", [{"priority": 10}, {"scope": {"skus": ["QC-01"]}}], ids=["priority", "scope"])
def test_scope_or_priority_change_is_an_update_without_re_embedding(change: dict[str, object]) -> None:
    changed = make_notice(**change)

    assert changed.content_hash() != make_notice().content_hash()
    assert changed.text_hash() == make_notice().text_hash()


def test_default_scope_and_priority_leave_the_content_hash_as_it_was() -> None:
    """Stores indexed before announcements had a scope must not see every entry as changed."""
    entry = make_entry()
    legacy = entry.model_dump(mode="json", exclude={"scope", "priority", "learned", "intents"})

    assert entry.content_hash() == hashlib.sha256(
        json.dumps(legacy, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
