"""Official Chinese public holidays and make-up working days (调休), from ``chinesecalendar``.

The package only knows the years the State Council has published; :func:`official_years_known`
says which. Dates outside those years are skipped rather than guessed, so callers must enter
later years' arrangements by hand (as calendar overrides) until the package is upgraded.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import chinese_calendar

from sqms.core.workcal import DEFAULT_TZ, STANDARD_HOURS, DayHours, Interval, WorkingCalendar

__all__ = [
    "holiday_name",
    "official_calendar",
    "official_days",
    "official_overrides",
    "official_years_known",
]

# Both dicts are keyed by date. ``_OFF`` lists every official day off (weekends inside a holiday
# included); ``_ON`` lists every weekend day that is an official working day.
_OFF: Mapping[date, object] = chinese_calendar.holidays
_ON: Mapping[date, object] = chinese_calendar.workdays


@functools.cache
def official_years_known() -> range:
    """The years for which the installed package has official data (the years it accepts)."""
    return range(min(_OFF).year, max(_OFF).year + 1)


def official_overrides(start: date, end: date, hours: Sequence[Interval]) -> dict[date, DayHours]:
    """Overrides turning a Monday–Friday week into the official one, for dates in [start, end].

    A public holiday on a weekday maps to ``()`` (day off) and a make-up working weekend day
    maps to ``hours``; every other known date already matches Monday–Friday and is omitted, as
    is every date in a year the package does not know.
    """
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(f"{name} must be a datetime.date, got {value!r}")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    day_hours = tuple(hours)
    overrides: dict[date, DayHours] = {}
    # A weekday listed as both a holiday and a working day is a working day, as in the package.
    for day in _OFF:
        if start <= day <= end and day.weekday() < 5 and day not in _ON:
            overrides[day] = ()
    for day in _ON:
        if start <= day <= end and day.weekday() >= 5:
            overrides[day] = day_hours
    return dict(sorted(overrides.items()))


def official_days(start: date, end: date) -> dict[date, bool]:
    """The official status of every listed date in [start, end], whatever the weekday: True for a
    day off of a public holiday (weekend days inside a holiday included), False for a make-up
    working day. Unlike :func:`official_overrides` this does not assume a Monday–Friday week, so
    a calendar that works on Saturdays can still close on a holiday Saturday."""
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(f"{name} must be a datetime.date, got {value!r}")
    days: dict[date, bool] = {}
    for day in _OFF:
        if start <= day <= end:
            days[day] = True
    for day in _ON:
        if start <= day <= end:
            days[day] = False  # listed as both: a working day, as in the package
    return dict(sorted(days.items()))


def holiday_name(day: date) -> str | None:
    """The English name of the official holiday ``day`` belongs to, e.g. ``'National Day'``.

    Make-up working days carry the name of the holiday they compensate for. None for ordinary
    days and for years the package does not know.
    """
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a datetime.date, got {day!r}")
    if day.year not in official_years_known():
        return None
    _, name = chinese_calendar.get_holiday_detail(day)
    return name if isinstance(name, str) else None


def official_calendar(
    hours: Sequence[Interval] = STANDARD_HOURS,
    *,
    manual_overrides: Mapping[date, Sequence[Interval]] | None = None,
    tz: str = DEFAULT_TZ,
) -> WorkingCalendar:
    """A Monday–Friday calendar following every known official year, plus manual overrides.

    ``manual_overrides`` win over the official data, so they can fill in years the package does
    not know yet or record a company's own extra days off.
    """
    years = official_years_known()
    official = official_overrides(date(years.start, 1, 1), date(years.stop - 1, 12, 31), hours)
    return WorkingCalendar.standard(hours, overrides=official, tz=tz).with_overrides(
        manual_overrides or {}
    )
