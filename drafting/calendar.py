"""The shop calendar (rules/calendar.yaml): service hours, closures and carrier stops, and when a human will reply.

A file is validated with pydantic at load (`load_calendar`); `ShopCalendar` answers, for a moment, whether the shop
is open, which notices apply and when the message will be handled, and renders the notice a draft carries.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, field_validator, model_validator

from core.errors import ConfigError
from core.vocab import Locale
from drafting.order import Order
from drafting.rulefile import RuleFileError, load_rule_file
from prompts import render

CALENDAR_FILE = "calendar.yaml"
DEFAULT_TIMEZONE = "Asia/Shanghai"
State = Literal["open", "out_of_hours", "closed"]
NoticeKind = Literal["closure", "carrier_stop"]
_RANGE = re.compile(r"^(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_MINUTES = 24 * 60
_MAX_STEPS = 1000  # closures and closed days skipped while looking for the next opening


class CalendarError(ConfigError):
    """The calendar file cannot be used; raised at start-up, naming the file and the field."""

    code = "calendar_error"


# --- the file: pydantic at the boundary -----------------------------------------------------------------


def _hours(value: Any) -> Any:
    """"09:00-12:00, 13:30-24:00" → ((540, 720), (810, 1440)); "closed" → ()."""
    if not isinstance(value, str):
        return value  # pydantic reports the type
    if value.strip().lower() == "closed":
        return ()
    spans = []
    for part in (p.strip() for p in value.split(",")):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"{part!r} is not HH:MM-HH:MM (or `closed`)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= end or end > _DAY_MINUTES:
            raise ValueError(f"{part!r} is not a range within one day (00:00-24:00, start before end)")
        spans.append((start, end))
    spans.sort()
    if any(b[0] < a[1] for a, b in itertools.pairwise(spans)):
        raise ValueError(f"{value!r} has overlapping ranges")
    return tuple(spans)


def _moment(value: Any) -> date | datetime:
    """A date (a whole day) or a date-time; "2027-02-05" stays a date, never midnight."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if _DATE.match(value) else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (2027-02-05) or a date-time (2027-02-05 18:00)")


Span = tuple[int, int]  # minutes after local midnight: start included, end excluded
DayHours = Annotated[tuple[Span, ...], BeforeValidator(_hours)]
Moment = Annotated[date | datetime, PlainValidator(_moment)]
HoursKey = Literal["default", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[HoursKey, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class NoticeText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    start: Moment = Field(alias="from")
    until: Moment
    notice: NoticeText


class CarrierStop(Closure):
    carriers: list[str] | Literal["all"]

    @field_validator("carriers")
    @classmethod
    def _named(cls, value: list[str] | str) -> list[str] | str:
        if value != "all" and not (value and all(c.strip() for c in value)):
            raise ValueError("name at least one carrier, or write `all`")
        return value


class ReplyTargets(BaseModel):
    """Minutes until a human replies: after the message (open), the next opening, or the end of a closure."""

    model_config = ConfigDict(extra="forbid")

    open: int = Field(default=10, ge=0, le=7 * _DAY_MINUTES)
    out_of_hours: int = Field(default=0, ge=0, le=7 * _DAY_MINUTES)
    closed: int = Field(default=0, ge=0, le=7 * _DAY_MINUTES)


class CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    timezone: str = DEFAULT_TIMEZONE
    hours: dict[HoursKey, DayHours]
    reply_targets: ReplyTargets = Field(default_factory=ReplyTargets)
    closures: list[Closure] = Field(default_factory=list)
    carrier_stops: list[CarrierStop] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CalendarFile:
        if not any(self.week()):
            raise ValueError("hours: no service hours on any day")
        ids = [p.id for p in [*self.closures, *self.carrier_stops]]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"duplicate ids: {', '.join(dupes)}")
        zone = ZoneInfo(self.timezone)
        for field, periods in (("closures", self.closures), ("carrier_stops", self.carrier_stops)):
            for index, period in enumerate(periods):
                if _end(period.until, zone) <= _start(period.start, zone):
                    raise ValueError(f"{field}.{index}.until: ends before it starts (from {period.start})")
        return self

    def week(self) -> tuple[tuple[Span, ...], ...]:
        """Service hours Monday to Sunday."""
        default = self.hours.get("default", ())
        return tuple(self.hours.get(day, default) for day in WEEKDAYS)


def load_calendar(path: Path | None = None) -> CalendarFile:
    """The given YAML file, or the one shipped with this package; `CalendarError` says what is wrong and where."""
    try:
        return load_rule_file(CalendarFile, CALENDAR_FILE, path)
    except RuleFileError as exc:
        raise CalendarError(str(exc)) from exc


def _start(moment: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return datetime.combine(moment, time(), tzinfo=zone)


def _end(moment: date | datetime, zone: ZoneInfo) -> datetime:
    """A date `until` includes that whole day; a date-time is the moment it ends."""
    return _start(moment, zone) if isinstance(moment, datetime) else _start(moment + timedelta(days=1), zone)


# --- what the calendar says about a moment --------------------------------------------------------------


class Notice(BaseModel):
    """A closure or carrier stop in force: from `start` until `end` (excluded), in the shop's timezone."""

    kind: NoticeKind
    id: str
    start: datetime
    end: datetime
    carriers: list[str] | Literal["all"] | None = Field(default=None, description="Carrier stops only.")
    text: NoticeText


class CalendarStatus(BaseModel):
    at: datetime = Field(description="The moment asked about, in the shop's timezone.")
    timezone: str
    state: State
    opens_at: datetime | None = Field(description="The next opening; null while open.")
    handled_by: datetime = Field(description="When a human is expected to handle a message sent at `at`.")
    notices: list[Notice] = Field(description="Closures and carrier stops in force at `at`.")


@dataclass(frozen=True)
class _Period:
    notice: Notice

    def covers(self, at: datetime) -> bool:
        return self.notice.start <= at < self.notice.end

    def stops(self, carrier: str | None) -> bool:
        carriers = self.notice.carriers
        return carrier is None or carriers == "all" or carrier.strip().casefold() in {
            c.strip().casefold() for c in carriers or ()}


class Calendar(Protocol):
    """What a draft asks of a calendar: the status and notice at a moment, and dates as replies quote them."""

    def status(self, at: datetime, *, carrier: str | None = None) -> CalendarStatus: ...
    def render_notice(self, status: CalendarStatus, locale: Locale) -> str | None: ...
    def localized(self, order: Order) -> Order: ...
    def local(self, at: datetime) -> datetime: ...


class AlwaysOpen:
    """The calendar of a shop that keeps none: open at every moment, with no notice, and no timezone of its own,
    so a reply quotes dates in the offsets the order gave them."""

    def status(self, at: datetime, *, carrier: str | None = None) -> CalendarStatus:
        return CalendarStatus(at=at, timezone=str(at.tzinfo), state="open", opens_at=None, handled_by=at,
                              notices=[])

    def render_notice(self, status: CalendarStatus, locale: Locale) -> str | None:
        return None

    def localized(self, order: Order) -> Order:
        return order

    def local(self, at: datetime) -> datetime:
        return at


class ShopCalendar:
    """Service hours, closures and carrier stops of one shop, in its timezone."""

    def __init__(self, spec: CalendarFile) -> None:
        self._zone = ZoneInfo(spec.timezone)
        self._week = spec.week()
        self._targets = spec.reply_targets
        self._closures = [self._period("closure", c, None) for c in spec.closures]
        self._stops = [self._period("carrier_stop", s, s.carriers) for s in spec.carrier_stops]

    @property
    def timezone(self) -> ZoneInfo:
        return self._zone

    def status(self, at: datetime, *, carrier: str | None = None) -> CalendarStatus:
        """Open, out of hours or closed at `at` (timezone-aware), and when a human will handle a message.

        Carrier stops for `carrier` (a name, matched case-insensitively) or for all carriers; every stop when None.
        """
        at = self.local(at)
        closure = self._closure_at(at)
        state: State
        opens_at: datetime | None
        if closure is not None:
            state, opens_at = "closed", self.next_opening(closure.notice.end)
            handled_by = opens_at + timedelta(minutes=self._targets.closed)
        elif self._in_hours(at):
            state, opens_at = "open", None
            handled_by = at + timedelta(minutes=self._targets.open)
        else:
            state, opens_at = "out_of_hours", self.next_opening(at)
            handled_by = opens_at + timedelta(minutes=self._targets.out_of_hours)
        stops = [s.notice for s in self._stops if s.covers(at) and s.stops(carrier)]
        notices = ([closure.notice] if closure else []) + stops
        return CalendarStatus(at=at, timezone=self._zone.key, state=state, opens_at=opens_at,
                              handled_by=handled_by, notices=notices)

    def notice(self, at: datetime, locale: Locale, *, carrier: str | None = None) -> str | None:
        """The sentence a draft carries at `at`; None when open and no carrier stop applies."""
        return self.render_notice(self.status(at, carrier=carrier), locale)

    def render_notice(self, status: CalendarStatus, locale: Locale) -> str | None:
        """The notice for a status already computed (prompts/calendar_notice.<locale>.j2)."""
        stops = [n for n in status.notices if n.kind == "carrier_stop"]
        if status.state == "open" and not stops:
            return None
        closure = next((n for n in status.notices if n.kind == "closure"), None)
        return render(f"calendar_notice.{locale}", status=status, closure=closure, stops=stops)

    def localized(self, order: Order) -> Order:
        """The order with its dates in the shop's timezone, as replies quote them."""
        return order.localized(self._zone)

    def next_opening(self, after: datetime) -> datetime:
        """The first moment from `after` on inside service hours and outside every closure."""
        at = self.local(after)
        for _ in range(_MAX_STEPS):
            closure = self._closure_at(at)
            if closure is not None:
                at = closure.notice.end
            elif self._in_hours(at):
                return at
            else:
                at = self._next_span_start(at)
        raise CalendarError(f"the calendar does not open again after {after.isoformat()}")

    def _period(self, kind: NoticeKind, spec: Closure, carriers: list[str] | Literal["all"] | None) -> _Period:
        return _Period(Notice(kind=kind, id=spec.id, start=_start(spec.start, self._zone),
                              end=_end(spec.until, self._zone), carriers=carriers, text=spec.notice))

    def local(self, at: datetime) -> datetime:
        """`at` in the shop's timezone."""
        if at.tzinfo is None:
            raise ValueError("the calendar needs a timezone-aware datetime")
        return at.astimezone(self._zone)

    def _closure_at(self, at: datetime) -> _Period | None:
        return next((c for c in self._closures if c.covers(at)), None)

    def _in_hours(self, at: datetime) -> bool:
        minute = at.hour * 60 + at.minute + at.second / 60
        return any(start <= minute < end for start, end in self._week[at.weekday()])

    def _next_span_start(self, at: datetime) -> datetime:
        for offset in range(8):
            day = at.date() + timedelta(days=offset)
            for start, _ in self._week[day.weekday()]:
                begins = datetime.combine(day, time(start // 60, start % 60), tzinfo=self._zone)
                if begins > at:
                    return begins
        raise CalendarError("no service hours in the week")  # the file's validator rules this out
