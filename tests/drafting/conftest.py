"""Drafting fixtures: a few zh/en entries indexed with the hashing embedder into a real Chroma in a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from drafting.llm.base import ChatModel
from drafting.service import DraftService
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


MakeService = Callable[..., DraftService]


@pytest.fixture
def make_service(retriever: Retriever) -> Iterator[MakeService]:
    def make(chat: ChatModel | None = None, *, at: datetime = AFTER_SALE) -> DraftService:
        return DraftService(retriever, chat, shop_name="晴川家居", clock=lambda: at)

    yield make
