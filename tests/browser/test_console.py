"""The web console in headless Chromium against a live server: the agent drafts with Ctrl+Enter and accepts with
Alt+A (the feedback is logged), a knowledge owner previews an upload's diff before publishing it, and QA opens
and compares eval runs. With `--screenshots DIR` (make screenshots) each view is saved as DIR/console-*.png."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from api import create_app
from api.routes.console import WEB_DIR
from composition.settings import Settings
from tests.api.conftest import ROWS
from tests.browser.conftest import serve_app
from tests.conftest import MODEL_CACHE
from tests.fakes import HashingEmbedder

STRINGS: dict[str, dict[str, str]] = json.loads((WEB_DIR / "i18n.json").read_text(encoding="utf-8"))
Shoot = Callable[[Page, str], None]
PROMO = {"id": "promo-901", "locale": "zh", "tags": ["coupon"], "question": "双十一满减券和店铺券可以叠加吗？",
         "answer": "亲，双十一期间满300减50的跨店满减可以和店铺券叠加使用，结算页会自动计算优惠金额。"}


def write_run(runs: Path, name: str, metrics: dict[str, float], finished: str) -> None:
    run = runs / name
    run.mkdir(parents=True)
    summary = {"cases": 24, "metrics": metrics, "lower_is_better": ["compliance_violations", "latency_p95_ms"],
               "run": {"pipeline": name.rsplit("-", 1)[-1], "dataset": {"name": "promo"}, "finished_at": finished}}
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run / "results.jsonl").write_text("", encoding="utf-8")
    (run / "report.html").write_text(f"<!doctype html><title>{name}</title><h1>Eval report: {name}</h1>",
                                     encoding="utf-8")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own (the knowledge flow writes to it) with a runs directory holding two small runs."""
    runs = tmp_path_factory.mktemp("runs")
    write_run(runs, "promo-baseline", {"hit@1": 0.62, "hit@3": 0.71, "similarity": 0.88, "compliance_violations": 0.0,
                                       "latency_p95_ms": 12.0}, "2026-12-01T10:00:00+00:00")
    write_run(runs, "promo-draftdesk", {"hit@1": 0.86, "hit@3": 0.91, "similarity": 0.95,
                                        "compliance_violations": 0.0, "latency_p95_ms": 121.6},
              "2026-12-02T10:00:00+00:00")
    settings = Settings(data_dir=tmp_path_factory.mktemp("console-data"), model_cache_dir=MODEL_CACHE,
                        llm="template", threshold_zh=0.3, threshold_en=0.3, runs_dir=runs)
    with serve_app(create_app(settings, embedder=HashingEmbedder())) as url:
        assert httpx.post(f"{url}/v1/knowledge", json={"entries": ROWS}, timeout=30).status_code == 200
        yield url


def draft_via_keyboard(page: Page, message: str) -> dict[str, Any]:
    """The console streams drafts (POST /v1/drafts/stream); the last server-sent event holds the draft."""
    page.locator("#message").fill(message)
    with page.expect_response(lambda r: r.url.endswith("/v1/drafts/stream")) as answer:
        page.locator("#message").press("Control+Enter")
    expect(page.locator("#result")).to_be_visible()
    last = answer.value.text().strip().split("\n\n")[-1]
    assert last.startswith("event: draft\n"), last
    draft: dict[str, Any] = json.loads(last.split("data: ", 1)[1])
    return draft


def test_agent_drafts_reads_a_source_and_accepts_from_the_keyboard(page: Page, live_server: str,
                                                                  screenshot: Shoot) -> None:
    zh = STRINGS["zh"]
    page.goto(f"{live_server}/?lang=zh")
    page.locator("#order-fields summary").click()
    page.locator("#order-id").fill("TB1002")
    page.locator("#order-status").select_option("in_transit")
    page.locator("#order-carrier").fill("圆通")
    page.locator("#order-tracking").fill("YT8899001")

    draft = draft_via_keyboard(page, "我的快递怎么还没到")

    expect(page.locator("#draft-text")).to_have_value(draft["draft"])
    expect(page.locator("#citations")).to_contain_text("ship-001")
    expect(page.locator("#intent")).to_have_text(zh["intent.logistics"])
    expect(page.locator("#compliance")).to_contain_text(zh["result.compliance_passed"])
    page.locator("#citations button.citation").first.click()
    expect(page.locator("#source-panel")).to_be_visible()
    expect(page.locator("#source-body")).to_contain_text("48小时内发出")
    screenshot(page, "console-agent")
    page.keyboard.press("Escape")
    expect(page.locator("#source-panel")).to_be_hidden()

    page.locator("#draft-text").focus()
    page.keyboard.press("Alt+KeyA")

    expect(page.locator("#feedback-status")).to_have_text(zh["feedback.sent_accepted"])
    expect(page.locator("#accept-btn")).to_be_disabled()
    logged = httpx.get(f"{live_server}/v1/drafts/{draft['id']}").json()
    assert [f["action"] for f in logged["feedback"]] == ["accepted"]


def test_an_edited_draft_is_sent_as_edited_and_a_rejection_carries_its_reason(page: Page, live_server: str) -> None:
    en = STRINGS["en"]
    page.goto(f"{live_server}/?lang=en")
    edited = draft_via_keyboard(page, "Where is my parcel? It still has not arrived.")
    page.locator("#draft-text").fill("Your parcel ships within 48 hours; tracking can lag a day.")
    page.keyboard.press("Alt+KeyA")
    expect(page.locator("#feedback-status")).to_have_text(en["feedback.sent_edited"])

    rejected = draft_via_keyboard(page, "Where is my parcel?")
    page.keyboard.press("Alt+KeyR")
    expect(page.locator("#reject-reason")).to_be_focused()
    page.keyboard.type("wrong order")
    page.keyboard.press("Enter")
    expect(page.locator("#feedback-status")).to_have_text(en["feedback.sent_rejected"])

    first = httpx.get(f"{live_server}/v1/drafts/{edited['id']}").json()["feedback"][-1]
    second = httpx.get(f"{live_server}/v1/drafts/{rejected['id']}").json()["feedback"][-1]
    assert (first["action"], first["final_text"]) == ("edited", "Your parcel ships within 48 hours; tracking can "
                                                                "lag a day.")
    assert (second["action"], second["reason"]) == ("rejected", "wrong order")


def test_knowledge_owner_previews_the_diff_then_publishes(page: Page, console_server: str,
                                                          screenshot: Shoot) -> None:
    en = STRINGS["en"]
    page.goto(f"{console_server}/knowledge?lang=en")
    expect(page.locator("#entry-table tbody tr")).to_have_count(len(ROWS))
    answers = page.locator('#entry-table tr[data-key="ship-001@zh"] .answers')  # what the entry answers, inferred
    expect(answers).to_contain_text(en["kb.answers_inferred"].strip())
    expect(answers).to_contain_text("logistics")
    changed = {**ROWS[0], "answer": "亲，大促期间72小时内发出。"}
    upload = "\n".join(json.dumps(r, ensure_ascii=False) for r in (changed, PROMO)).encode()
    page.locator("#kb-file").set_input_files(files=[{"name": "promo.jsonl", "mimeType": "application/jsonl",
                                                     "buffer": upload}])
    page.locator("#kb-prune").uncheck()  # the seeded rows came from the API, not from this file
    page.locator("#preview-btn").click()

    expect(page.locator("#keys-added")).to_have_text("promo-901@zh")
    expect(page.locator("#keys-updated")).to_have_text("ship-001@zh")
    expect(page.locator("#keys-deleted")).to_have_text(en["diff.none"])
    assert httpx.get(f"{console_server}/v1/knowledge/promo-901").status_code == 404  # a preview writes nothing

    page.locator("#ann-publish summary").click()
    page.locator("#ann-title").fill("新疆地区快递延迟")
    page.locator("#ann-body").fill("受降雪影响，发往新疆的包裹预计延迟3-5天送达。")
    page.locator("#ann-until").fill("2099-01-20T00:00")
    page.locator("#ann-regions").fill("新疆")
    page.locator("#ann-form button[type=submit]").click()
    expect(page.locator("#ann-table tbody")).to_contain_text("新疆地区快递延迟")
    expect(page.locator("#ann-table tbody")).to_contain_text(en["state.active"])
    screenshot(page, "console-knowledge")

    page.locator("#publish-btn").click()
    expect(page.locator("#upload-status")).to_have_text(en["kb.published"].format(added=1, updated=1, deleted=0))
    page.locator("#entry-id").fill("promo-901")
    page.locator("#entry-id").press("Enter")
    expect(page.locator("#entry-table tbody tr")).to_have_count(1)
    expect(page.locator('#entry-table tr[data-key="promo-901@zh"]')).to_be_visible()

    reply = httpx.post(f"{console_server}/v1/drafts", json={"message": PROMO["question"], "platform": "taobao"})
    assert "promo-901" in [c["id"] for c in reply.json()["citations"]]


def test_qa_lists_runs_opens_a_report_and_compares(page: Page, console_server: str, screenshot: Shoot) -> None:
    page.goto(f"{console_server}/qa?lang=en")
    expect(page.locator("#runs-table tbody tr")).to_have_count(2)
    expect(page.locator('tr[data-run="promo-draftdesk"]')).to_contain_text("0.860")

    with page.expect_popup() as popup:
        page.locator('tr[data-run="promo-draftdesk"] a').click()
    expect(popup.value.locator("h1")).to_have_text("Eval report: promo-draftdesk")
    popup.value.close()

    page.locator("#compare-a").select_option("promo-baseline")
    page.locator("#compare-b").select_option("promo-draftdesk")
    page.locator("#compare button[type=submit]").click()

    expect(page.locator("#compare-table")).to_be_visible()
    expect(page.locator("#compare-table tr.better")).to_have_count(3)
    expect(page.locator("#compare-table tr.worse")).to_contain_text("latency_p95_ms")
    screenshot(page, "console-qa")
