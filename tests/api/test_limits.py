"""Request limits on the real app: body size (413), rows per upload (400), per-key rate (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.limits import RateLimiter
from composition.settings import Settings
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder


def test_a_body_over_the_limit_is_a_413(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    settings = configure(fake_settings, max_body_bytes=4096)
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        big = {"message": "我的快递" * 2000, "platform": "taobao"}
        message = assert_error(client.post("/v1/drafts", json=big), 413, "payload_too_large")
        assert "4096 bytes" in message
        assert client.post("/v1/drafts", json={"message": "在吗", "platform": "taobao"}).status_code == 200


def test_too_many_rows_index_nothing(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    settings = configure(fake_settings, max_upload_rows=3)
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        message = assert_error(client.post("/v1/knowledge", json={"entries": ROWS}), 400, "invalid_file")
        assert f"{len(ROWS)} entries; one upload may hold at most 3" in message
        assert client.get("/v1/knowledge").json()["total"] == 0
        assert client.post("/v1/knowledge", json={"entries": ROWS[:3]}).status_code == 200


@pytest.fixture
def limited(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[tuple[TestClient, str, str]]:
    settings = configure(fake_settings, auth="on", rate_limit_per_minute=3)
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        store = client.app.state.components.keys  # type: ignore[attr-defined]
        yield client, store.create("agent")[1], store.create("agent")[1]


def test_each_key_has_its_own_rate(limited: tuple[TestClient, str, str]) -> None:
    client, first, second = limited
    ask = {"message": "在吗", "platform": "taobao"}

    answers = [client.post("/v1/drafts", json=ask, headers={"Authorization": f"Bearer {first}"}) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_error(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert client.post("/v1/drafts", json=ask, headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_the_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second, bursts of 60

    assert all(limiter.take("k") is None for _ in range(60))
    wait = limiter.take("k")
    assert wait is not None and 0.9 < wait <= 1.0
    now[0] += 1.0
    assert limiter.take("k") is None
    assert RateLimiter(0).take("k") is None  # 0: no limit


def test_a_chunked_body_over_the_limit_is_a_413(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    """No Content-Length to refuse up front: the body grows past the limit as it is read."""
    settings = configure(fake_settings, max_body_bytes=4096)

    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(10):
            yield "我的快递".encode() * 200
        yield b'", "platform": "taobao"}'

    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        response = client.post("/v1/drafts", content=chunks(), headers={"content-type": "application/json"})
        upload = client.post("/v1/knowledge", content=chunks(), headers={"content-type": "multipart/form-data; "
                                                                          "boundary=x"})
    assert "4096 bytes" in assert_error(response, 413, "payload_too_large")
    assert_error(upload, 413, "payload_too_large")
