"""The draft log over HTTP: feedback on a draft, one logged draft, the history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AGENT, QA, allow
from api.deps import HistoryDep, LearnerDep, ShopDep
from api.schemas import DraftHistory, FeedbackReceipt, FeedbackRequest, LearnedExample
from records.history import LoggedDraft

router = APIRouter(tags=["feedback"])


@router.post(
    "/v1/drafts/{draft_id}/feedback", dependencies=[allow(*AGENT)],
    response_model=FeedbackReceipt, status_code=201,
             summary="Record what the agent did with a draft")
def send_feedback(draft_id: str, body: FeedbackRequest, history: HistoryDep, learner: LearnerDep,
                  shop: ShopDep) -> FeedbackReceipt:
    """`accepted` (sent as is), `edited` (with the `final_text` sent, which must differ) or `rejected` (with a
    `reason`). Every action is kept; analytics count the latest. An unknown draft id (or another shop's) is a 404.

    A draft answered from a knowledge entry and sent as is, or with at most a fifth of it edited, teaches that
    entry the buyer's message as an example question (`learned`); a failure to learn never fails the feedback."""
    saved = history.feedback(draft_id, body.action, final_text=body.final_text, reason=body.reason,
                             shop=shop.name)
    learned = learner.after_feedback(saved, shop.knowledge, shop=shop.name)
    return FeedbackReceipt(draft_id=saved.draft_id, action=saved.action, edit_distance=saved.edit_distance,
                           created_at=saved.created_at,
                           learned=LearnedExample.model_validate(learned, from_attributes=True) if learned else None)


@router.get(
    "/v1/drafts/{draft_id}", dependencies=[allow(*AGENT, *QA)],
    response_model=LoggedDraft, summary="A logged draft with its feedback")
def get_draft(draft_id: str, history: HistoryDep, shop: ShopDep) -> LoggedDraft:
    return history.get(draft_id, shop=shop.name)


@router.get(
    "/v1/history", dependencies=[allow(*QA)],
    response_model=DraftHistory, summary="Logged drafts, newest first")
def list_history(
    history: HistoryDep,
    shop: ShopDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> DraftHistory:
    items, total = history.recent(limit, offset, shop=shop.name)
    return DraftHistory(items=items, total=total, limit=limit, offset=offset)
