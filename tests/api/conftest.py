"""API fixtures: the real app from `create_app`, the hashing embedder, a real Chroma under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from tests.fakes import HashingEmbedder

ROWS: list[dict[str, Any]] = [
    {"id": "ship-001", "locale": "zh", "tags": ["logistics", "delivery_delay"],
     "question": "我的快递怎么还没到？物流一直不更新怎么办？",
     "answer": "亲，日常订单一般在付款后48小时内发出，物流信息可能延迟约24小时才更新，请耐心等待。"},
    {"id": "ship-001", "locale": "en", "tags": ["logistics"],
     "question": "Where is my parcel? Why hasn't my package arrived yet?",
     "answer": "Orders ship within 48 hours of payment and tracking can lag by about 24 hours."},
    {"id": "ret-taobao-001", "locale": "zh", "platform": "taobao", "tags": ["return_refund"],
     "question": "淘宝订单怎么退货？", "answer": "在淘宝订单页面点击“申请售后”，选择退货退款即可。"},
    {"id": "inv-jd-001", "locale": "zh", "platform": "jd", "tags": ["invoice"],
     "question": "京东订单的发票在哪里看？", "answer": "在京东“我的订单”的订单详情页查看或下载发票。"},
    {"id": "pol-001", "locale": "en", "kind": "policy", "title": "Return shipping",
     "answer": "We pay return shipping for faulty, wrong or missing items."},
]


COMPLETIONS = "https://llm.test/v1/chat/completions"  # the mocked OpenAI-compatible endpoint of `llm_client`
ASK = {"message": "我的快递怎么还没到", "platform": "taobao", "order": {"id": "TB-9"}}


@pytest.fixture
def fake_settings(settings: Settings) -> Settings:
    """The hashing embedder scores shared words, not meaning: its thresholds sit far below e5's."""
    return configure(settings, threshold_zh=0.3, threshold_en=0.3)


def configure(settings: Settings, **changes: Any) -> Settings:
    """A validated copy (`model_copy(update=...)` would skip validation, leaving e.g. a str API key)."""
    return Settings(**{**settings.model_dump(), **changes})


@pytest.fixture
def client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(fake_settings, embedder=fake_embedder)) as test_client:
        yield test_client


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    response = client.post("/v1/knowledge", json={"entries": ROWS})
    assert response.status_code == 200, response.text
    return client


def assert_error(response: Any, status: int, code: str) -> str:
    """The one error shape: `{"error": {"code", "message"}}`; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return str(error["message"])


def total(client: TestClient, **params: Any) -> int:
    response = client.get("/v1/knowledge", params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


@pytest.fixture
def llm_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    settings = configure(
        fake_settings, llm="openai", llm_base_url="https://llm.test/v1", llm_api_key="k", llm_model="m",
        llm_max_retries=2, llm_timeout_s=5.0,
    )
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        assert client.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
        yield client
