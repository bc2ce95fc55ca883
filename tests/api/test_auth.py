"""API keys and roles on the real app (auth on): every endpoint checks its role; the console signs in with a key."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import create_app
from cli.main import app as cli
from composition.settings import Settings
from core.errors import ConfigError
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder

ROLES = ("agent", "knowledge_owner", "qa", "admin")
DRAFT = {"message": "我的快递怎么还没到", "platform": "taobao"}


@pytest.fixture
def secured(fake_settings: Settings) -> Settings:
    return configure(fake_settings, auth="on")


@pytest.fixture
def app_client(secured: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(secured, embedder=fake_embedder)) as client:
        yield client


@pytest.fixture
def keys(app_client: TestClient) -> dict[str, str]:
    store = app_client.app.state.components.keys  # type: ignore[attr-defined]
    return {role: store.create(role, label=f"test {role}")[1] for role in ROLES}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# (method, path, json body, roles allowed besides admin)
ENDPOINTS: list[tuple[str, str, object, set[str]]] = [
    ("POST", "/v1/drafts", DRAFT, {"agent"}),
    ("POST", "/v1/drafts/stream", DRAFT, {"agent"}),
    ("GET", "/v1/history", None, {"qa"}),
    ("GET", "/v1/analytics/volume", None, {"qa", "knowledge_owner"}),
    ("GET", "/v1/analytics/gaps", None, {"qa", "knowledge_owner"}),
    ("POST", "/v1/knowledge", {"entries": ROWS}, {"knowledge_owner"}),
    ("GET", "/v1/knowledge", None, {"agent", "knowledge_owner", "qa"}),
    ("GET", "/v1/knowledge/versions", None, {"knowledge_owner", "qa"}),
    ("GET", "/v1/knowledge/duplicates", None, {"knowledge_owner"}),
    ("GET", "/v1/announcements", None, {"agent", "knowledge_owner", "qa"}),
    ("GET", "/v1/calendar", None, {"agent", "knowledge_owner", "qa"}),
    ("GET", "/v1/macros", None, {"agent", "knowledge_owner"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_every_endpoint_checks_the_role(
    app_client: TestClient, keys: dict[str, str], method: str, path: str, body: object, allowed: set[str]
) -> None:
    assert_error(app_client.request(method, path, json=body), 401, "unauthorized")
    assert_error(app_client.request(method, path, json=body, headers=bearer("dd_nope_x")), 401, "unauthorized")
    for role in ROLES:
        response = app_client.request(method, path, json=body, headers=bearer(keys[role]))
        if role == "admin" or role in allowed:
            assert response.status_code < 400, (role, response.text)
        else:
            message = assert_error(response, 403, "forbidden")
            assert role in message


def test_health_needs_no_key(app_client: TestClient) -> None:
    assert app_client.get("/healthz").status_code == 200


def test_a_revoked_key_is_refused(app_client: TestClient, keys: dict[str, str]) -> None:
    store = app_client.app.state.components.keys  # type: ignore[attr-defined]
    key_id = keys["agent"].split("_")[1]
    assert app_client.post("/v1/drafts", json=DRAFT, headers=bearer(keys["agent"])).status_code == 200

    store.revoke(key_id)

    assert_error(app_client.post("/v1/drafts", json=DRAFT, headers=bearer(keys["agent"])), 401, "unauthorized")
    assert store.list()[0].last_used_at is not None  # use is recorded


def test_keys_are_stored_hashed(app_client: TestClient, keys: dict[str, str], secured: Settings) -> None:
    path = Path(str(secured.database).removeprefix("sqlite:///"))
    database = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    assert b"api_keys" in database and keys["agent"].split("_")[1].encode() in database  # the ids are there
    for key in keys.values():
        assert key.split("_", 2)[2].encode() not in database


def test_the_console_asks_for_a_key_then_signs_in(app_client: TestClient, keys: dict[str, str]) -> None:
    assert 'id="signin-form"' in app_client.get("/?lang=en").text
    assert_error(app_client.post("/console/session", json={"key": "dd_bad_key"}), 401, "unauthorized")

    signed = app_client.post("/console/session", json={"key": keys["qa"]})

    assert signed.status_code == 204
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = app_client.get("/qa?lang=en").text
    assert 'id="signin-form"' not in page
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token is not None
    assert app_client.get("/v1/history").status_code == 200  # the cookie carries the session
    console = {"Origin": "http://testserver", "X-CSRF-Token": token[1]}
    assert_error(app_client.post("/v1/drafts", json=DRAFT, headers=console), 403, "forbidden")  # qa may not draft
    app_client.delete("/console/session")
    assert_error(app_client.get("/v1/history"), 401, "unauthorized")


def test_keys_cli_create_list_revoke(secured: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(secured.data_dir))
    runner = CliRunner()

    created = runner.invoke(cli, ["keys", "create", "--role", "agent", "--shop", "qingchuan", "--json"])
    assert created.exit_code == 0, created.output
    body = json.loads(created.stdout)
    assert body["key"].startswith("dd_") and body["role"] == "agent" and body["shop"] == "qingchuan"
    listed = runner.invoke(cli, ["keys", "list"])
    assert f"{body['id']}\tagent\tqingchuan\tactive" in listed.stdout
    assert body["key"] not in listed.stdout
    assert runner.invoke(cli, ["keys", "revoke", body["id"]]).exit_code == 0
    assert f"{body['id']}\tagent\tqingchuan\trevoked" in runner.invoke(cli, ["keys", "list"]).stdout
    from cli.keys import key_stores

    actions = [(e.actor, e.action) for e in key_stores(secured)[1].recent(shop="qingchuan")]
    assert actions[:2] == [("cli", f"keys revoke {body['id']}"), ("cli", f"keys create {body['id']}")]
    bad = runner.invoke(cli, ["keys", "create", "--role", "boss"])
    assert bad.exit_code != 0 and "role must be one of" in bad.stderr
    missing = runner.invoke(cli, ["keys", "revoke", "nope"])
    assert missing.exit_code != 0 and "no API key 'nope'" in missing.stderr


def test_serve_refuses_a_public_interface_without_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])  # DRAFTDESK_AUTH=off in tests

    assert result.exit_code != 0
    assert "refusing to serve on 0.0.0.0" in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_the_app_itself_refuses_a_public_interface_without_keys(fake_settings: Settings, host: str) -> None:
    """`uvicorn api.app:create_app --factory` never passes through `draftdesk serve`."""
    with pytest.raises(ConfigError, match=f"refusing to serve on {re.escape(host)}"):
        create_app(configure(fake_settings, auth="off", host=host))
    create_app(configure(fake_settings, auth="off", host="localhost"))
    create_app(configure(fake_settings, auth="on", host=host))


def test_without_keys_a_connection_on_a_network_interface_is_refused(
    fake_settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    """A factory server bound to 0.0.0.0 with keys off still answers no one but loopback."""
    app = create_app(configure(fake_settings, auth="off"), embedder=fake_embedder)
    with TestClient(app, base_url="http://10.1.2.3:8000") as remote:
        assert_error(remote.get("/v1/knowledge"), 403, "forbidden")
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        assert local.get("/v1/knowledge").status_code == 200


def test_serve_keeps_idle_connections_longer_than_proxies_and_clients_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    ran: dict[str, Any] = {}
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])

    assert result.exit_code == 0, result.stderr
    assert ran["host"] == "127.0.0.1" and ran["port"] == 8123
    assert ran["timeout_keep_alive"] > 60  # uvicorn's default of 5 s races httpx's 5 s expiry under load


def test_the_first_start_prints_one_admin_key(secured: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.keys import key_stores
    from cli.main import first_admin_key

    first_admin_key(secured)
    first_admin_key(secured)  # a second start prints nothing

    printed = capsys.readouterr().err
    assert printed.count("No API keys yet: created admin key") == 1
    key = next(word for word in printed.split() if word.startswith("dd_"))
    keys, audit = key_stores(secured)
    assert keys.verify(key) is not None
    assert [(k.role, k.shop) for k in keys.list()] == [("admin", "default")]
    assert [e.action for e in audit.recent(shop="default")] == [f"keys create {key.split('_')[1]} (first start)"]


def test_the_audit_log_records_changes_and_refusals(app_client: TestClient, keys: dict[str, str]) -> None:
    owner, qa, admin = (keys[r].split("_")[1] for r in ("knowledge_owner", "qa", "admin"))
    assert app_client.post("/v1/knowledge", json={"entries": ROWS}, headers=bearer(keys["knowledge_owner"])).is_success
    app_client.post("/v1/drafts", json=DRAFT, headers=bearer(keys["qa"]))  # refused: 403
    app_client.get("/v1/history")  # refused: 401, no key
    app_client.post("/v1/drafts", json=DRAFT, headers=bearer(keys["agent"]))  # a draft is no change: not audited

    assert_error(app_client.get("/v1/audit", headers=bearer(keys["qa"])), 403, "forbidden")
    events = app_client.get("/v1/audit", headers=bearer(keys["admin"])).json()["items"]

    seen = [(e["actor"], e["action"], e["status"]) for e in events]
    assert seen[:4] == [
        (qa, "GET /v1/audit", 403), ("-", "GET /v1/history", 401), (qa, "POST /v1/drafts", 403),
        (owner, "POST /v1/knowledge", 200),
    ]
    assert admin not in {e["actor"] for e in events}  # reading the log is not logged as a refusal
    assert all(e["request_id"] for e in events) and events[-1]["role"] == "knowledge_owner"


def test_the_first_admin_key_can_go_to_a_file_only_its_owner_reads(
    secured: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.keys import key_stores
    from cli.main import first_admin_key

    path = tmp_path / "secrets" / "admin.key"
    first_admin_key(configure(secured, first_key_file=path))

    key = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_stores(secured)[0].verify(key) is not None
    printed = capsys.readouterr().err
    assert str(path) in printed and key not in printed  # container logs never hold it


def _raw_post(client: TestClient, path: str, chunks: int, headers: dict[str, str] | None = None) -> tuple[int, int]:
    """POST `chunks` MiB straight to the ASGI app: the status, and how many chunks the app read."""
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"{" * 2**20, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    raw = [(k.lower().encode(), v.encode()) for k, v in {"content-type": "application/json", **(headers or {})}.items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": raw,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    client.portal.call(client.app, scope, receive, send)  # type: ignore[union-attr, arg-type]
    return status, read


def test_no_key_is_a_401_before_the_body_is_read(app_client: TestClient, keys: dict[str, str]) -> None:
    bad = app_client.post("/v1/drafts", content=b"{bad", headers={"content-type": "application/json"})
    assert_error(bad, 401, "unauthorized")  # not the 422 of a parsed body
    assert _raw_post(app_client, "/v1/knowledge", chunks=11) == (401, 0)  # 11 MiB, not one byte read
    assert _raw_post(app_client, "/v1/knowledge", 11, bearer("dd_nope_x")) == (401, 0)
    with_key = app_client.post("/v1/drafts", content=b"{bad", headers={**bearer(keys["agent"]),
                                                                       "content-type": "application/json"})
    assert_error(with_key, 422, "invalid_request")


def test_refusals_without_a_key_are_one_row_per_source_with_a_count(
    fake_settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    settings = configure(fake_settings, auth="on", trust_proxy=True)
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        admin = client.app.state.components.keys.create("admin")[1]  # type: ignore[attr-defined]
        for _ in range(100):
            client.get("/v1/history", headers={"X-Forwarded-For": "203.0.113.7"})
        client.post("/v1/drafts", json=DRAFT, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9",
                                                       **bearer("dd_nope_x")})
        events = client.get("/v1/audit", headers=bearer(admin)).json()["items"]

    refused = [(e["source"], e["action"], e["status"], e["count"]) for e in events if e["actor"] == "-"]
    assert refused == [("203.0.113.9", "POST /v1/drafts", 401, 1), ("203.0.113.7", "GET /v1/history", 401, 100)]


def test_a_source_gets_a_new_row_when_its_window_closes(secured: Settings) -> None:
    from api.audit import RefusalCounter
    from cli.keys import key_stores

    audit = key_stores(secured)[1]
    now = [0.0]
    counter = RefusalCounter(audit, window_s=60, clock=lambda: now[0])
    for second in (0, 1, 59, 60, 61):
        now[0] = second
        counter.note("10.0.0.1", "GET /v1/history", 401, "")
    counter.flush()

    assert [e.count for e in audit.recent(shop="-")] == [2, 3]


def test_old_audit_rows_are_dropped(secured: Settings) -> None:
    from datetime import UTC, datetime, timedelta

    from records.audit import AuditLog
    from records.history import open_engine

    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    audit = AuditLog(open_engine(secured.database), lambda: now[0], retention=timedelta(days=30))
    audit.record("keys create a", shop="default")
    now[0] += timedelta(days=31)
    audit.record("keys create b", shop="default")

    assert [e.action for e in audit.recent(shop="default")] == ["keys create b"]


def test_an_audit_log_from_before_counts_gains_its_columns(tmp_path: Path) -> None:
    import sqlite3
    from datetime import UTC, datetime

    from records.audit import AuditLog
    from records.history import open_engine

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at DATETIME, actor VARCHAR(64), role VARCHAR(32), "
                    "shop VARCHAR(64), action VARCHAR(200), status INTEGER, request_id VARCHAR(64))")
        old.execute("INSERT INTO audit_log VALUES (1, '2026-01-01 00:00:00', 'cli', 'admin', 'default', "
                    "'keys create a', 0, '')")
    audit = AuditLog(open_engine(f"sqlite:///{path}"), lambda: datetime(2026, 1, 2, tzinfo=UTC))
    audit.add_count(audit.record("GET /v1/history", status=401, source="10.0.0.1"), 4)

    events = audit.recent(shop="default", unattributed=True)
    assert [(e.action, e.source, e.count) for e in events] == [("GET /v1/history", "10.0.0.1", 5),
                                                               ("keys create a", "", 1)]


def test_refusals_without_a_key_are_shown_to_a_server_admin_only(app_client: TestClient) -> None:
    store = app_client.app.state.components.keys  # type: ignore[attr-defined]
    server_admin, shop_admin = store.create("admin")[1], store.create("admin", shop="hills")[1]
    assert_error(app_client.get("/v1/history"), 401, "unauthorized")

    seen_by_server = app_client.get("/v1/audit", headers=bearer(server_admin)).json()["items"]
    seen_by_shop = app_client.get("/v1/audit", headers=bearer(shop_admin)).json()["items"]

    assert "-" in {e["shop"] for e in seen_by_server}
    assert {e["shop"] for e in seen_by_shop} <= {"hills"}


def test_the_qa_page_needs_the_qa_role(app_client: TestClient, keys: dict[str, str]) -> None:
    for role, status in (("agent", 403), ("knowledge_owner", 403), ("qa", 200), ("admin", 200)):
        app_client.post("/console/session", json={"key": keys[role]})
        page = app_client.get("/qa?lang=en")
        assert page.status_code == status, role
        assert ('id="signin-form"' in page.text) == (status == 403), role
        if status == 403:
            assert "needs the role qa" in page.text
