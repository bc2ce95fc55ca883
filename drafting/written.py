"""Messages that are not answers to a buyer's question: outreach the agent sends first, and the seller's public
reply to a review. Both come from templates and pass the same compliance screen as drafts."""

from __future__ import annotations

from datetime import datetime, tzinfo

from core.errors import DraftdeskError
from core.vocab import Locale, Platform
from drafting.intent import IntentDetector
from drafting.models import DraftRequest, OutreachRequest, ReviewReplyRequest, WrittenReply
from drafting.policy import PolicyChecker
from knowledge.language import detect_locale
from prompts import render

_REVIEW_TOPICS = {"logistics": "logistics", "return_refund": "quality", "exchange": "fit", "complaint": "service",
                  "bad_review_threat": "service", "product_question": "quality"}
_NEEDS: dict[str, tuple[str, ...]] = {"address_confirmation": ("id",), "payment_reminder": ("id",)}
_STATES: dict[str, tuple[str, ...]] = {"address_confirmation": ("paid",), "payment_reminder": ("unpaid", "paid")}


class OutreachError(DraftdeskError):
    """The order cannot carry this outreach message (a caller's mistake: HTTP 422)."""

    code = "invalid_request"


class WrittenReplies:
    def __init__(self, policy: PolicyChecker, intents: IntentDetector, *, timezone: tzinfo | None = None) -> None:
        self._policy = policy
        self._intents = intents
        self._timezone = timezone

    def outreach(self, request: OutreachRequest, at: datetime) -> WrittenReply:
        """`OutreachError` when the order lacks what the message must name, or is past the state it is for."""
        facts = request.order.facts()
        if missing := [name for name in _NEEDS[request.kind] if name not in facts]:
            raise OutreachError(f"order.{missing[0]} is needed for a {request.kind} message")
        status = request.order.status
        due = request.order.balance_due(at)
        if request.kind == "payment_reminder" and not (status == "unpaid" or due):
            raise OutreachError("payment_reminder: the order is neither unpaid nor due its pre-sale balance")
        if status is not None and status not in _STATES[request.kind]:
            raise OutreachError(f"{request.kind}: the order is {status}, not {' or '.join(_STATES[request.kind])}")
        order = request.order.localized(self._timezone) if self._timezone else request.order
        text = render(f"outreach.{request.locale}", kind=request.kind, order=order, balance_due=due)
        return self._checked(text, request.kind, None, request.platform, request.locale, request.order.id or "")

    def review_reply(self, request: ReviewReplyRequest) -> WrittenReply:
        locale = request.locale or detect_locale(request.review)
        intent = self._intents.classify(request.review, locale).intent
        topic = _REVIEW_TOPICS.get(intent, "general")
        text = render(f"review_reply.{locale}", topic=topic, rating=request.rating)
        return self._checked(text, "review_reply", topic, request.platform, locale, request.review)

    def _checked(self, text: str, kind: str, topic: str | None, platform: Platform, locale: Locale,
                 said: str) -> WrittenReply:
        asked = DraftRequest(message=said or kind, platform=platform, locale=locale)
        text, compliance = self._policy.screen(text, asked, locale)
        return WrittenReply(text=text, language=locale, kind=kind, topic=topic,
                            compliance=compliance)
