"""GET /v1/calendar: whether the shop is open now, the notices in force and when a message will be handled."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.auth import AGENT, KNOWLEDGE, QA, allow
from api.deps import CalendarDep, ClockDep
from core.vocab import Locale
from drafting.calendar import CalendarStatus

router = APIRouter(tags=["calendar"])


class CalendarView(CalendarStatus):
    notice: str | None = Field(description="The sentence a draft carries, in `locale`; null while open with no "
                                           "carrier stop.")


@router.get(
    "/v1/calendar", dependencies=[allow(*AGENT, *KNOWLEDGE, *QA)],
    response_model=CalendarView, summary="The shop calendar now")
def get_calendar(calendar: CalendarDep, clock: ClockDep, locale: Locale = "zh",
                 carrier: str | None = None) -> CalendarView:
    """`carrier` keeps only the stops for that carrier (and for all carriers); without it every stop is listed."""
    status = calendar.status(clock(), carrier=carrier)
    return CalendarView(**status.model_dump(), notice=calendar.render_notice(status, locale))
