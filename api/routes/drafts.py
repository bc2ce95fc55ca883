"""POST /v1/drafts: a cited draft reply for a buyer message."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DraftsDep
from drafting.models import Draft, DraftRequest

router = APIRouter(tags=["drafts"])


@router.post("/v1/drafts", response_model=Draft, summary="Draft a reply to a buyer message")
def create_draft(body: DraftRequest, drafts: DraftsDep) -> Draft:
    """Retrieves matching FAQs, policies and live announcements and drafts a soothing, cited reply.

    Low retrieval confidence yields a holding reply with `needs_human: true`; an LLM failure yields the
    template draft with `degraded: true`. Neither is an HTTP error.
    """
    return drafts.draft(body)
