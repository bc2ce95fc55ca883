"""Drafting fixtures: a few zh/en entries indexed with the hashing embedder into a real Chroma in a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from drafting.answerability import Answerability, load_answerability
from drafting.authority import load_authority
from drafting.calendar import AlwaysOpen
from drafting.escalation import Escalator, load_escalation_rules
from drafting.intent import IntentFinder, NoIntents
from drafting.llm.base import ChatModel
from drafting.macros import NoMacros
from drafting.notices import NoNotices
from drafting.playbooks import PlaybookMatcher, load_playbooks
from drafting.policy import PolicyChecker, load_rules
from drafting.presale import NoCatalog
from drafting.question_types import QuestionTypes, load_question_types
from drafting.service import DraftService
from drafting.situations import load_situations
from drafting.writers import ModelWriter, TemplateWriter, Writer
from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.retrieval import Retriever
from tests.fakes import HashingEmbedder

IN_SALE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # inside the 618 announcement's window
AFTER_SALE = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # after it expired
THRESHOLD = 0.3  # the hashing embedder scores shared words, not meaning: far lower than e5's cosines

ROWS: list[dict[str, Any]] = [
    {"id": "ship-001", "locale": "zh", "tags": ["logistics", "delivery_delay"],
     "question": "我的快递怎么还没到？物流一直不更新怎么办？",
     "answer": "亲，日常订单一般在付款后48小时内发出，物流信息可能延迟约24小时才更新，请耐心等待。"},
    {"id": "ship-001", "locale": "en", "tags": ["logistics", "delivery_delay"],
     "question": "Where is my parcel? Why hasn't my package arrived yet?",
     "answer": "Hi, orders ship within 48 hours of payment and tracking can lag by about 24 hours."},
    {"id": "ret-001", "locale": "zh", "tags": ["return_refund"],
     "question": "支持七天无理由退货吗？",
     "answer": "支持。商品签收后7天内，商品完好即可申请七天无理由退货。"},
    {"id": "ret-001", "locale": "en", "tags": ["return_refund"],
     "question": "Do you offer 7-day no-reason returns?",
     "answer": "Yes. Within 7 days of delivery you can return items in resellable condition."},
    {"id": "ann-618", "locale": "zh", "kind": "announcement", "tags": ["delivery_delay"],
     "title": "618发货延迟通知", "question": "618期间快递会延迟吗？",
     "answer": "618活动期间仓库发货时间调整为付款后72小时内。",
     "valid_from": "2026-06-01T00:00:00+08:00", "valid_until": "2026-06-20T00:00:00+08:00"},
    {"id": "ann-618", "locale": "en", "kind": "announcement", "tags": ["delivery_delay"],
     "title": "618 shipping notice", "question": "Will my parcel be delayed during the 618 sale?",
     "answer": "During the 618 sale, orders ship within 72 hours of payment.",
     "valid_from": "2026-06-01T00:00:00+08:00", "valid_until": "2026-06-20T00:00:00+08:00"},
]

ANSWERS = {(r["id"], r["locale"]): r["answer"] for r in ROWS}


@pytest.fixture
def retriever(fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer) -> Retriever:
    indexer.index([Entry.model_validate(r) for r in ROWS])
    return Retriever(fake_embedder, store, thresholds={"zh": THRESHOLD, "en": THRESHOLD}, top_k=4)


def default_service(
    retriever: Retriever, chat: ChatModel | None = None, *, at: datetime = AFTER_SALE, shop_name: str = "",
    intents: IntentFinder | None = None, policy: PolicyChecker | None = None,
) -> DraftService:
    """A service on the rule files shipped in drafting/rules/, at `at`, with no calendar, announcements, macros or
    intent classifier (unless given) and, without `chat`, the template writer: the product has no defaults."""
    authority = load_authority()
    policy = policy or PolicyChecker(load_rules(), authority)
    types = QuestionTypes(load_question_types())
    writer: Writer = TemplateWriter() if chat is None else ModelWriter(chat, policy, authority, shop_name=shop_name)
    return DraftService(
        retriever, writer=writer, clock=lambda: at, intents=intents or NoIntents(), policy=policy,
        authority=authority, escalator=Escalator(load_escalation_rules(), authority), situations=load_situations(),
        notices=NoNotices(), calendar=AlwaysOpen(), macros=NoMacros(), types=types,
        answerability=Answerability(load_answerability(), types),
        playbooks=PlaybookMatcher(load_playbooks(), authority), presale=NoCatalog(),
    )


MakeService = Callable[..., DraftService]


@pytest.fixture
def make_service(retriever: Retriever) -> Iterator[MakeService]:
    def make(chat: ChatModel | None = None, *, at: datetime = AFTER_SALE) -> DraftService:
        return default_service(retriever, chat, at=at, shop_name="晴川家居")

    yield make
