"""ShopCalendar: service hours, closures and carrier stops in the shop's timezone, the notice, and bad files."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigError
from core.vocab import PLATFORMS
from drafting.calendar import CalendarError, ShopCalendar, load_calendar
from drafting.policy import PolicyChecker, load_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def calendar_from(tmp_path: Path, text: str) -> ShopCalendar:
    return ShopCalendar(load_calendar(write(tmp_path, text)))


@pytest.fixture(scope="module")
def shipped() -> ShopCalendar:
    return ShopCalendar(load_calendar())


# --- the shipped calendar: 09:00-24:00 every day, Spring Festival 2027 ----------------------------------


def test_open_during_service_hours(shipped: ShopCalendar) -> None:
    at = local(2026, 6, 10, 10, 0)
    status = shipped.status(at)
    assert status.state == "open"
    assert status.opens_at is None
    assert status.handled_by == at + timedelta(minutes=10)  # reply_targets.open
    assert status.notices == []
    assert shipped.notice(at, "zh") is None
    assert shipped.notice(at, "en") is None


def test_out_of_hours_at_night_is_handled_next_morning(shipped: ShopCalendar) -> None:
    status = shipped.status(local(2026, 6, 11, 1, 30))
    assert status.state == "out_of_hours"
    assert status.opens_at == status.handled_by == local(2026, 6, 11, 9, 0)
    zh = shipped.notice(local(2026, 6, 11, 1, 30), "zh")
    en = shipped.notice(local(2026, 6, 11, 1, 30), "en")
    assert zh is not None and "休息时间" in zh and "6月11日 09:00" in zh
    assert en is not None and "offline" in en and "11 Jun 09:00" in en


def test_service_hours_end_at_midnight(shipped: ShopCalendar) -> None:
    assert shipped.status(local(2026, 6, 10, 23, 59)).state == "open"
    assert shipped.status(local(2026, 6, 11, 0, 0)).state == "out_of_hours"
    assert shipped.status(local(2026, 6, 11, 8, 59, 59)).state == "out_of_hours"
    assert shipped.status(local(2026, 6, 11, 9, 0)).state == "open"


def test_spring_festival_is_handled_after_the_closure(shipped: ShopCalendar) -> None:
    at = local(2027, 2, 10, 12, 0)
    status = shipped.status(at)
    assert status.state == "closed"
    assert status.opens_at == status.handled_by == local(2027, 2, 15, 9, 0)
    assert [(n.kind, n.id) for n in status.notices] == [
        ("closure", "spring_festival_2027"), ("carrier_stop", "spring_festival_2027_carriers")]
    zh, en = shipped.notice(at, "zh"), shipped.notice(at, "en")
    assert zh is not None and "春节" in zh and "2月15日 09:00" in zh and "2月17日起恢复发货" in zh
    assert en is not None and "Spring Festival" in en and "15 Feb 09:00" in en and "resume from 17 Feb" in en


def test_closure_dates_cover_whole_days(shipped: ShopCalendar) -> None:
    assert shipped.status(local(2027, 2, 4, 23, 59)).state == "open"
    assert shipped.status(local(2027, 2, 5, 0, 0)).state == "closed"
    assert shipped.status(local(2027, 2, 14, 23, 59)).state == "closed"
    after = shipped.status(local(2027, 2, 15, 0, 30))
    assert after.state == "out_of_hours"
    assert after.handled_by == local(2027, 2, 15, 9, 0)
    assert [n.kind for n in after.notices] == ["carrier_stop"]


def test_carrier_stop_while_open_carries_a_notice(shipped: ShopCalendar) -> None:
    at = local(2027, 2, 2, 15, 0)
    status = shipped.status(at)
    assert status.state == "open"
    assert [n.id for n in status.notices] == ["spring_festival_2027_carriers"]
    assert status.notices[0].end == local(2027, 2, 17, 0, 0)  # `until: 2027-02-16` includes the 16th
    assert shipped.notice(at, "zh") == "春节期间快递停运，仓库暂停发货，预计2月17日起恢复发货。"
    assert shipped.notice(at, "en") == (
        "Carriers are paused for the Spring Festival and our warehouse is not shipping; "
        "shipping is expected to resume from 17 Feb.")


# --- timezone -----------------------------------------------------------------------------------------


def test_a_utc_clock_is_read_in_the_shop_timezone(shipped: ShopCalendar) -> None:
    # 20:00 UTC is inside 09:00-24:00 as a UTC time, but it is 04:00 in Shanghai
    night = shipped.status(datetime(2026, 6, 10, 20, 0, tzinfo=UTC))
    assert night.state == "out_of_hours"
    assert night.at.utcoffset() == timedelta(hours=8)
    assert night.handled_by == local(2026, 6, 11, 9, 0)
    assert night.handled_by.isoformat() == "2026-06-11T09:00:00+08:00"
    # 02:00 UTC is 10:00 in Shanghai
    assert shipped.status(datetime(2026, 6, 10, 2, 0, tzinfo=UTC)).state == "open"
    # the closure starts at midnight Shanghai time, 16:00 UTC the day before
    assert shipped.status(datetime(2027, 2, 4, 15, 59, tzinfo=UTC)).state == "open"
    assert shipped.status(datetime(2027, 2, 4, 16, 0, tzinfo=UTC)).state == "closed"


def test_any_aware_datetime_works_and_a_naive_one_is_refused(shipped: ShopCalendar) -> None:
    new_york = datetime(2026, 6, 10, 13, 30, tzinfo=ZoneInfo("America/New_York"))  # 01:30 in Shanghai
    assert shipped.status(new_york).handled_by == local(2026, 6, 11, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        shipped.status(datetime(2026, 6, 10, 12, 0))


def test_notice_times_are_shown_in_the_shop_timezone(tmp_path: Path) -> None:
    calendar = calendar_from(tmp_path, """
        version: 1
        timezone: America/New_York
        hours: {default: "08:00-20:00"}
    """)
    at = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)  # 22:00 on 10 Jun in New York
    assert calendar.status(at).handled_by == datetime(2026, 6, 11, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert "11 Jun 08:00" in (calendar.notice(at, "en") or "")


# --- a team's own calendar ----------------------------------------------------------------------------

WEEK = """
    version: 1
    hours:
      default: "09:00-12:00, 13:30-18:00"
      sat: "10:00-16:00"
      sun: closed
    reply_targets: {open: 5, out_of_hours: 30, closed: 120}
    closures:
      - id: team-offsite
        from: 2026-06-17 12:00
        until: 2026-06-17 15:00
        notice: {zh: 团队外出培训, en: Our team is at a training day}
      - id: dragon-boat
        from: 2026-06-19
        until: 2026-06-19
        notice: {zh: 端午节休息, en: We are closed for the Dragon Boat Festival}
    carrier_stops:
      - id: zto-typhoon
        carriers: [中通, ZTO]
        from: 2026-06-15
        until: 2026-06-16 18:00
        notice: {zh: 受台风影响中通暂停揽收, en: ZTO has paused pick-ups because of a typhoon}
"""


def test_weekday_hours_lunch_breaks_and_reply_targets(tmp_path: Path) -> None:
    calendar = calendar_from(tmp_path, WEEK)
    lunch = calendar.status(local(2026, 6, 10, 12, 30))  # a Wednesday
    assert lunch.state == "out_of_hours"
    assert lunch.opens_at == local(2026, 6, 10, 13, 30)
    assert lunch.handled_by == local(2026, 6, 10, 14, 0)  # + out_of_hours target
    assert calendar.status(local(2026, 6, 10, 11, 0)).handled_by == local(2026, 6, 10, 11, 5)
    assert calendar.status(local(2026, 6, 13, 15, 0)).state == "open"  # Saturday
    saturday_evening = calendar.status(local(2026, 6, 13, 17, 0))
    assert saturday_evening.opens_at == local(2026, 6, 15, 9, 0)  # Sunday closed: Monday morning


def test_a_closure_by_the_hour_and_one_before_a_closed_day(tmp_path: Path) -> None:
    calendar = calendar_from(tmp_path, WEEK)
    offsite = calendar.status(local(2026, 6, 17, 12, 30))
    assert offsite.state == "closed"
    assert offsite.opens_at == local(2026, 6, 17, 15, 0)
    assert offsite.handled_by == local(2026, 6, 17, 17, 0)  # + closed target
    assert calendar.status(local(2026, 6, 17, 15, 0)).state == "open"
    festival = calendar.status(local(2026, 6, 19, 10, 0))  # Friday, then Saturday opens at 10:00
    assert festival.opens_at == local(2026, 6, 20, 10, 0)
    assert "端午节休息" in (calendar.notice(local(2026, 6, 19, 10, 0), "zh") or "")


def test_carrier_stops_apply_to_their_carriers(tmp_path: Path) -> None:
    calendar = calendar_from(tmp_path, WEEK)
    at = local(2026, 6, 16, 10, 0)
    assert [n.id for n in calendar.status(at).notices] == ["zto-typhoon"]
    assert [n.id for n in calendar.status(at, carrier="zto").notices] == ["zto-typhoon"]
    assert [n.id for n in calendar.status(at, carrier="中通").notices] == ["zto-typhoon"]
    assert calendar.status(at, carrier="顺丰").notices == []
    assert calendar.notice(at, "zh", carrier="顺丰") is None
    assert calendar.notice(at, "zh", carrier="中通") == "受台风影响中通暂停揽收，预计6月16日 18:00起恢复发货。"
    assert calendar.status(local(2026, 6, 16, 18, 0)).notices == []  # a date-time `until` is excluded


def test_every_notice_passes_the_compliance_rules(shipped: ShopCalendar, tmp_path: Path) -> None:
    checker = PolicyChecker(load_rules())
    team = calendar_from(tmp_path, WEEK)
    cases = [(shipped, local(2026, 6, 11, 1, 0)), (shipped, local(2027, 2, 10, 12, 0)),
             (shipped, local(2027, 2, 2, 12, 0)), (team, local(2026, 6, 17, 12, 30)), (team, local(2026, 6, 16, 10))]
    for calendar, at in cases:
        for locale in ("zh", "en"):
            text = calendar.notice(at, locale)
            assert text
            for platform in PLATFORMS:
                result = checker.check(text, platform, locale)
                assert result.passed, (platform, text, result.violations)


# --- bad files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "field", "why"), [
    ("version: 1\ntimezone: Mars/Olympus\nhours: {default: '09:00-18:00'}\n", "timezone", "unknown timezone"),
    ("version: 1\nhours: {default: '9-18'}\n", "hours.default", "'9-18' is not HH:MM-HH:MM"),
    ("version: 1\nhours: {default: '18:00-09:00'}\n", "hours.default", "start before end"),
    ("version: 1\nhours: {default: '09:00-13:00, 12:00-18:00'}\n", "hours.default", "overlapping ranges"),
    ("version: 1\nhours: {funday: '09:00-18:00'}\n", "hours.funday", "Input should be 'default'"),
    ("version: 1\nhours: {default: closed}\n", "hours", "no service hours on any day"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nreply_targets: {open: -1}\n", "reply_targets.open",
     "greater than or equal to 0"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nclosures:\n"
     "  - {id: cny, from: 2027-02-14, until: 2027-02-05, notice: {zh: 休息, en: closed}}\n",
     "closures.0.until", "ends before it starts"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nclosures:\n"
     "  - {id: cny, from: 2027-02-05, until: 2027-02-14, notice: {zh: 休息}}\n",
     "closures.0.notice.en", "Field required"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nclosures:\n"
     "  - {id: cny, from: next week, until: 2027-02-14, notice: {zh: 休息, en: closed}}\n",
     "closures.0.from", "'next week' is not a date"),
    ("version: 1\nhours: {default: '09:00-18:00'}\ncarrier_stops:\n"
     "  - {id: stop, carriers: [], from: 2027-02-05, until: 2027-02-14, notice: {zh: 停运, en: paused}}\n",
     "carrier_stops.0.carriers", "name at least one carrier"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nholidays: []\n", "holidays", "Extra inputs are not permitted"),
    ("version: 1\nhours: {default: '09:00-18:00'}\nclosures:\n"
     "  - {id: a, from: 2027-02-05, until: 2027-02-05, notice: {zh: 休息, en: closed}}\n"
     "  - {id: a, from: 2027-03-05, until: 2027-03-05, notice: {zh: 休息, en: closed}}\n",
     "calendar.yaml", "duplicate ids: a"),
    ("version: 1\nhours: [unclosed\n", "calendar.yaml", "not valid YAML"),
])
def test_a_bad_file_names_the_file_and_the_field(tmp_path: Path, text: str, field: str, why: str) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    assert str(caught.value).startswith(f"{path}: ")
    message = str(caught.value)
    assert field in message and why in message
    assert message.index(field) < message.index(why)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.code == "calendar_error"


def test_a_missing_file_is_a_calendar_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        load_calendar(tmp_path / "nope.yaml")


def test_quoted_and_unquoted_dates_mean_whole_days(tmp_path: Path) -> None:
    calendar = calendar_from(tmp_path, """
        version: 1
        hours: {default: "09:00-18:00"}
        closures:
          - {id: a, from: "2027-03-01", until: "2027-03-01", notice: {zh: 休息, en: closed}}
          - {id: b, from: 2027-03-03T00:00, until: 2027-03-03T12:00+08:00, notice: {zh: 休息, en: closed}}
    """)
    assert calendar.status(local(2027, 3, 1, 17, 0)).state == "closed"
    assert calendar.status(local(2027, 3, 2, 9, 0)).state == "open"
    assert calendar.status(local(2027, 3, 3, 11, 0)).state == "closed"
    assert calendar.status(local(2027, 3, 3, 12, 0)).state == "open"
