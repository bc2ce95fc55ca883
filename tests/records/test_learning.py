"""Learning from the agents: a draft sent from an entry teaches it the buyer's message as an example question.
A real Chroma and a real draft log in tmp_path, with the hashing embedder (what is learned does not need the model;
tests/api/test_learning.py shows a learned example matching through the real one)."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drafting.models import AnswerMode, Citation, Draft, DraftRequest
from knowledge.chroma_store import ChromaStore
from knowledge.errors import EntryNotFoundError, ExampleNotFoundError
from knowledge.indexing import Indexer
from knowledge.models import MAX_LEARNED
from knowledge.service import KnowledgeBase
from knowledge.store import EntryFilter
from knowledge.versions import KnowledgeVersions
from records.history import DraftLog, open_engine
from records.learning import Learned, Learner
from tests.conftest import SAMPLE_KB
from tests.fakes import HashingEmbedder

SHOP = "default"
REPLY = "亲，日常订单一般在付款后48小时内发出，物流信息可能延迟约24小时才更新，请耐心等待。"  # 43 characters
ROWS: list[dict[str, Any]] = [
    {"id": "ship-001", "locale": "zh", "question": "我的快递怎么还没到？", "examples": ["物流一直不更新"],
     "answer": REPLY},
    {"id": "ret-001", "locale": "zh", "question": "支持七天无理由退货吗？", "answer": "支持，签收后7天内可申请。"},
    {"id": "ann-11", "locale": "zh", "kind": "announcement", "title": "双11发货通知",
     "answer": "双11期间72小时内发货。", "valid_from": "2026-11-01T00:00:00+08:00",
     "valid_until": "2026-11-20T00:00:00+08:00"},
]


@pytest.fixture
def versions(store: ChromaStore, indexer: Indexer, tmp_path: Path) -> KnowledgeVersions:
    return KnowledgeVersions(store, indexer, tmp_path / "versions")


@pytest.fixture
def kb(store: ChromaStore, indexer: Indexer, versions: KnowledgeVersions) -> KnowledgeBase:
    kb = KnowledgeBase(store, indexer, versions)
    kb.index_rows(ROWS)
    return kb


@pytest.fixture
def history(tmp_path: Path) -> DraftLog:
    return DraftLog(open_engine(f"sqlite:///{tmp_path / 'db' / 'draftdesk.db'}"),
                    lambda: datetime(2026, 11, 11, 1, 30, tzinfo=UTC))


@pytest.fixture
def learner(history: DraftLog) -> Learner:
    return Learner(history)


def logged(history: DraftLog, message: str, *, mode: AnswerMode = "entry",
           cited: tuple[str, ...] = ("ann-11", "ship-001")) -> str:
    """A draft of `REPLY` to `message`, answered in `mode`; the answering entry is the last citation."""
    request = DraftRequest.model_validate({"message": message, "platform": "taobao"})
    draft = Draft(draft=REPLY, language="zh", citations=[Citation(id=i, title=i, kind="faq", score=0.9, snippet="…")
                                                         for i in cited],
                  confidence=0.9, answer_mode=mode, needs_human=False, reasons=[], provider="template",
                  degraded=False, latency_ms=10.0)
    return history.record(request, draft, "v1", shop=SHOP)


def send(history: DraftLog, learner: Learner, kb: KnowledgeBase, message: str, action: str = "accepted", *,
         mode: AnswerMode = "entry", final_text: str | None = None, reason: str | None = None) -> Learned | None:
    draft_id = logged(history, message, mode=mode)
    saved = history.feedback(draft_id, action, final_text=final_text, reason=reason, shop=SHOP)
    return learner.after_feedback(saved, kb, shop=SHOP)


def learned(kb: KnowledgeBase, entry_id: str = "ship-001") -> tuple[str, ...]:
    return kb.get(entry_id, "zh")[0].learned


def test_an_accepted_draft_teaches_its_entry_the_buyer_message(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, store: ChromaStore, fake_embedder: HashingEmbedder,
    versions: KnowledgeVersions,
) -> None:
    before = len(fake_embedder.calls)

    got = send(history, learner, kb, "  包裹三天了  还没动静 ")

    assert got == Learned("ship-001", "zh", "包裹三天了 还没动静")
    assert learned(kb) == ("包裹三天了 还没动静",)
    assert fake_embedder.calls[before:] == [1]  # only the new text was embedded
    assert versions.list()[0].reason == "learned an example for ship-001@zh"
    # matched like an example question: the message itself is now the entry's closest facet
    hit = store.query(fake_embedder.embed_queries(["包裹三天了 还没动静"])[0], 1, EntryFilter(locale="zh"))[0]
    assert (hit.entry.id, round(hit.score, 4)) == ("ship-001", 1.0)


def test_the_log_keeps_the_answer_mode_and_the_answering_entry(history: DraftLog) -> None:
    from_entry = history.get(logged(history, "快递呢"), shop=SHOP)
    holding = history.get(logged(history, "快递呢", mode="holding"), shop=SHOP)

    assert (from_entry.answer_mode, from_entry.source_id) == ("entry", "ship-001")
    assert (holding.answer_mode, holding.source_id) == ("holding", None)


@pytest.mark.parametrize(("final_text", "teaches"), [
    (REPLY[:-1] + "～谢谢亲", True),  # 4 characters of 43: light
    (REPLY[:35], True),  # 8 of 43, under a fifth (8.6)
    (REPLY[:34], False),  # 9 of 43
    ("亲，这个问题我帮您转给售后同事处理。", False),  # rewritten
])
def test_an_edited_draft_teaches_only_when_lightly_edited(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, final_text: str, teaches: bool
) -> None:
    got = send(history, learner, kb, "怎么还不发货", "edited", final_text=final_text)

    assert (got is not None) == teaches
    assert learned(kb) == (("怎么还不发货",) if teaches else ())


@pytest.mark.parametrize("mode", ["holding", "playbook", "situation"])
def test_drafts_not_answered_by_an_entry_teach_nothing(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, mode: AnswerMode
) -> None:
    assert send(history, learner, kb, "怎么还不发货", mode=mode) is None
    assert learned(kb) == ()


def test_a_rejected_draft_teaches_nothing(history: DraftLog, learner: Learner, kb: KnowledgeBase) -> None:
    assert send(history, learner, kb, "怎么还不发货", "rejected", reason="答非所问") is None
    assert learned(kb) == ()


def test_the_newest_examples_are_kept_up_to_the_cap(
    history: DraftLog, learner: Learner, kb: KnowledgeBase
) -> None:
    messages = [f"第{n}次问快递去哪了" for n in range(MAX_LEARNED + 5)]

    for message in messages:
        assert send(history, learner, kb, message) is not None

    assert learned(kb) == tuple(messages[-MAX_LEARNED:])


@pytest.mark.parametrize("message", [
    "我的快递怎么还没到？",  # the question
    "物流一直不更新",  # an example
    " 物流一直不更新\n",  # the same, spaced otherwise
    "WHERE   is it",  # learned already, in other case and spacing
])
def test_what_the_entry_already_asks_is_not_learned_again(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, versions: KnowledgeVersions, message: str
) -> None:
    assert kb.learn("ship-001", "zh", "where is it") is not None
    latest = versions.list()[0].number

    assert send(history, learner, kb, message) is None
    assert learned(kb) == ("where is it",)
    assert versions.list()[0].number == latest  # nothing changed, no new version


@pytest.mark.parametrize("message", [
    "订单123456怎么还没发货",  # an order number
    "我电话13812345678，快递到哪了",  # a phone number
    "快递到了发我邮箱 buyer.one@example.com 谢谢",
    "快递" * 61,  # longer than a question
])
def test_messages_with_personal_data_or_too_long_are_not_learned(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, message: str
) -> None:
    assert send(history, learner, kb, message) is None
    assert kb.learn("ship-001", "zh", message) is None
    assert learned(kb) == ()


def test_a_short_number_is_not_personal_data(kb: KnowledgeBase) -> None:
    assert kb.learn("ship-001", "zh", "买了2件12345号色的，什么时候发") is not None


def test_a_failure_to_learn_is_logged_not_raised(
    history: DraftLog, learner: Learner, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    draft_id = logged(history, "快递呢")
    kb.delete("ship-001")  # the entry went away before the agent sent the draft
    saved = history.feedback(draft_id, "accepted", shop=SHOP)

    with caplog.at_level(logging.ERROR, logger="draftdesk.learning"):
        assert learner.after_feedback(saved, kb, shop=SHOP) is None

    assert f"could not learn from draft {draft_id}" in caplog.text
    assert [f.action for f in history.get(draft_id, shop=SHOP).feedback] == ["accepted"]


def test_reindexing_the_sample_file_keeps_what_was_learned(
    tmp_path: Path, store: ChromaStore, indexer: Indexer, versions: KnowledgeVersions
) -> None:
    kb = KnowledgeBase(store, indexer, versions)
    faq = tmp_path / "faq.zh.jsonl"
    shutil.copy(SAMPLE_KB / "faq.zh.jsonl", faq)
    kb.index_paths([faq])
    kb.learn("ship-001", "zh", "包裹三天了还没动静")

    again = kb.index_paths([faq])
    faq.write_text(faq.read_text(encoding="utf-8").replace("请耐心等待", "请您耐心等待", 1), encoding="utf-8")
    changed = kb.index_paths([faq])

    assert (again.updated, again.added) == (0, 0)
    assert changed.keys["updated"] == ["ship-001@zh"]
    assert learned(kb) == ("包裹三天了还没动静",)
    assert "请您耐心等待" in kb.get("ship-001", "zh")[0].answer


def test_unlearn_removes_an_example_and_records_a_version(
    kb: KnowledgeBase, store: ChromaStore, versions: KnowledgeVersions
) -> None:
    kb.learn("ship-001", "zh", "包裹三天了还没动静")
    kb.learn("ship-001", "zh", "快递到哪了")

    first = kb.unlearn("ship-001", "zh", "包裹三天了还没动静")
    last = kb.unlearn("ship-001", "zh", "  快递到哪了 ")  # the last one: the entry is left with none

    assert first.learned == ("快递到哪了",) and last.learned == ()
    assert learned(kb) == ()
    assert {facet for facet, _, _ in store.vectors(["ship-001@zh"])} == {"q", "a", "x0"}
    assert versions.list()[0].reason == "removed a learned example from ship-001@zh"
    assert versions.list()[0].digest == versions.list()[-1].digest  # as it was before anything was learned


def test_unlearning_what_is_not_there_is_not_found(kb: KnowledgeBase) -> None:
    kb.learn("ship-001", "zh", "快递到哪了")

    with pytest.raises(ExampleNotFoundError, match="no learned example '物流一直不更新'"):
        kb.unlearn("ship-001", "zh", "物流一直不更新")  # an example from the file, not a learned one
    with pytest.raises(EntryNotFoundError):
        kb.unlearn("ship-404", "zh", "快递到哪了")
    with pytest.raises(EntryNotFoundError):
        kb.unlearn("ship-001", "en", "快递到哪了")
    assert learned(kb) == ("快递到哪了",)


def test_a_rollback_restores_the_examples_learned_by_then(kb: KnowledgeBase, versions: KnowledgeVersions) -> None:
    before = versions.list()[0].number
    kb.learn("ship-001", "zh", "快递到哪了")

    versions.rollback(before)

    assert learned(kb) == ()


def test_an_entry_from_a_file_with_learned_examples_keeps_them_as_given(kb: KnowledgeBase) -> None:
    kb.learn("ship-001", "zh", "快递到哪了")

    kb.index_rows([{**ROWS[0], "learned": ["发货了吗"]}])

    assert learned(kb) == ("发货了吗",)
