"""The draft log on SQLite and PostgreSQL: recording, feedback rules, edit distance, restarts, the KB version."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from drafting.models import Citation, Draft, DraftRequest, Reason
from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.kbversion import EMPTY, KbVersion, kb_version
from knowledge.models import Entry
from knowledge.versions import KnowledgeVersions
from records.history import (
    DatabaseUnavailableError,
    DraftLog,
    DraftNotFoundError,
    InvalidFeedbackError,
    open_engine,
)

T0 = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make_pair(message: str = "我的快递怎么还没到", *, text: str = "亲，您的快递已发出，请耐心等待。",
              platform: str = "taobao", intent: str | None = "logistics", cited: tuple[str, ...] = ("ship-001",),
              low_confidence: bool = False) -> tuple[DraftRequest, Draft]:
    request = DraftRequest.model_validate({"message": message, "platform": platform})
    citations = [Citation(id=i, title=i, kind="faq", score=0.9, snippet="…") for i in cited]
    reasons = [Reason(code="low_confidence", message="no entry matched")] if low_confidence else []
    draft = Draft(draft=text, language="en" if message.isascii() else "zh", citations=citations,
                  confidence=0.2 if low_confidence else 0.95, intent=intent, needs_human=low_confidence,
                  reasons=reasons, provider="template", degraded=False, latency_ms=12.5)
    return request, draft


@pytest.fixture
def db_url(database_url: str) -> str:
    return database_url  # a SQLite file, then a fresh database on the session's PostgreSQL (tests/conftest.py)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(db_url: str, clock: Clock) -> DraftLog:
    return DraftLog(open_engine(db_url), clock)


def test_concurrent_drafts_share_one_commit_and_each_row_is_stored(log: DraftLog, db_url: str) -> None:
    commits: list[int] = []
    first_commit = threading.Event()
    engine = log._engine

    @event.listens_for(engine, "commit")
    def hold_the_first(_connection: Any) -> None:
        commits.append(log._writes.waiting)
        if len(commits) == 1:  # the first row commits alone; the other seven queue behind it meanwhile
            first_commit.set()
            deadline = time.monotonic() + 10
            while log._writes.waiting < 7 and time.monotonic() < deadline:
                time.sleep(0.01)

    pairs = [make_pair(f"问题 {n}") for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(log.record, *pairs[0], kb_version="v", shop="default")
        assert first_commit.wait(10)
        rest = [pool.submit(log.record, *pair, kb_version="v", shop="default") for pair in pairs[1:]]
        ids = [first.result(timeout=20), *(f.result(timeout=20) for f in rest)]

    assert len(commits) == 2  # eight drafts, two commits
    assert len(set(ids)) == 8
    assert [log.get(i, shop="default").message for i in ids] == [f"问题 {n}" for n in range(8)]


def test_record_keeps_request_draft_and_context(log: DraftLog) -> None:
    draft_id = log.record(*make_pair(), kb_version="0dd45203bda3", shop="default")

    got = log.get(draft_id, shop="default")

    assert len(draft_id) == 32
    assert got.created_at == T0 and got.created_at.tzinfo is not None
    assert (got.platform, got.locale, got.role, got.message) == ("taobao", "zh", "l1", "我的快递怎么还没到")
    assert got.request["message"] == "我的快递怎么还没到" and got.request["order"]["status"] is None
    assert got.draft == "亲，您的快递已发出，请耐心等待。"
    assert got.citations == ["ship-001"]
    assert (got.intent, got.confidence, got.needs_human, got.reasons) == ("logistics", 0.95, False, [])
    assert (got.provider, got.degraded, got.latency_ms, got.kb_version) == ("template", False, 12.5, "0dd45203bda3")
    assert got.feedback == [] and got.outcome is None


def test_accepted_as_is(log: DraftLog) -> None:
    request, draft = make_pair()
    draft_id = log.record(request, draft, "v1", shop="default")

    saved = log.feedback(draft_id, "accepted", shop="default")
    # the console may send the text it sent
    again = log.feedback(draft_id, "accepted", final_text=draft.draft, shop="default")

    assert (saved.action, saved.edit_distance, saved.final_text) == ("accepted", 0, None)
    assert again.edit_distance == 0


@pytest.mark.parametrize(("text", "final", "distance"), [
    ("亲，您的快递已发出，请耐心等待。", "亲，您的包裹已发出，请耐心等待。", 2),  # 快递 → 包裹: two characters
    ("亲，您的快递已发出，请耐心等待。", "亲，您的快递已发出，请耐心等待～谢谢", 3),
    ("kitten", "sitting", 3),
    ("Your parcel ships today.", "Your parcel ships Monday.", 2),  # t → M, n inserted
])
def test_edit_distance_counts_characters(log: DraftLog, text: str, final: str, distance: int) -> None:
    draft_id = log.record(*make_pair(text=text), kb_version="v1", shop="default")

    saved = log.feedback(draft_id, "edited", final_text=final, shop="default")

    assert (saved.action, saved.final_text, saved.edit_distance) == ("edited", final, distance)


@pytest.mark.parametrize(("action", "fields", "message"), [
    ("edited", {}, "needs its final_text"),
    ("edited", {"final_text": "  "}, "needs its final_text"),
    ("edited", {"final_text": "亲，您的快递已发出，请耐心等待。"}, "send action 'accepted'"),
    ("accepted", {"final_text": "亲，改过了"}, "send action 'edited'"),
    ("rejected", {}, "needs a reason"),
    ("rejected", {"reason": " "}, "needs a reason"),
    ("ignored", {}, "unknown action"),
])
def test_feedback_rules(log: DraftLog, action: str, fields: dict[str, Any], message: str) -> None:
    draft_id = log.record(*make_pair(), kb_version="v1", shop="default")

    with pytest.raises(InvalidFeedbackError, match=message):
        log.feedback(draft_id, action, **fields, shop="default")
    assert log.get(draft_id, shop="default").feedback == []


def test_unknown_draft(log: DraftLog) -> None:
    with pytest.raises(DraftNotFoundError):
        log.feedback("0" * 32, "accepted", shop="default")
    with pytest.raises(DraftNotFoundError):
        log.get("nope", shop="default")


def test_every_action_is_kept_and_the_latest_counts(log: DraftLog, clock: Clock) -> None:
    draft_id = log.record(*make_pair(), kb_version="v1", shop="default")
    log.feedback(draft_id, "rejected", reason="答非所问", shop="default")
    clock.at += timedelta(minutes=1)
    log.feedback(draft_id, "edited", final_text="亲，您的包裹已发出，请耐心等待。", shop="default")

    got = log.get(draft_id, shop="default")

    assert [f.action for f in got.feedback] == ["rejected", "edited"]
    assert got.feedback[0].reason == "答非所问" and got.feedback[0].edit_distance is None
    assert got.outcome is not None and got.outcome.action == "edited"


def test_a_restart_loses_nothing(db_url: str, clock: Clock) -> None:
    first = DraftLog(open_engine(db_url), clock)
    zh = first.record(*make_pair(), kb_version="v1", shop="default")
    en = first.record(*make_pair("Where is my parcel?", text="It ships today.", platform="amazon"), kb_version="v2",
                      shop="default")
    first.feedback(zh, "edited", final_text="亲，您的包裹已发出，请耐心等待。", shop="default")
    first.feedback(en, "rejected", reason="wrong order", shop="default")
    first.close()

    second = DraftLog(open_engine(db_url), clock)  # a new engine on the same file, as after a server restart

    items, total = second.recent(shop="default")
    assert total == 2 and {d.id for d in items} == {zh, en}
    assert second.get(zh, shop="default").feedback[0].edit_distance == 2
    assert [(f.action, f.reason) for f in second.get(en, shop="default").feedback] == [("rejected", "wrong order")]
    assert second.get(en, shop="default").created_at == T0


def test_recent_is_newest_first_and_pages(log: DraftLog, clock: Clock) -> None:
    ids = []
    for n in range(5):
        clock.at = T0 + timedelta(minutes=n)
        ids.append(log.record(*make_pair(f"第{n}个问题"), kb_version="v1", shop="default"))

    page, total = log.recent(limit=2, offset=1, shop="default")

    assert total == 5
    assert [d.id for d in page] == [ids[3], ids[2]]


def test_between_is_half_open(log: DraftLog, clock: Clock) -> None:
    for n in range(3):
        clock.at = T0 + timedelta(hours=n)
        log.record(*make_pair(), kb_version="v1", shop="default")

    window = log.between(T0 + timedelta(hours=1), T0 + timedelta(hours=2), shop="default")

    assert [d.created_at for d in window] == [T0 + timedelta(hours=1)]
    assert len(log.between(shop="default")) == 3


def test_open_engine_creates_the_folder(tmp_path: Path) -> None:
    DraftLog(open_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}"), Clock())

    assert (tmp_path / "a" / "b" / "x.db").is_file()


@pytest.mark.parametrize("url", ["notadb://x", "sqlite:///{tmp}"])
def test_unusable_database_is_our_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(DatabaseUnavailableError):  # a bad URL, or a folder where the file should be
        DraftLog(open_engine(url.format(tmp=tmp_path)), Clock())


def _entries(*answers: str) -> list[Entry]:
    return [Entry.model_validate({"id": f"faq-{n}", "locale": "zh", "question": f"问题{n}", "answer": answer})
            for n, answer in enumerate(answers)]


def test_kb_version_follows_content_not_order(tmp_path: Path, indexer: Indexer, store: ChromaStore) -> None:
    empty = kb_version(store)
    indexer.index(_entries("甲", "乙"))
    both = kb_version(store)
    indexer.index(list(reversed(_entries("甲", "乙"))))  # the same entries again, other order
    same = kb_version(store)
    indexer.index(_entries("甲", "丙"))
    changed = kb_version(store)

    assert len(both) == 12 and both == same
    assert len({empty, both, changed}) == 3


def test_a_store_without_recorded_versions_gets_its_first_one_once(
        tmp_path: Path, indexer: Indexer, store: ChromaStore) -> None:
    versions = KnowledgeVersions(store, indexer, tmp_path / "versions")
    version = KbVersion(versions, store)
    assert version() == kb_version(store) == EMPTY and versions.list() == []  # an empty store records nothing
    indexer.index(_entries("甲", "乙"))  # indexed without a version, as an older release did

    with ThreadPoolExecutor(max_workers=8) as pool:  # drafts arriving together: one snapshot, not eight hashes
        seen = set(pool.map(lambda _: version(), range(8)))

    assert seen == {kb_version(store)}
    assert [(v.number, v.entries, v.reason) for v in versions.list()] == [(1, 2, "the knowledge base as first found")]


def test_kb_version_is_the_latest_recorded_version_read_again_when_one_is_recorded(
        tmp_path: Path, indexer: Indexer, store: ChromaStore) -> None:
    versions = KnowledgeVersions(store, indexer, tmp_path / "versions")
    version = KbVersion(versions, store)
    indexer.index(_entries("甲"))
    first = versions.snapshot("index")
    assert version() == first.digest[:12] == kb_version(store)

    # another process (the CLI) changes the KB and records a version: the next draft carries it, TTL or not
    other = KnowledgeVersions(store, indexer, tmp_path / "versions")
    indexer.index(_entries("乙"))
    second = other.snapshot("index from the CLI")
    assert second.number == 2
    assert version() == second.digest[:12] == kb_version(store) != first.digest[:12]


def test_a_long_provider_name_is_kept(log: DraftLog) -> None:
    """`vllm:<model path>` can outgrow a VARCHAR, which PostgreSQL (unlike SQLite) enforces."""
    request, draft = make_pair()
    provider = "vllm:/srv/models/Qwen2.5-72B-Instruct-GPTQ-Int4/checkpoints/final-with-a-long-suffix"
    draft_id = log.record(request, draft.model_copy(update={"provider": provider}), kb_version="v1", shop="default")

    assert log.get(draft_id, shop="default").provider == provider


def test_nul_characters_are_stored_alike_everywhere(log: DraftLog) -> None:
    """PostgreSQL text cannot hold NUL: it becomes U+FFFD on every backend, and the draft is still logged."""
    draft_id = log.record(*make_pair("快递\x00到了吗", text="亲\x00，马上发"), kb_version="v1", shop="default")
    saved = log.feedback(draft_id, "rejected", reason="答非\x00所问", shop="default")

    got = log.get(draft_id, shop="default")
    assert (got.message, got.draft, saved.reason) == ("快递\ufffd到了吗", "亲\ufffd，马上发", "答非\ufffd所问")
    assert got.request["message"] == "快递\x00到了吗"  # JSON keeps it escaped


def test_workers_starting_together_share_one_schema(db_url: str, clock: Clock) -> None:
    """Several API workers open the log at once; concurrent CREATE TABLEs must not fail any of them."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        logs = list(pool.map(lambda _: DraftLog(open_engine(db_url), clock), range(4)))

    draft_id = logs[0].record(*make_pair(), kb_version="v1", shop="default")
    logs[3].feedback(draft_id, "accepted", shop="default")
    assert [f.action for f in logs[1].get(draft_id, shop="default").feedback] == ["accepted"]
    for opened in logs:
        opened.close()


def test_each_shop_sees_only_its_own_drafts_and_feedback(log: DraftLog) -> None:
    ours = log.record(*make_pair("我的快递怎么还没到"), kb_version="v1", shop="qingchuan")
    theirs = log.record(*make_pair("Where is my parcel?", platform="amazon"), kb_version="v9", shop="hills")
    log.feedback(theirs, "accepted", shop="hills")

    assert [d.id for d in log.between(shop="qingchuan")] == [ours]
    assert [d.id for d in log.recent(shop="hills")[0]] == [theirs] and log.recent(shop="hills")[1] == 1
    assert log.recent(shop="default") == ([], 0)
    assert log.get(ours, shop="qingchuan").shop == "qingchuan"
    with pytest.raises(DraftNotFoundError):  # another shop's draft is not found, as if it did not exist
        log.get(theirs, shop="qingchuan")
    with pytest.raises(DraftNotFoundError):
        log.feedback(theirs, "rejected", reason="not ours", shop="qingchuan")
    assert [f.action for f in log.get(theirs, shop="hills").feedback] == ["accepted"]


def test_a_log_from_before_shops_gains_the_column_and_keeps_its_drafts(tmp_path: Path, clock: Clock) -> None:
    """A release-0.x log has no `shop` column: opening it adds one, its drafts belonging to the default shop."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE drafts (id VARCHAR(32) PRIMARY KEY, created_at DATETIME, platform VARCHAR(16), "
            "locale VARCHAR(8), role VARCHAR(16), message TEXT, request JSON, draft TEXT, citations JSON, "
            "intent VARCHAR(64), confidence FLOAT, needs_human BOOLEAN, reasons JSON, provider TEXT, "
            "degraded BOOLEAN, latency_ms FLOAT, kb_version VARCHAR(64))"))
        conn.execute(text(
            "INSERT INTO drafts VALUES ('old1', '2026-11-11 01:30:00', 'taobao', 'zh', 'l1', '快递呢', '{}', '亲', "
            "'[]', 'logistics', 0.9, 0, '[]', 'template', 0, 12.0, 'v0')"))
    engine.dispose()

    logs = [DraftLog(open_engine(url), clock) for _ in range(2)]  # the second finds the column there

    old = logs[0].get("old1", shop="default")
    assert (old.shop, old.message, old.kb_version) == ("default", "快递呢", "v0")
    logs[1].feedback("old1", "accepted", shop="default")
    new = logs[1].record(*make_pair(), kb_version="v1", shop="hills")
    assert [d.id for d in logs[0].between(shop="default")] == ["old1"]
    assert [d.id for d in logs[0].between(shop="hills")] == [new]


def test_the_answer_mode_and_the_answering_entry_are_kept(log: DraftLog) -> None:
    """In `entry` mode the answering entry is the last citation (announcements come first); otherwise there is none."""
    request, draft = make_pair(cited=("ann-618", "ship-001"))
    from_entry = log.record(request, draft.model_copy(update={"answer_mode": "entry"}), "v1", shop="default")
    from_playbook = log.record(request, draft.model_copy(update={"answer_mode": "playbook"}), "v1", shop="default")

    assert (log.get(from_entry, shop="default").answer_mode,
            log.get(from_entry, shop="default").source_id) == ("entry", "ship-001")
    assert (log.get(from_playbook, shop="default").answer_mode,
            log.get(from_playbook, shop="default").source_id) == ("playbook", None)


def test_a_log_from_before_answer_modes_gains_the_columns(db_url: str, clock: Clock) -> None:
    """A log made before answer modes (shops, but no `answer_mode` or `source_id`): opening it adds both, null for
    its drafts; on SQLite and PostgreSQL alike, and by two workers at once."""
    engine = open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE drafts (id VARCHAR(32) PRIMARY KEY, shop VARCHAR(64) NOT NULL DEFAULT 'default', "
            "created_at TIMESTAMP, platform VARCHAR(16), locale VARCHAR(8), role VARCHAR(16), message TEXT, "
            "request JSON, draft TEXT, citations JSON, intent VARCHAR(64), confidence FLOAT, needs_human BOOLEAN, "
            "reasons JSON, provider TEXT, degraded BOOLEAN, latency_ms FLOAT, kb_version VARCHAR(64))"))
        conn.execute(text(
            "INSERT INTO drafts VALUES ('old1', 'default', '2026-11-11 01:30:00', 'taobao', 'zh', 'l1', '快递呢', "
            "'{}', '亲', '[\"ship-001\"]', 'logistics', 0.9, FALSE, '[]', 'template', FALSE, 12.0, 'v0')"))
    engine.dispose()

    logs = [DraftLog(open_engine(db_url), clock) for _ in range(2)]  # the second finds the columns there

    old = logs[0].get("old1", shop="default")
    assert (old.message, old.citations, old.answer_mode, old.source_id) == ("快递呢", ["ship-001"], None, None)
    request, draft = make_pair()
    new = logs[1].record(request, draft.model_copy(update={"answer_mode": "entry"}), "v1", shop="default")
    assert (logs[0].get(new, shop="default").answer_mode, logs[0].get(new, shop="default").source_id) == (
        "entry", "ship-001")
    for opened in logs:
        opened.close()
