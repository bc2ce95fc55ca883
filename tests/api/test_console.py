"""The web console through the real app: pages in zh and en, static files, the upload preview (dry run) and
publishing, eval runs listed and compared, and report.html served only from inside runs_dir."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.routes.console import WEB_DIR
from composition.settings import Settings
from tests.api.conftest import ROWS, configure, total
from tests.fakes import HashingEmbedder

STRINGS: dict[str, dict[str, str]] = json.loads((WEB_DIR / "i18n.json").read_text(encoding="utf-8"))
PAGES = ("/", "/knowledge", "/analytics", "/qa")


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def write_run(runs: Path, name: str, metrics: dict[str, float | None], *, report: bool = True,
              lower: list[str] | None = None) -> Path:
    run = runs / name
    run.mkdir(parents=True)
    summary: dict[str, Any] = {"cases": 3, "metrics": metrics,
                               "run": {"pipeline": "draftdesk", "dataset": {"name": "promo"},
                                       "finished_at": f"2026-12-0{len(list(runs.iterdir()))}T10:00:00+00:00"}}
    if lower is not None:
        summary["lower_is_better"] = lower
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run / "results.jsonl").write_text("", encoding="utf-8")
    if report:
        (run / "report.html").write_text(f"<html><body><h1>report {name}</h1></body></html>", encoding="utf-8")
    return run


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    return runs


@pytest.fixture
def console(fake_settings: Settings, fake_embedder: HashingEmbedder, runs_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(configure(fake_settings, runs_dir=runs_dir), embedder=fake_embedder)) as client:
        yield client


# --- pages and strings ---------------------------------------------------------------------------------------


def test_every_ui_string_exists_in_both_languages() -> None:
    assert set(STRINGS) == {"zh", "en"}
    assert STRINGS["zh"].keys() == STRINGS["en"].keys()
    for lang, strings in STRINGS.items():
        assert all(value.strip() for value in strings.values()), lang


def test_scripts_use_only_keys_that_exist() -> None:
    """UI text in the scripts goes through t("key"): every literal key is in the dictionary."""
    for script in (WEB_DIR / "static").glob("*.js"):
        keys = re.findall(r"""\bt\(\s*["']([\w./-]+)["']""", script.read_text(encoding="utf-8"))
        assert keys, script.name
        missing = [key for key in keys if key not in STRINGS["en"]]
        assert not missing, f"{script.name}: {missing}"
    families = {"intent": 16, "status": 7, "kind": 4, "state": 4, "platform": 5, "role": 3, "verdict": 4}
    for family, count in families.items():
        assert sum(key.startswith(f"{family}.") for key in STRINGS["en"]) == count, family


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_render_in_each_language(console: TestClient, path: str, lang: str) -> None:
    response = console.get(path, params={"lang": lang})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert STRINGS[lang]["page.agent"] in page and STRINGS[lang]["page.qa"] in page
    blob = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', page, re.S)
    assert blob and json.loads(blob.group(1)) == STRINGS[lang]  # the scripts' strings, in the page's language
    assert "/static/common.js" in page
    assert response.cookies.get("draftdesk_lang") == lang  # the toggle's choice is remembered


def test_language_from_accept_language_then_the_cookie(console: TestClient) -> None:
    english = console.get("/", headers={"accept-language": "en-GB,en;q=0.9,zh;q=0.5"})
    chinese = console.get("/", headers={"accept-language": "fr, zh-CN;q=0.8"})
    default = console.get("/", headers={"accept-language": "fr"})

    assert STRINGS["en"]["agent.heading"] in english.text
    assert STRINGS["zh"]["agent.heading"] in chinese.text
    assert STRINGS["zh"]["agent.heading"] in default.text
    console.get("/knowledge", params={"lang": "en"})
    assert STRINGS["en"]["kb.upload_heading"] in console.get("/knowledge").text  # the cookie now


def test_the_agent_page_shows_the_keyboard_shortcuts(console: TestClient) -> None:
    page = console.get("/", params={"lang": "en"}).text
    for shortcut in ("Ctrl+Enter", "Alt+C", "Alt+A", "Alt+R"):
        assert f"<kbd>{shortcut}</kbd>" in page


@pytest.mark.parametrize(
    "name", ["console.css", "common.js", "agent.js", "knowledge.js", "versions.js", "analytics.js"])
def test_static_files_are_served(console: TestClient, name: str) -> None:
    response = console.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.text == (WEB_DIR / "static" / name).read_text(encoding="utf-8")


def test_pages_stay_out_of_the_openapi_schema(console: TestClient) -> None:
    paths = console.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/qa" not in paths and "/v1/drafts" in paths


# --- knowledge: preview the diff, then publish --------------------------------------------------------------


def test_dry_run_upload_reports_the_diff_and_writes_nothing(console: TestClient) -> None:
    first = [r for r in ROWS if r["locale"] == "zh"]
    assert console.post("/v1/knowledge", files={"file": ("faq.jsonl", jsonl(first))}).status_code == 200
    changed = [{**first[0], "answer": "亲，现在48小时内发货。"}, *first[1:2],
               {"id": "promo-001", "locale": "zh", "question": "双11满减怎么用？", "answer": "每满300减50。"}]
    before = console.get("/v1/knowledge", params={"limit": 500}).json()

    preview = console.post("/v1/knowledge", params={"dry_run": "true"},
                           files={"file": ("faq.jsonl", jsonl(changed))}, data={"prune": "true"})

    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] is True
    assert (body["added"], body["updated"], body["unchanged"], body["deleted"]) == (1, 1, 1, 1)
    assert body["keys"] == {"added": ["promo-001@zh"], "updated": ["ship-001@zh"], "deleted": ["inv-jd-001@zh"]}
    assert console.get("/v1/knowledge", params={"limit": 500}).json() == before  # nothing written

    published = console.post("/v1/knowledge", files={"file": ("faq.jsonl", jsonl(changed))}, data={"prune": "true"})

    assert published.status_code == 200
    assert {k: published.json()[k] for k in ("dry_run", "keys")} == {"dry_run": False, "keys": body["keys"]}
    assert console.get("/v1/knowledge/promo-001").status_code == 200
    assert console.get("/v1/knowledge/inv-jd-001").status_code == 404
    assert console.get("/v1/knowledge/ship-001", params={"locale": "zh"}).json()["entries"][0]["answer"] == (
        "亲，现在48小时内发货。")


def test_dry_run_of_json_entries(console: TestClient) -> None:
    response = console.post("/v1/knowledge?dry_run=true", json={"entries": ROWS})

    assert response.status_code == 200
    assert response.json()["added"] == len(ROWS) and response.json()["dry_run"] is True
    assert total(console) == 0


def test_a_bad_file_fails_the_preview_as_it_fails_the_upload(console: TestClient) -> None:
    response = console.post("/v1/knowledge?dry_run=true", files={"file": ("faq.jsonl", b'{"id": "x"}\nnot json\n')})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"


# --- QA: runs, reports, comparison ---------------------------------------------------------------------------


def test_runs_are_listed_with_their_key_metrics(console: TestClient, runs_dir: Path) -> None:
    write_run(runs_dir, "promo-baseline", {"hit@1": 0.5, "similarity": 0.8})
    write_run(runs_dir, "promo-draftdesk", {"hit@1": 0.875, "similarity": None})
    (runs_dir / "not-a-run").mkdir()
    (runs_dir / "broken").mkdir()
    (runs_dir / "broken" / "summary.json").write_text("{oops", encoding="utf-8")

    page = console.get("/qa", params={"lang": "en"}).text

    assert 'data-run="promo-draftdesk"' in page and 'data-run="promo-baseline"' in page
    assert page.index('data-run="promo-draftdesk"') < page.index('data-run="promo-baseline"')  # latest first
    assert "not-a-run" not in page
    assert 'data-run="broken"' in page and STRINGS["en"]["qa.unreadable"] in page
    assert "0.875" in page and "0.500" in page
    assert 'href="/qa/runs/promo-draftdesk/report.html"' in page


def test_no_runs_directory_shows_how_to_make_one(console: TestClient, runs_dir: Path) -> None:
    runs_dir.rmdir()
    page = console.get("/qa", params={"lang": "zh"}).text
    assert 'id="runs-empty"' in page and "draftdesk eval run" in page


def test_a_report_opens(console: TestClient, runs_dir: Path) -> None:
    write_run(runs_dir, "promo-draftdesk", {"hit@1": 1.0})

    response = console.get("/qa/runs/promo-draftdesk/report.html")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "report promo-draftdesk" in response.text


@pytest.mark.parametrize("name", ["..", "%2E%2E", "..%2Fsecret", "%2E%2E%2Fsecret", "secret", "no-report", "nope"])
def test_the_report_route_serves_nothing_outside_a_run(console: TestClient, runs_dir: Path, name: str) -> None:
    (runs_dir.parent / "report.html").write_text("outside", encoding="utf-8")
    (runs_dir.parent / "summary.json").write_text("{}", encoding="utf-8")
    secret = write_run(runs_dir.parent / "elsewhere", "secret", {"hit@1": 1.0})
    (runs_dir / "secret").symlink_to(secret)  # a link out of runs_dir
    write_run(runs_dir, "no-report", {"hit@1": 1.0}, report=False)

    response = console.get(f"/qa/runs/{name}/report.html")

    assert response.status_code == 404
    assert "outside" not in response.text and "report secret" not in response.text


def test_the_report_route_refuses_a_traversal_path(console: TestClient) -> None:
    for path in ("/qa/runs/../../etc/passwd", "/qa/runs/%2E%2E/%2E%2E/etc/passwd", "/qa/runs/a/../report.html"):
        assert console.get(path).status_code == 404


def test_two_runs_compare_metric_by_metric(console: TestClient, runs_dir: Path) -> None:
    lower = ["compliance_violations", "latency_p95_ms"]
    write_run(runs_dir, "a", {"hit@1": 0.5, "compliance_violations": 0.2, "latency_p95_ms": 10.0, "tone": 0.9},
              lower=lower)
    write_run(runs_dir, "b", {"hit@1": 0.75, "compliance_violations": 0.4, "latency_p95_ms": 10.0, "tone": None},
              lower=lower)

    page = console.get("/qa", params={"a": "a", "b": "b", "lang": "en"}).text

    table = page[page.index('id="compare-table"'):]
    found = {name: verdict for verdict, name in re.findall(r'<tr class="([\w/]+)"><td>([\w@]+)</td>', table)}
    assert found == {"hit@1": "better", "compliance_violations": "worse", "latency_p95_ms": "same", "tone": "n/a"}
    assert "+0.250" in table and "+0.200" in table
    assert "draftdesk eval compare" in table


def test_runs_without_directions_show_deltas_without_a_verdict(console: TestClient, runs_dir: Path) -> None:
    write_run(runs_dir, "old-a", {"hit@1": 0.5})
    write_run(runs_dir, "old-b", {"hit@1": 0.25})

    page = console.get("/qa", params={"a": "old-a", "b": "old-b"}).text

    assert '<tr class="n/a"><td>hit@1</td>' in page and "-0.250" in page


def test_comparing_an_unknown_run_says_so(console: TestClient, runs_dir: Path) -> None:
    write_run(runs_dir, "a", {"hit@1": 0.5})

    page = console.get("/qa", params={"a": "a", "b": "../etc", "lang": "en"}).text

    assert "No run called ../etc" in page and 'id="compare-table"' not in page
