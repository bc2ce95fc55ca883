"""The web console: server-rendered pages (agent, knowledge owner, QA) over the same JSON API, in zh and en.

Pages hold no logic of their own: the agent and knowledge views call `/v1/...` with fetch; the QA view reads
eval runs from `runs_dir` through `api.runs`, and serves each run's report.html read-only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import runs
from api.auth import QA, SESSION_COOKIE, allow, identify
from api.deps import SettingsDep
from api.errors import ApiError
from drafting.wiring import Components

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
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


def pick_lang(request: Request) -> Lang:
    """`?lang=` first, then the cookie the toggle sets, then Accept-Language; Chinese by default."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    ranked = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            ranked.append((float(q) if q else 1.0, tag.strip().lower()))
        except ValueError:
            continue
    for _, tag in sorted(ranked, key=lambda item: -item[0]):
        for lang in LANGS:
            if tag == lang or tag.startswith(f"{lang}-"):
                return lang
    return "zh"


def render(request: Request, page: str, **context: Any) -> HTMLResponse:
    lang = pick_lang(request)
    strings = messages()[lang]

    def t(key: str, **values: Any) -> str:
        return strings[key].format(**values)  # a missing key is a KeyError: tests render every page

    response = templates().TemplateResponse(request, f"{page}.html", {
        "page": page, "lang": lang, "t": t, "messages": strings,
        "static": request.scope.get("root_path", "") + "/static", **context,
    })
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/console/session", status_code=204)
async def sign_in(body: SignIn, request: Request) -> Response:
    """Check an API key and keep it in an HttpOnly, same-site cookie, so the pages' calls and links carry it."""
    components: Components = request.app.state.components
    key = await run_in_threadpool(components.keys.verify, body.key)
    if key is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    request.state.api_key = key  # for the audit log
    response = Response(status_code=204)
    response.set_cookie(SESSION_COOKIE, body.key.strip(), httponly=True, samesite="strict", max_age=12 * 3600)
    return response


@router.delete("/console/session", status_code=204)
def sign_out() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def _page(request: Request, page: str, **context: Any) -> HTMLResponse:
    """The page, or the sign-in form when keys are on and the browser holds no valid one."""
    components: Components = request.app.state.components
    if components.settings.auth == "on" and await identify(request) is None:
        return render(request, "signin", next_page=page)
    return render(request, page, **context)


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
    """The runs under `runs_dir`, and with `a` and `b` the metric deltas of B against A."""
    found = runs.list_runs(settings.runs_dir)
    by_name = {run.name: run for run in found}
    comparison, missing = None, [name for name in (a, b) if name and name not in by_name]
    if a in by_name and b in by_name:
        comparison = runs.compare(by_name[a], by_name[b])
    return await _page(request, "qa", runs=found, runs_dir=str(settings.runs_dir), key_metrics=KEY_METRICS,
                  comparison=comparison, missing=missing, a=a or "", b=b or "")


@router.get("/qa/runs/{name}/report.html", dependencies=[allow(*QA)])
def run_report(name: str, settings: SettingsDep) -> FileResponse:
    """Only report.html files of runs directly inside `runs_dir`; anything else is a 404."""
    report = runs.report_file(settings.runs_dir, name)
    if report is None:
        raise ApiError(404, "not_found", f"no eval run report called {name!r}")
    return FileResponse(report, media_type="text/html; charset=utf-8")
