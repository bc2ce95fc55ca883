"""The draft request and the draft: the contract shared by the API, the CLI and the eval harness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.models import check_sku
from core.vocab import Locale, Platform, Role
from drafting.calendar import CalendarStatus
from drafting.macros import QuickReply
from drafting.order import Order
from knowledge.models import Entry
from knowledge.store import Hit

# How a draft answers: from a knowledge entry, the order's situation, a playbook, the shop's catalog, or not at all
# (a holding reply).
AnswerMode = Literal["entry", "situation", "playbook", "catalog", "holding"]
MAX_MESSAGE_CHARS = 4000
SNIPPET_CHARS = 160


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["buyer", "agent"]
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="The buyer's latest message.")
    platform: Platform = Field(description="Where the buyer wrote.")
    locale: Locale | None = Field(default=None, description="Reply language; detected from the message if absent.")
    order: Order = Field(default_factory=Order, description="Facts about the buyer's order, as the console shows them.")
    role: Role = Field(default="l1", description="The agent's authority (limits in drafting/rules/authority.yaml).")
    history: list[Turn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first.")
    sku: str | None = Field(default=None, description="The product page the chat was opened from, if any: the "
                            "product a pre-sale question is about (the browser extension reads it from the page).")

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else check_sku(value)

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is empty")
        return value


class Citation(BaseModel):
    id: str
    title: str
    kind: str
    score: float | None = Field(description="Similarity to the message; None for an announcement that applies by "
                                "its scope (intent, SKU or region) rather than by similarity.")
    snippet: str

    @classmethod
    def from_hit(cls, hit: Hit) -> Citation:
        return cls.from_entry(hit.entry, round(hit.score, 4))

    @classmethod
    def from_entry(cls, entry: Entry, score: float | None = None) -> Citation:
        answer = entry.answer
        snippet = answer if len(answer) <= SNIPPET_CHARS else answer[:SNIPPET_CHARS] + "…"
        return cls(id=entry.id, title=entry.heading, kind=entry.kind, score=score, snippet=snippet)


class Reason(BaseModel):
    code: str
    message: str


class Handoff(BaseModel):
    to: Role = Field(description="The least role that may handle what the buyer asks.")
    note: str = Field(description="A short note for that colleague: why, the order, the buyer's words.")


class Violation(BaseModel):
    rule: str = Field(description="The rule's id in drafting/rules/compliance.yaml.")
    span: str = Field(description="The offending text, as it appears in the draft.")
    message: str


class ProductCard(BaseModel):
    """The product a pre-sale draft is about, as the console and the extension show it beside the draft."""

    sku: str
    title: str
    price: str = Field(description="As the listing shows it, e.g. 199 or 89.9.")
    currency: str
    stock: int
    stock_level: Literal["in_stock", "low", "out"]
    promotions: list[str] = Field(default_factory=list, description="Titles of the live promotions it is in.")
    resolved_by: Literal["field", "text", "order", "match"] = Field(
        description="How the product was found: the request's sku, an SKU in the message, the order's items, or "
        "its words.")


class Compliance(BaseModel):
    passed: bool
    violations: list[Violation] = Field(default_factory=list)

    def broken(self) -> str:
        """The rules broken, each once, in order: what a reason names."""
        return ", ".join(dict.fromkeys(v.rule for v in self.violations))


class Draft(BaseModel):
    id: str | None = Field(default=None, description="Set when the draft is logged; use it to send feedback.")
    draft: str
    language: Locale
    citations: list[Citation] = Field(description="The sources the draft is built on, in the order used.")
    candidates: list[Citation] = Field(
        default_factory=list,
        description="The top retrieved entries, best first, including those below the confidence threshold: "
        "alternatives for the agent, and what retrieval metrics score.",
    )
    confidence: float = Field(ge=0.0, le=1.0)
    answer_mode: AnswerMode = Field(
        default="holding", description="What the draft answers from: `entry` (a knowledge entry, the last citation), "
        "`situation` (the order's state), `playbook` (a scripted answer, `playbook`), `catalog` (the shop's "
        "products and promotions, `product`) or `holding` (nothing answers).")
    product: ProductCard | None = Field(default=None, description="For a catalog answer: the product it is about.")
    answer_reason: Reason | None = Field(default=None, description="Why this answer mode, e.g. `intent_mismatch`.")
    playbook: str | None = Field(default=None, description="The playbook followed (drafting/rules/playbooks.yaml).")
    question_type: str | None = Field(default=None, description="The message's finer question type, when known "
                                      "(drafting/rules/question_types.yaml), e.g. logistics.carrier.")
    intent: str | None = Field(default=None, description="The buyer's intent (drafting/rules/intents.yaml).")
    intent_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    situation: str | None = Field(default=None, description="The order situation the draft follows "
                                  "(drafting/rules/situations.yaml), e.g. cancel_after_shipping.")
    needs_human: bool
    reasons: list[Reason]
    handoff: Handoff | None = Field(default=None, description="Set when needs_human: who takes over, and a note.")
    calendar: CalendarStatus | None = Field(
        default=None, description="Set when the shop is closed or out of hours, or a carrier has stopped: the draft "
        "then carries the notice, and `handled_by` is when a human will pick the conversation up.")
    quick_replies: list[QuickReply] = Field(
        default_factory=list, description="Macros for the detected intent, filled from the order "
        "(drafting/rules/macros.yaml); only those whose facts the order gives.")
    provider: str
    degraded: bool
    latency_ms: float
    compliance: Compliance | None = Field(
        default=None, description="The platform rules the draft was checked against (None: not checked, e.g. the "
        "eval baseline). The buyer's phone numbers, addresses and ID numbers are already masked with ****.",
    )


OutreachKind = Literal["address_confirmation", "payment_reminder"]


class OutreachRequest(BaseModel):
    """An outbound message the agent sends first: confirm the address after payment, or remind of an unpaid order."""

    model_config = ConfigDict(extra="forbid")

    kind: OutreachKind
    platform: Platform
    locale: Locale = "zh"
    order: Order
    role: Role = "l1"


class ReviewReplyRequest(BaseModel):
    """A buyer's public review, to which the seller replies in public (差评解释)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review: str = Field(min_length=1, max_length=2000)
    rating: int | None = Field(default=None, ge=1, le=5)
    platform: Platform
    locale: Locale | None = None


class WrittenReply(BaseModel):
    """An outreach message or a public review reply, checked against the platform's rules."""

    text: str
    language: Locale
    kind: str = Field(description="The outreach kind, or `review_reply`.")
    topic: str | None = Field(default=None, description="What the review is about (its intent), for review replies.")
    compliance: Compliance
