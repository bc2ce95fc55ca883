"""/metrics (Prometheus), request ids (X-Request-ID) and the structured log lines that carry them."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from api.logs import configure_logging
from composition.settings import Settings
from tests.api.conftest import ASK, COMPLETIONS, configure
from tests.fakes import HashingEmbedder


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_by_route_template_and_drafts_by_provider(seeded: TestClient) -> None:
    assert seeded.post("/v1/drafts", json=ASK).status_code == 200
    seeded.get("/v1/knowledge/ship-001")
    seeded.get("/no/such/page")

    found = samples(seeded)

    assert value(found, "draftdesk_http_requests_total", method="POST", route="/v1/drafts", status="200") == 1
    assert value(found, "draftdesk_http_requests_total", method="GET", route="/v1/knowledge/{entry_id}",
                 status="200") == 1  # the template, not the raw path
    assert value(found, "draftdesk_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(found, "draftdesk_http_request_duration_seconds_count", method="POST", route="/v1/drafts") == 1
    assert value(found, "draftdesk_drafts_total", provider="template", degraded="false", needs_human="false") == 1
    assert value(found, "draftdesk_retrieval_confidence_count") == 1
    assert value(found, "draftdesk_retrieval_confidence_sum") > 0.3


def test_a_low_confidence_draft_counts_its_reason(seeded: TestClient) -> None:
    seeded.post("/v1/drafts", json={"message": "zzz qqq xxx", "platform": "taobao", "locale": "en"})

    found = samples(seeded)

    assert value(found, "draftdesk_drafts_total", provider="template", degraded="false", needs_human="true") == 1
    assert value(found, "draftdesk_draft_reasons_total", code="low_confidence") == 1


@pytest.mark.respx(assert_all_called=True)
def test_metrics_count_a_fallback_to_the_template(llm_client: TestClient, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(side_effect=httpx.ConnectTimeout("connect timed out"))

    assert llm_client.post("/v1/drafts", json=ASK).json()["degraded"] is True
    found = samples(llm_client)

    assert value(found, "draftdesk_llm_fallbacks_total", reason="llm_unavailable") == 1
    assert value(found, "draftdesk_drafts_total", provider="template", degraded="true", needs_human="false") == 1


def test_each_app_has_its_own_registry(seeded: TestClient, fake_settings: Settings) -> None:
    seeded.post("/v1/drafts", json=ASK)
    other = configure(fake_settings, data_dir=fake_settings.data_dir / "other")

    with TestClient(create_app(other, embedder=HashingEmbedder())) as client:
        assert value(samples(client), "draftdesk_drafts_total", provider="template", degraded="false",
                     needs_human="false") == 0
    assert value(samples(seeded), "draftdesk_drafts_total", provider="template", degraded="false",
                 needs_human="false") == 1


def test_a_sane_request_id_is_echoed_and_anything_else_replaced(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b"}).headers["x-request-id"] == "trace-42.a:b"
    for bad in ["has space", "x" * 200, "<script>"]:
        assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz", headers={"X-Request-ID": bad})
                            .headers["x-request-id"])
    first, second = (client.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_log_records_of_a_request_carry_its_id(seeded: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="draftdesk"):
        response = seeded.post("/v1/drafts", json=ASK, headers={"X-Request-ID": "req-7"})

    assert response.headers["x-request-id"] == "req-7"
    draft = next(r for r in caplog.records if r.getMessage() == "draft by template")  # logged in a worker thread
    access = next(r for r in caplog.records if r.name == "draftdesk.api.access")
    assert draft.request_id == access.request_id == "req-7"  # type: ignore[attr-defined]
    assert (access.status, access.route) == (200, "/v1/drafts")  # type: ignore[attr-defined]
    assert draft.reasons == [] and draft.provider == "template"  # type: ignore[attr-defined]


def test_json_logs_are_one_object_a_line_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("json")
        from api.logs import request_id
        token = request_id.set("req-9")
        logging.getLogger("draftdesk.test").info("用了模板 %s", "draft", extra={"status": 200})
        request_id.reset(token)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])

    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "用了模板 draft" and line["request_id"] == "req-9" and line["status"] == 200
    assert {"time", "level", "logger"} <= set(line)
