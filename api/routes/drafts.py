"""POST /v1/drafts (and /v1/drafts/stream, as server-sent events): a cited draft reply for a buyer message,
logged for feedback and analytics."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.auth import AGENT, allow
from api.deps import ComponentsDep, MetricsDep, ShopDep
from api.errors import INTERNAL, error_body, error_content
from api.metrics import Metrics
from composition.shops import Shop
from core.errors import DraftdeskError
from drafting.llm.base import OnDelta
from drafting.models import Draft, DraftRequest
from knowledge.errors import KnowledgeError
from records.history import DraftLog, HistoryError

router = APIRouter(tags=["drafts"])
log = logging.getLogger("draftdesk.api")


@router.post(
    "/v1/drafts", dependencies=[allow(*AGENT)],
    response_model=Draft, summary="Draft a reply to a buyer message")
async def create_draft(body: DraftRequest, shop: ShopDep, components: ComponentsDep, metrics: MetricsDep) -> Draft:
    """Retrieves matching FAQs, policies and live announcements and drafts a soothing, cited reply.

    Low retrieval confidence yields a holding reply with `needs_human: true`; an LLM failure yields the
    template draft with `degraded: true`. Neither is an HTTP error. The draft is logged and its `id` returned
    (for `POST /v1/drafts/{id}/feedback`); if the log is unavailable the draft still comes back, with `id: null`.
    """

    # a coroutine route: FastAPI would run a plain one in the pool, then its response check in the pool again;
    # the model, the store and the log block: one trip to the thread pool for all three
    return await run_in_threadpool(_drafted, shop, components.history, metrics, body)


@router.post(
    "/v1/drafts/stream", dependencies=[allow(*AGENT)], summary="Draft a reply, streamed as server-sent events",
    responses={200: {"content": {"text/event-stream": {}}, "description": "`delta` events, then one `draft`."}},
)
async def stream_draft(body: DraftRequest, shop: ShopDep, components: ComponentsDep,
                       metrics: MetricsDep) -> StreamingResponse:
    """The same draft as `POST /v1/drafts`, as server-sent events: `delta` events (`{"text": ...}`) carry the
    model's reply as it is written (only when an LLM is configured), then one `draft` event carries the checked,
    cited, logged draft, which replaces whatever was streamed (a repair or a template fallback may differ). A
    failure ends the stream with an `error` event in the usual error shape."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    def on_delta(text: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, ("delta", json.dumps({"text": text}, ensure_ascii=False)))

    def run() -> None:
        try:
            draft = _drafted(shop, components.history, metrics, body, on_delta)
            event = ("draft", draft.model_dump_json())
        except DraftdeskError as exc:
            event = ("error", json.dumps(error_content(exc), ensure_ascii=False))
        except Exception:
            log.exception("streamed draft failed")
            event = ("error", json.dumps(error_body(INTERNAL, "the draft could not be made"), ensure_ascii=False))
        loop.call_soon_threadsafe(queue.put_nowait, event)

    async def events() -> AsyncIterator[str]:
        task = asyncio.ensure_future(run_in_threadpool(run))
        while True:
            name, data = await queue.get()
            yield f"event: {name}\ndata: {data}\n\n"
            if name != "delta":
                break
        await task

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _drafted(shop: Shop, history: DraftLog, metrics: Metrics, body: DraftRequest,
             on_delta: OnDelta | None = None) -> Draft:
    """Both routes' one path: the draft, counted, logged and given its log id; if the log is unavailable the
    agent still gets the draft, with `id: null`."""
    draft = shop.drafts.draft(body, on_delta)
    metrics.observe_draft(draft)
    try:
        draft_id = history.record(body, draft, shop.kb_version(), shop=shop.name)
    except (HistoryError, KnowledgeError) as exc:
        log.error("draft not logged: %s", exc.message)
        return draft
    return draft.model_copy(update={"id": draft_id})
