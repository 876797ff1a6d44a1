"""Official Chinese holidays from chinesecalendar, and deadlines across the 2026 National Day week.

2026 facts (State Council notice, as shipped in chinesecalendar 1.11): Thu 1 – Wed 7 October are
days off; Sun 20 September and Sat 10 October are make-up working days; Sun 11 October is off;
Fri 25 September (Mid-autumn Festival) is off.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from sqms.core.holidays import (
    holiday_name,
    official_calendar,
    official_overrides,
    official_years_known,
)
from sqms.core.workcal import STANDARD_HOURS, WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
AUTUMN_2026 = official_overrides(date(2026, 9, 1), date(2026, 10, 31), STANDARD_HOURS)
CAL = WorkingCalendar.standard(overrides=AUTUMN_2026)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_national_day_2026_overrides() -> None:
    assert {
        date(2026, 9, 20): STANDARD_HOURS,  # Sunday, make-up working day
        date(2026, 9, 25): (),  # Friday, Mid-autumn Festival
        date(2026, 10, 1): (),
        date(2026, 10, 2): (),
        date(2026, 10, 5): (),
        date(2026, 10, 6): (),
        date(2026, 10, 7): (),
        date(2026, 10, 10): STANDARD_HOURS,  # Saturday, make-up working day
    } == AUTUMN_2026
    # Weekend days inside the holiday (3, 4 Oct) and Sun 11 Oct are already off: no override.
    assert list(AUTUMN_2026) == sorted(AUTUMN_2026)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 19), False),
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),
        (date(2026, 9, 30), True),
        *[(date(2026, 10, d), False) for d in range(1, 8)],
        (date(2026, 10, 8), True),
        (date(2026, 10, 9), True),
        (date(2026, 10, 10), True),
        (date(2026, 10, 11), False),
        (date(2026, 10, 12), True),
    ],
)
def test_national_day_2026_working_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # 1 h on Wed 30 Sep (17–18), 1–7 Oct off, then 3 h + 4 h on Thu 8 Oct.
        pytest.param(sh(2026, 9, 30, 17), 8, sh(2026, 10, 8, 17), id="before-holiday"),
        pytest.param(sh(2026, 10, 3, 10), 1, sh(2026, 10, 8, 10), id="during-holiday"),
        # The make-up Saturday counts: 10:00–12:00 fills the two hours.
        pytest.param(sh(2026, 10, 10, 10), 2, sh(2026, 10, 10, 12), id="make-up-saturday"),
        # Sat 10 Oct 17:00: 1 h that day, Sun 11 Oct off, then Monday.
        pytest.param(sh(2026, 10, 10, 17), 2, sh(2026, 10, 12, 10), id="make-up-then-sunday"),
        pytest.param(sh(2026, 9, 19, 12), 1, sh(2026, 9, 20, 10), id="make-up-sunday"),
        # 12 h from Fri 9 Oct 17:00: 1 h Fri, 8 h Sat 10 Oct, 3 h Mon 12 Oct morning.
        pytest.param(sh(2026, 10, 9, 17), 12, sh(2026, 10, 12, 12), id="across-both"),
    ],
)
def test_deadlines_across_national_day_2026(
    start: datetime, hours: int, expected: datetime
) -> None:
    assert CAL.add_working_hours(start, hours) == expected
    assert CAL.working_time_between(start, expected) == hours * H


def test_national_day_2026_working_time() -> None:
    assert CAL.is_working_time(sh(2026, 9, 20, 10))
    assert CAL.is_working_time(sh(2026, 10, 10, 10))
    assert not CAL.is_working_time(sh(2026, 10, 11, 10))
    assert CAL.working_time_between(sh(2026, 10, 1), sh(2026, 10, 8)) == timedelta(0)
    assert all(CAL.intervals_on(date(2026, 10, d)) == () for d in range(1, 8))
    # Wed 30 Sep 8 h; 1–7 Oct none; Thu 8, Fri 9, Sat 10 (make-up) 8 h each; Sun 11 none.
    assert CAL.working_time_between(sh(2026, 9, 30), sh(2026, 10, 12)) == 32 * H
    assert CAL.next_working_instant(sh(2026, 9, 30, 18)) == sh(2026, 10, 8, 9)
    # Without the official overrides the same span would be 8 weekdays = 64 h.
    plain = WorkingCalendar.standard()
    assert plain.working_time_between(sh(2026, 9, 30), sh(2026, 10, 12)) == 64 * H


def test_years_known() -> None:
    years = official_years_known()
    assert 2026 in years
    assert 2027 not in years
    assert years.start <= 2010
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(years.stop, 1, 4))
    assert chinese_calendar.is_workday(date(years.stop - 1, 1, 5)) in (True, False)


def test_unknown_years_are_skipped() -> None:
    assert official_overrides(date(2027, 1, 1), date(2027, 12, 31), STANDARD_HOURS) == {}
    spanning = official_overrides(date(2026, 12, 1), date(2027, 12, 31), STANDARD_HOURS)
    assert all(day.year == 2026 for day in spanning)


def test_overrides_agree_with_the_package_on_every_known_day() -> None:
    years = official_years_known()
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    cal = WorkingCalendar.standard(overrides=official_overrides(first, last, STANDARD_HOURS))
    day = first
    while day <= last:
        assert cal.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_overrides_use_the_hours_given() -> None:
    short = ((time(8, 30), time(12)),)
    overrides = official_overrides(date(2026, 10, 10), date(2026, 10, 10), short)
    assert overrides == {date(2026, 10, 10): short}


def test_override_range_is_inclusive_and_validated() -> None:
    assert list(official_overrides(date(2026, 10, 1), date(2026, 10, 1), STANDARD_HOURS)) == [
        date(2026, 10, 1)
    ]
    with pytest.raises(ValueError, match="before start"):
        official_overrides(date(2026, 10, 2), date(2026, 10, 1), STANDARD_HOURS)
    with pytest.raises(TypeError, match=r"datetime\.date"):
        official_overrides(datetime(2026, 10, 1), date(2026, 10, 2), STANDARD_HOURS)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 10, 1), "National Day"),
        (date(2026, 10, 3), "National Day"),  # a weekend inside the holiday
        (date(2026, 10, 10), "National Day"),  # the make-up working day that pays for it
        (date(2026, 10, 11), None),  # an ordinary Sunday
        (date(2026, 10, 12), None),
        (date(2026, 9, 25), "Mid-autumn Festival"),
        (date(2025, 1, 1), "New Year's Day"),
        (date(2027, 10, 1), None),  # a year the package does not know
    ],
)
def test_holiday_name(day: date, name: str | None) -> None:
    assert holiday_name(day) == name


def test_official_calendar_takes_manual_overrides_for_unknown_years() -> None:
    manual = {date(2027, 1, 1): (), date(2027, 1, 2): STANDARD_HOURS}  # Fri off, Sat working
    cal = official_calendar(manual_overrides=manual)
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 10, 10))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 2))
    assert cal.add_working_hours(sh(2026, 12, 31, 17), 2) == sh(2027, 1, 2, 10)
    assert cal.tz == "Asia/Shanghai"
