"""The web console: server-rendered pages (agent, knowledge owner, QA) over the same JSON API, in zh and en.

Pages hold no logic of their own: the agent and knowledge views call `/v1/...` with fetch; the QA view reads
eval runs from `runs_dir` through `api.runs`, and serves each run's report.html read-only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import runs
from api.auth import QA, SESSION_COOKIE, Caller, allow, identify
from api.deps import SettingsDep
from api.errors import ApiError
from api.security import REPORT_CSP, cross_origin, scheme
from composition.wiring import Components
from core.vocab import LOCALES, Locale

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
LANG_COOKIE = "draftdesk_lang"
# The metrics the runs table shows; the comparison lists them all.
KEY_METRICS = ("hit@1", "hit@3", "similarity", "must_include", "compliance_violations", "unsupported_claims",
               "escalation_agreement", "intent_accuracy", "latency_p95_ms")

router = APIRouter(include_in_schema=False)


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=200)


@cache
def messages() -> dict[str, dict[str, str]]:
    """The UI strings per language (api/web/i18n.json); templates and scripts refer to them by key."""
    data: dict[str, dict[str, str]] = json.loads((WEB_DIR / "i18n.json").read_text(encoding="utf-8"))
    return data


@cache
def templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB_DIR / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return Jinja2Templates(env=env)


def pick_lang(request: Request) -> Locale:
    """`?lang=` first, then the cookie the toggle sets, then Accept-Language; Chinese by default."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LOCALES:
            return value
    ranked = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            ranked.append((float(q) if q else 1.0, tag.strip().lower()))
        except ValueError:
            continue
    for _, tag in sorted(ranked, key=lambda item: -item[0]):
        for lang in LOCALES:
            if tag == lang or tag.startswith(f"{lang}-"):
                return lang
    return "zh"


def render(request: Request, page: str, *, csrf_token: str = "", status_code: int = 200,
           **context: Any) -> HTMLResponse:
    lang = pick_lang(request)
    strings = messages()[lang]

    def t(key: str, **values: Any) -> str:
        return strings[key].format(**values)  # a missing key is a KeyError: tests render every page

    response = templates().TemplateResponse(request, f"{page}.html", {
        "page": page, "lang": lang, "t": t, "messages": strings,
        "static": request.scope.get("root_path", "") + "/static", "csrf_token": csrf_token, **context,
    }, status_code=status_code)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/console/session", status_code=204)
async def sign_in(body: SignIn, request: Request) -> Response:
    """Check an API key and open a session: its id goes in an HttpOnly, SameSite=Strict cookie (Secure over
    TLS), so the pages' calls and links carry it; the key itself is not kept by the browser."""
    components: Components = request.app.state.components
    _same_origin_only(request)
    key = await run_in_threadpool(components.keys.verify, body.key)
    if key is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    request.state.api_key = key  # for the audit log
    session_id, _ = await run_in_threadpool(components.sessions.open, key)
    response = Response(status_code=204)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict",
                        secure=scheme(request.scope, components.settings.trust_proxy) == "https",
                        max_age=int(components.sessions.ttl.total_seconds()))
    return response


@router.delete("/console/session", status_code=204)
async def sign_out(request: Request) -> Response:
    components: Components = request.app.state.components
    _same_origin_only(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await run_in_threadpool(components.sessions.close, session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _same_origin_only(request: Request) -> None:
    """Another site may not sign a browser in (to a key of its choosing) or out."""
    components: Components = request.app.state.components
    if cross_origin(request.scope, components.settings.trust_proxy):
        raise ApiError(403, "csrf_failed", "sign-in from another origin")


async def _page(request: Request, page: str, *, roles: tuple[str, ...] = (), **context: Any) -> HTMLResponse:
    """The page, or the sign-in form when keys are on and the browser holds no valid session (or, for a page
    that needs `roles`, a key of another role: 403)."""
    components: Components = request.app.state.components
    if components.settings.auth == "off":
        return render(request, page, **context)
    caller: Caller | None = await identify(request)
    if caller is None:
        return render(request, "signin", next_page=page, refused="")
    if roles and caller.key.role not in (*roles, "admin"):
        refused = messages()[pick_lang(request)]["auth.needs_role"].format(roles=" / ".join(roles),
                                                                           role=caller.key.role)
        return render(request, "signin", next_page=page, refused=refused, status_code=403)
    return render(request, page, csrf_token=caller.csrf_token, **context)


@router.get("/", response_class=HTMLResponse)
async def agent_page(request: Request) -> HTMLResponse:
    return await _page(request, "agent")


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge_page(request: Request) -> HTMLResponse:
    return await _page(request, "knowledge")


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(request: Request) -> HTMLResponse:
    return await _page(request, "analytics")


@router.get("/qa", response_class=HTMLResponse)
async def qa_page(request: Request, settings: SettingsDep, a: str | None = None, b: str | None = None) -> HTMLResponse:
    """The runs under `runs_dir`, and with `a` and `b` the metric deltas of B against A; for `qa` (or admin) only,
    as the reports are."""
    found = runs.list_runs(settings.runs_dir)
    by_name = {run.name: run for run in found}
    comparison, missing = None, [name for name in (a, b) if name and name not in by_name]
    if a in by_name and b in by_name:
        comparison = runs.compare(by_name[a], by_name[b])
    return await _page(request, "qa", roles=QA, runs=found, runs_dir=str(settings.runs_dir), key_metrics=KEY_METRICS,
                  comparison=comparison, missing=missing, a=a or "", b=b or "")


@router.get("/qa/runs/{name}/report.html", dependencies=[allow(*QA)])
def run_report(name: str, settings: SettingsDep) -> FileResponse:
    """Only report.html files of runs directly inside `runs_dir`; anything else is a 404."""
    report = runs.report_file(settings.runs_dir, name)
    if report is None:
        raise ApiError(404, "not_found", f"no eval run report called {name!r}")
    return FileResponse(report, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": REPORT_CSP})
