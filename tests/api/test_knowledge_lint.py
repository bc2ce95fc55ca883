"""The knowledge upload (and its preview) lists the entries whose answer breaks a platform's rules, by rule."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

ROWS = [
    {"id": "contact-001", "locale": "en", "question": "How can I reach you?",
     "answer": "Call us at (555) 123-4567 or write to support@example.com."},
    {"id": "pay-001", "locale": "zh", "platform": "taobao", "question": "怎么付款？",
     "answer": "请访问 http://evil.cn/pay 付款。"},
    {"id": "ship-001", "locale": "en", "question": "When do you ship?", "answer": "Orders ship within 48 hours."},
]


def test_the_upload_preview_lists_entries_that_break_a_platforms_rules_by_rule(client: TestClient) -> None:
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS).encode()

    body = client.post("/v1/knowledge?dry_run=true",
                       files={"file": ("faq.jsonl", data, "application/octet-stream")}).json()

    assert body["dry_run"] is True
    assert set(body["compliance"]) == {"phone_number", "off_platform_contact", "email", "external_link"}
    assert {(f["key"], f["platform"]) for f in body["compliance"]["phone_number"]} == {
        ("contact-001@en", p) for p in ("taobao", "pdd", "jd", "amazon")}
    assert body["compliance"]["external_link"] == [
        {"key": "pay-001@zh", "platform": "taobao", "span": "http://evil.cn/pay"}]
    assert "ship-001@en" not in json.dumps(body["compliance"])


def test_json_entries_are_linted_too(client: TestClient) -> None:
    body = client.post("/v1/knowledge", json={"entries": ROWS[1:]}).json()

    assert list(body["compliance"]) == ["external_link"]
