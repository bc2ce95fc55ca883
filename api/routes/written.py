"""POST /v1/outreach (a message the agent sends first) and POST /v1/review-replies (the seller's public reply to a
review): written from templates, checked against the platform's rules."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.auth import AGENT, allow
from api.deps import ComponentsDep, ShopDep
from drafting.models import OutreachRequest, ReviewReplyRequest, WrittenReply

router = APIRouter(tags=["drafts"])


@router.post("/v1/outreach", dependencies=[allow(*AGENT)], response_model=WrittenReply,
             summary="Draft an outbound message: address confirmation or a payment reminder")
async def outreach(body: OutreachRequest, shop: ShopDep, components: ComponentsDep) -> WrittenReply:
    """`kind` is `address_confirmation` (a paid order) or `payment_reminder` (unpaid, or its pre-sale balance due);
    the order needs its `id`. An order that cannot carry the message is a 422 saying why."""
    return await run_in_threadpool(shop.written.outreach, body, components.clock())  # OutreachError: a 422


@router.post("/v1/review-replies", dependencies=[allow(*AGENT)], response_model=WrittenReply,
             summary="Draft the seller's public reply to a buyer's review")
async def review_reply(body: ReviewReplyRequest, shop: ShopDep) -> WrittenReply:
    """Polite and factual, in the review's language: it thanks, acknowledges what the review is about and says
    what the shop does about it, never blames the buyer, and carries no contact details or incentives."""
    return await run_in_threadpool(shop.written.review_reply, body)
