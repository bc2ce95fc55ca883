"""Quick replies: list the macros (per intent) and render one with the order's facts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import AGENT, KNOWLEDGE, allow
from api.deps import MacrosDep
from core.vocab import Intent, Locale
from drafting.macros import MacroInfo, QuickReply
from drafting.order import Order

router = APIRouter(tags=["macros"])


class MacroList(BaseModel):
    items: list[MacroInfo]


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Locale = "zh"
    order: Order = Field(default_factory=Order, description="The order facts the macro quotes.")


@router.get(
    "/v1/macros", dependencies=[allow(*AGENT, *KNOWLEDGE)],
    response_model=MacroList, summary="List quick replies")
def list_macros(macros: MacrosDep, intent: Intent | None = None, locale: Locale = "zh") -> MacroList:
    """Every quick reply, or an intent's, with its title in `locale` and the order facts it needs."""
    return MacroList(items=macros.catalog(intent, locale))


@router.post(
    "/v1/macros/{macro_id}/render", dependencies=[allow(*AGENT)],
    response_model=QuickReply, summary="Render a quick reply")
def render_macro(macro_id: str, body: RenderRequest, macros: MacrosDep) -> QuickReply:
    """422 names the order facts the macro needs and the order lacks; 404 for an unknown macro."""
    return macros.render(macro_id, body.order, body.locale)  # UnknownMacro: 404, MacroNotApplicable: 422
