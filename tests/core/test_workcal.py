"""Working-calendar arithmetic: hand-computed cases, validation, and properties over random
calendars (including DST zones, days with several intervals, and overrides in both directions).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sqms.core.workcal import HORIZON_DAYS, STANDARD_HOURS, WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CAL = WorkingCalendar.standard()  # Mon–Fri 09:00–12:00 and 13:00–18:00, Asia/Shanghai
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=SH)


# 2025-03-07 is a Friday; 2025-03-08/09 the weekend; 2025-03-10 a Monday.
ADD_CASES = [
    pytest.param(sh(2025, 3, 7, 17), 12 * H, sh(2025, 3, 11, 12), id="friday-17h+12h"),
    pytest.param(sh(2025, 3, 10, 11), 2 * H, sh(2025, 3, 10, 14), id="across-lunch"),
    pytest.param(sh(2025, 3, 10, 12, 30), H, sh(2025, 3, 10, 14), id="start-in-lunch"),
    pytest.param(sh(2025, 3, 8, 10), H, sh(2025, 3, 10, 10), id="start-saturday"),
    pytest.param(sh(2025, 3, 9, 23, 59), H, sh(2025, 3, 10, 10), id="start-sunday-night"),
    pytest.param(sh(2025, 3, 10, 7), H, sh(2025, 3, 10, 10), id="start-before-office"),
    pytest.param(sh(2025, 3, 10, 9), 3 * H, sh(2025, 3, 10, 12), id="fills-morning-ends-12"),
    pytest.param(sh(2025, 3, 10, 12), H, sh(2025, 3, 10, 14), id="start-at-interval-end"),
    pytest.param(sh(2025, 3, 10, 13), 5 * H, sh(2025, 3, 10, 18), id="start-at-interval-start"),
    pytest.param(sh(2025, 3, 7, 18), H / 2, sh(2025, 3, 10, 9, 30), id="friday-18h"),
    pytest.param(sh(2025, 3, 10, 9), 8 * H, sh(2025, 3, 10, 18), id="exact-day"),
    pytest.param(sh(2025, 3, 10, 9), 8 * H + US, sh(2025, 3, 11, 9) + US, id="day-plus-1us"),
    pytest.param(sh(2025, 3, 10, 9), 40 * H, sh(2025, 3, 14, 18), id="one-week"),
    pytest.param(sh(2025, 3, 10, 9), 120 * H, sh(2025, 3, 28, 18), id="three-weeks"),
    pytest.param(datetime(2025, 3, 7, 9, tzinfo=UTC), 12 * H, sh(2025, 3, 11, 12), id="utc-input"),
    pytest.param(
        datetime(2025, 3, 7, 23, 30, tzinfo=UTC), H, sh(2025, 3, 10, 10), id="utc-input-saturday"
    ),
]


@pytest.mark.parametrize(("start", "amount", "expected"), ADD_CASES)
def test_add_working_time(start: datetime, amount: timedelta, expected: datetime) -> None:
    result = CAL.add_working_time(start, amount)
    assert result == expected
    assert result.tzinfo == SH
    assert CAL.working_time_between(start, result) == amount


@pytest.mark.parametrize(
    "start", [sh(2025, 3, 8, 10), sh(2025, 3, 10, 10), datetime(2025, 3, 8, 2, tzinfo=UTC)]
)
def test_zero_amount_returns_start_even_outside_working_time(start: datetime) -> None:
    result = CAL.add_working_time(start, timedelta(0))
    assert result == start
    assert result.tzinfo == SH


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (12, sh(2025, 3, 11, 12)),
        (1.5, sh(2025, 3, 10, 9, 30)),
        (Decimal("0.25"), sh(2025, 3, 7, 17, 15)),
        (Decimal("1") / Decimal("3"), sh(2025, 3, 7, 17, 20)),
        (0, sh(2025, 3, 7, 17)),
    ],
)
def test_add_working_hours(hours: float | Decimal | int, expected: datetime) -> None:
    assert CAL.add_working_hours(sh(2025, 3, 7, 17), hours) == expected


BETWEEN_CASES = [
    pytest.param(sh(2025, 3, 7, 17), sh(2025, 3, 10, 10), 2 * H, id="over-weekend"),
    pytest.param(sh(2025, 3, 7), sh(2025, 3, 10), 8 * H, id="friday-to-monday-midnight"),
    pytest.param(sh(2025, 3, 8), sh(2025, 3, 10), timedelta(0), id="whole-weekend"),
    pytest.param(sh(2025, 3, 10, 11), sh(2025, 3, 10, 14), 2 * H, id="across-lunch"),
    pytest.param(sh(2025, 3, 10, 12), sh(2025, 3, 10, 13), timedelta(0), id="just-lunch"),
    pytest.param(sh(2025, 3, 10), sh(2025, 3, 17), 40 * H, id="one-week"),
    pytest.param(sh(2025, 3, 10), sh(2025, 3, 31), 120 * H, id="three-weeks"),
    pytest.param(sh(2025, 3, 10, 10), sh(2025, 3, 10, 10), timedelta(0), id="empty"),
    pytest.param(sh(2025, 3, 10, 14), sh(2025, 3, 10, 11), -2 * H, id="negative"),
    pytest.param(sh(2025, 3, 10), sh(2025, 3, 3), -40 * H, id="negative-week"),
    pytest.param(
        datetime(2025, 3, 7, 9, tzinfo=UTC),
        datetime(2025, 3, 10, 2, tzinfo=UTC),
        2 * H,
        id="utc-endpoints",
    ),
]


@pytest.mark.parametrize(("a", "b", "expected"), BETWEEN_CASES)
def test_working_time_between(a: datetime, b: datetime, expected: timedelta) -> None:
    assert CAL.working_time_between(a, b) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sh(2025, 3, 10, 10), sh(2025, 3, 10, 10)),
        (sh(2025, 3, 10, 9), sh(2025, 3, 10, 9)),
        (sh(2025, 3, 10, 8, 59, 59), sh(2025, 3, 10, 9)),
        (sh(2025, 3, 10, 12), sh(2025, 3, 10, 13)),
        (sh(2025, 3, 7, 18), sh(2025, 3, 10, 9)),
        (sh(2025, 3, 8, 12), sh(2025, 3, 10, 9)),
        (datetime(2025, 3, 10, 4, 30, tzinfo=UTC), sh(2025, 3, 10, 13)),
    ],
)
def test_next_working_instant(instant: datetime, expected: datetime) -> None:
    result = CAL.next_working_instant(instant)
    assert result == expected
    assert result.tzinfo == SH


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sh(2025, 3, 10, 9), True),
        (sh(2025, 3, 10, 8, 59, 59, 999999), False),
        (sh(2025, 3, 10, 11, 59, 59, 999999), True),
        (sh(2025, 3, 10, 12), False),
        (sh(2025, 3, 10, 17, 59), True),
        (sh(2025, 3, 10, 18), False),
        (sh(2025, 3, 8, 10), False),
        (datetime(2025, 3, 10, 2, tzinfo=UTC), True),
    ],
)
def test_is_working_time(instant: datetime, expected: bool) -> None:
    assert CAL.is_working_time(instant) is expected


def test_days_and_intervals() -> None:
    assert CAL.is_working_day(date(2025, 3, 10))
    assert not CAL.is_working_day(date(2025, 3, 8))
    assert CAL.hours_on(date(2025, 3, 10)) == STANDARD_HOURS
    assert CAL.intervals_on(date(2025, 3, 10)) == (
        (sh(2025, 3, 10, 9), sh(2025, 3, 10, 12)),
        (sh(2025, 3, 10, 13), sh(2025, 3, 10, 18)),
    )
    assert all(s.tzinfo == SH for s, _ in CAL.intervals_on(date(2025, 3, 10)))
    assert CAL.intervals_on(date(2025, 3, 8)) == ()


def test_overrides_remove_and_add_working_days() -> None:
    saturday, monday = date(2025, 3, 8), date(2025, 3, 10)
    cal = CAL.with_overrides({saturday: [(time(10), time(12))], monday: ()})
    assert cal.is_working_day(saturday)
    assert not cal.is_working_day(monday)
    # Friday 17:00: 1 h on Friday, 2 h on the make-up Saturday, Monday off, then Tuesday.
    assert cal.add_working_hours(sh(2025, 3, 7, 17), 4) == sh(2025, 3, 11, 10)
    assert cal.working_time_between(sh(2025, 3, 7), sh(2025, 3, 12)) == 18 * H
    assert CAL.overrides == {}, "with_overrides must not change the original"


def test_midnight_end_means_end_of_day() -> None:
    always = WorkingCalendar.standard(hours=[(time(0), time(0))], workdays=range(7))
    assert always.intervals_on(date(2025, 3, 10)) == ((sh(2025, 3, 10), sh(2025, 3, 11)),)
    start = sh(2025, 3, 7, 17, 5)
    assert always.add_working_time(start, 100 * H) == always.add_calendar_time(start, 100 * H)
    assert always.working_time_between(sh(2025, 3, 1), sh(2025, 4, 1)) == timedelta(days=31)

    evenings = WorkingCalendar.standard(hours=[(time(20), time(0))])
    assert evenings.add_working_hours(sh(2025, 3, 10, 21), 3) == sh(2025, 3, 11)
    assert evenings.add_working_hours(sh(2025, 3, 10, 21), 4) == sh(2025, 3, 11, 21)
    assert evenings.add_working_hours(sh(2025, 3, 14, 21), 3) == sh(2025, 3, 15)
    assert not evenings.is_working_time(sh(2025, 3, 15))
    assert evenings.next_working_instant(sh(2025, 3, 15)) == sh(2025, 3, 17, 20)


def test_touching_intervals_are_allowed_and_continuous() -> None:
    cal = WorkingCalendar.standard(hours=[(time(9), time(12)), (time(12), time(13))])
    assert cal.is_working_time(sh(2025, 3, 10, 12))
    assert cal.add_working_hours(sh(2025, 3, 10, 11), 2) == sh(2025, 3, 10, 13)


def test_calendar_time_and_days_in_asia_shanghai() -> None:
    start = sh(2025, 3, 7, 17)
    assert CAL.add_calendar_time(start, timedelta(hours=72)) == sh(2025, 3, 10, 17)
    assert CAL.add_calendar_days(start, 3) == sh(2025, 3, 10, 17)
    assert CAL.add_calendar_days(start, -7) == sh(2025, 2, 28, 17)
    utc_result = CAL.add_calendar_days(datetime(2025, 3, 7, 20, tzinfo=UTC), 1)
    assert utc_result == sh(2025, 3, 9, 4)
    assert utc_result.tzinfo == SH


def test_calendar_time_and_days_across_dst() -> None:
    cal = WorkingCalendar.standard(tz="America/New_York")
    start = datetime(2025, 3, 8, 9, tzinfo=NY)  # clocks spring forward early on 9 March
    assert cal.add_calendar_days(start, 1) == datetime(2025, 3, 9, 9, tzinfo=NY)
    assert cal.add_calendar_time(start, timedelta(days=1)) == datetime(2025, 3, 9, 10, tzinfo=NY)
    # 02:30 does not exist on 9 March: shifted later by the one-hour jump.
    skipped = cal.add_calendar_days(datetime(2025, 3, 8, 2, 30, tzinfo=NY), 1)
    assert skipped == datetime(2025, 3, 9, 3, 30, tzinfo=NY)
    # 01:30 happens twice on 2 November: the occurrence matching the start's is kept.
    second = datetime(2025, 11, 2, 6, 30, tzinfo=UTC)  # 01:30 EST, the second 01:30
    # Compared in UTC: Python never finds an ambiguous local time equal to one in another zone.
    assert cal.add_calendar_days(second, 0).astimezone(UTC) == second
    assert cal.add_calendar_days(second, -1) == datetime(2025, 11, 1, 1, 30, tzinfo=NY)


def test_working_intervals_across_dst() -> None:
    cal = WorkingCalendar.standard(hours=[(time(1), time(4))], workdays=range(7), tz=NY.key)
    spring, autumn = date(2025, 3, 9), date(2025, 11, 2)
    assert (
        cal.working_time_between(datetime(2025, 3, 9, tzinfo=NY), datetime(2025, 3, 10, tzinfo=NY))
        == 2 * H
    )
    assert (
        cal.working_time_between(datetime(2025, 11, 2, tzinfo=NY), datetime(2025, 11, 3, tzinfo=NY))
        == 4 * H
    )
    ((s, e),) = cal.intervals_on(spring)
    assert (s.astimezone(UTC), e.astimezone(UTC)) == (
        datetime(2025, 3, 9, 6, tzinfo=UTC),
        datetime(2025, 3, 9, 8, tzinfo=UTC),
    )
    # The deadline is measured in real elapsed working time, not wall-clock readings.
    deadline = cal.add_working_hours(datetime(2025, 11, 2, 1, tzinfo=NY), 4)
    assert deadline.astimezone(UTC) == datetime(2025, 11, 2, 9, tzinfo=UTC)
    # An interval wholly inside the skipped hour contributes nothing.
    gap = WorkingCalendar.standard(hours=[(time(2, 15), time(2, 45))], workdays=range(7), tz=NY.key)
    assert gap.intervals_on(spring) == ()
    assert len(gap.intervals_on(autumn)) == 1


# The expected start and end are hours after midnight UTC of the same date.
SKIPPED_AND_REPEATED = [
    # New York springs forward 02:00 -> 03:00: work "from 02:30" starts when clocks show 03:00.
    pytest.param("America/New_York", date(2025, 3, 9), (time(2, 30), time(5)), 7, 9, id="ny-gap"),
    # Lord Howe (UTC+10:30) springs forward 02:00 -> 02:30, a half-hour jump.
    pytest.param(
        "Australia/Lord_Howe", date(2025, 10, 5), (time(2, 10), time(3)), -8.5, -8, id="half-hour"
    ),
    # Santiago springs forward at midnight, so 7 September has 23 hours...
    pytest.param("America/Santiago", date(2025, 9, 7), (time(0), time(0)), 4, 27, id="cl-gap"),
    # ...and falls back at midnight, so 5 April has 25 (23:00-24:00 twice).
    pytest.param("America/Santiago", date(2025, 4, 5), (time(0), time(0)), 3, 28, id="cl-repeat"),
]


@pytest.mark.parametrize(("tz", "day", "hours", "start_utc", "end_utc"), SKIPPED_AND_REPEATED)
def test_intervals_over_skipped_and_repeated_wall_times(
    tz: str, day: date, hours: tuple[time, time], start_utc: float, end_utc: float
) -> None:
    cal = WorkingCalendar.standard(hours=[hours], workdays=range(7), tz=tz)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    expected = (midnight + start_utc * H, midnight + end_utc * H)
    ((start, end),) = cal.intervals_on(day)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == expected
    assert cal.working_time_between(*expected) == expected[1] - expected[0]
    assert cal.is_working_time(expected[1] - US)
    if hours != (time(0), time(0)):  # whole-day intervals continue from the previous day
        assert not cal.is_working_time(expected[0] - US)


def test_calendar_is_immutable_hashable_and_compares_by_value() -> None:
    same = WorkingCalendar(weekly={d: STANDARD_HOURS for d in range(5)}, overrides={})
    assert same == CAL
    assert hash(same) == hash(CAL)
    assert len({same, CAL}) == 1
    assert CAL.weekly[5] == ()
    with pytest.raises(TypeError):
        CAL.weekly[5] = STANDARD_HOURS  # type: ignore[index]
    with pytest.raises(AttributeError):
        CAL.tz = "UTC"  # type: ignore[misc]


def test_calendar_survives_pickling() -> None:
    cal = CAL.with_overrides({date(2025, 3, 8): STANDARD_HOURS})
    copy = pickle.loads(pickle.dumps(cal))
    assert copy == cal
    assert copy.add_working_hours(sh(2025, 3, 7, 17), 2) == sh(2025, 3, 8, 10)


def test_lists_are_accepted_and_stored_as_tuples() -> None:
    cal = WorkingCalendar(weekly={0: [[time(9), time(10)]]}, overrides={})  # type: ignore[dict-item]
    assert cal.weekly[0] == ((time(9), time(10)),)


MON = {0: ((time(9), time(12)),)}

INVALID_CASES = [
    pytest.param(
        {1: ((time(9), time(9)),)}, {}, "Asia/Shanghai", "Tuesday.*start before", id="empty"
    ),
    pytest.param(
        {1: ((time(12), time(9)),)}, {}, "Asia/Shanghai", "Tuesday.*start before", id="backwards"
    ),
    pytest.param(
        {2: ((time(9), time(12)), (time(11), time(13)))},
        {},
        "Asia/Shanghai",
        "Wednesday.*overlap",
        id="overlap",
    ),
    pytest.param(
        {2: ((time(13), time(18)), (time(9), time(12)))},
        {},
        "Asia/Shanghai",
        "Wednesday.*out of order",
        id="unsorted",
    ),
    pytest.param(
        {3: ((time(22), time(2)),)},
        {},
        "Asia/Shanghai",
        "Thursday.*cross midnight",
        id="crosses-midnight",
    ),
    pytest.param({7: ((time(9), time(12)),)}, {}, "Asia/Shanghai", "weekdays 0", id="weekday-7"),
    pytest.param({-1: ()}, {}, "Asia/Shanghai", "weekdays 0", id="weekday-negative"),
    pytest.param(
        MON,
        {date(2026, 10, 1): ((time(9), time(8)),)},
        "Asia/Shanghai",
        "2026-10-01.*start before",
        id="override-bad-interval",
    ),
    pytest.param(
        MON,
        {datetime(2026, 10, 1): ()},
        "Asia/Shanghai",
        r"datetime\.date",
        id="override-datetime",
    ),
    pytest.param(
        {0: ((time(9, tzinfo=UTC), time(12)),)},
        {},
        "Asia/Shanghai",
        "Monday.*naive",
        id="aware-time",
    ),
    pytest.param({0: ((time(9),),)}, {}, "Asia/Shanghai", "Monday.*pair", id="not-a-pair"),
    pytest.param({0: (("09:00", "12:00"),)}, {}, "Asia/Shanghai", r"datetime\.time", id="strings"),
    pytest.param(MON, {}, "Mars/Olympus_Mons", "unknown time zone", id="bad-tz"),
    pytest.param({}, {}, "Asia/Shanghai", "no working time", id="no-working-time"),
    pytest.param(
        {d: () for d in range(7)},
        {date(2026, 10, 1): ()},
        "Asia/Shanghai",
        "no working time",
        id="only-days-off",
    ),
]


@pytest.mark.parametrize(("weekly", "overrides", "tz", "message"), INVALID_CASES)
def test_invalid_calendars_are_rejected(
    weekly: object, overrides: object, tz: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(weekly=weekly, overrides=overrides, tz=tz)  # type: ignore[arg-type]


def test_standard_rejects_bad_workdays() -> None:
    with pytest.raises(ValueError, match="weekdays 0"):
        WorkingCalendar.standard(workdays=(1, 2, 9))


NAIVE = datetime(2025, 3, 10, 10)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: CAL.is_working_time(NAIVE), id="is_working_time"),
        pytest.param(lambda: CAL.next_working_instant(NAIVE), id="next_working_instant"),
        pytest.param(lambda: CAL.add_working_time(NAIVE, H), id="add_working_time"),
        pytest.param(lambda: CAL.add_working_hours(NAIVE, 1), id="add_working_hours"),
        pytest.param(lambda: CAL.working_time_between(NAIVE, sh(2025, 3, 11)), id="between-a"),
        pytest.param(lambda: CAL.working_time_between(sh(2025, 3, 9), NAIVE), id="between-b"),
        pytest.param(lambda: CAL.add_calendar_time(NAIVE, H), id="add_calendar_time"),
        pytest.param(lambda: CAL.add_calendar_days(NAIVE, 1), id="add_calendar_days"),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: CAL.add_working_time(sh(2025, 3, 10), -US), id="negative-timedelta"),
        pytest.param(lambda: CAL.add_working_hours(sh(2025, 3, 10), -1), id="negative-int"),
        pytest.param(lambda: CAL.add_working_hours(sh(2025, 3, 10), -0.5), id="negative-float"),
        pytest.param(
            lambda: CAL.add_working_hours(sh(2025, 3, 10), Decimal("-2")), id="negative-decimal"
        ),
        pytest.param(
            lambda: CAL.add_working_hours(sh(2025, 3, 10), Decimal("-1e-12")), id="tiny-negative"
        ),
    ],
)
def test_negative_amounts_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="negative"):
        call()


@pytest.mark.parametrize("hours", [float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_hours_are_rejected(hours: float | Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        CAL.add_working_hours(sh(2025, 3, 10), hours)


def test_running_out_of_working_time_raises_instead_of_looping() -> None:
    one_day = WorkingCalendar(
        weekly={}, overrides={date(2025, 3, 10): ((time(9), time(10)),)}, tz="Asia/Shanghai"
    )
    assert one_day.add_working_hours(sh(2025, 1, 1), 1) == sh(2025, 3, 10, 10)
    assert one_day.working_time_between(sh(2000, 1, 1), sh(2040, 1, 1)) == H
    with pytest.raises(ValueError, match=f"no working time within {HORIZON_DAYS} days"):
        one_day.add_working_hours(sh(2025, 1, 1), 2)
    with pytest.raises(ValueError, match="no working time within"):
        one_day.next_working_instant(sh(2025, 3, 10, 10))
    assert not one_day.is_working_time(sh(2030, 1, 1, 9))


# Properties over random calendars

ZONES = [
    "Asia/Shanghai",
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # clocks change at midnight
]
# Instants of 2025 DST changes in the zones above, so random instants often land near one.
TRANSITIONS = [
    datetime(2025, 3, 9, 7, tzinfo=UTC),
    datetime(2025, 11, 2, 6, tzinfo=UTC),
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2025, 4, 5, 15, tzinfo=UTC),
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
    datetime(2025, 4, 6, 3, tzinfo=UTC),
    datetime(2025, 9, 7, 4, tzinfo=UTC),
]
OVERRIDE_FROM = date(2025, 1, 1)
WINDOW_START = datetime(2024, 12, 1, tzinfo=UTC)


def at_minute(m: int) -> time:
    return time(0) if m == 24 * 60 else time(m // 60, m % 60)


def pair_up(points: list[int]) -> tuple[tuple[time, time], ...]:
    points = sorted(points)
    return tuple(
        (at_minute(points[i]), at_minute(points[i + 1])) for i in range(0, len(points) - 1, 2)
    )


def day_hours(min_intervals: int = 0) -> st.SearchStrategy[tuple[tuple[time, time], ...]]:
    """Up to three sorted, disjoint minute-aligned intervals; 24:00 shows up as an end time(0)."""
    points = st.lists(st.integers(0, 24 * 60), min_size=2 * min_intervals, max_size=6, unique=True)
    return points.map(pair_up)


# Strategies are built once: constructing them per draw costs more than drawing from them.
WEEKLY = st.tuples(*[day_hours()] * 7)
A_WORKING_DAY = day_hours(min_intervals=1)
OVERRIDES = st.dictionaries(
    st.dates(OVERRIDE_FROM, OVERRIDE_FROM + timedelta(days=500)),
    st.one_of(st.just(()), A_WORKING_DAY),
    max_size=12,
)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    weekly = dict(enumerate(draw(WEEKLY)))
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = draw(A_WORKING_DAY)
    return WorkingCalendar(weekly, draw(OVERRIDES), draw(st.sampled_from(ZONES)))


def instants() -> st.SearchStrategy[datetime]:
    # Built from integers rather than st.datetimes(timezones=...), which is several times slower.
    anywhere = st.integers(0, 550 * 86400).map(lambda s: WINDOW_START + timedelta(seconds=s))
    near_transition = st.builds(
        lambda t, s: t + timedelta(seconds=s),
        st.sampled_from(TRANSITIONS),
        st.integers(-2 * 86400, 2 * 86400),
    )
    return st.builds(
        lambda t, us, zone: (t + timedelta(microseconds=us)).astimezone(zone),
        st.one_of(anywhere, near_transition),
        st.integers(0, 999_999),
        st.sampled_from([ZoneInfo(z) for z in ZONES]),
    )


def amounts(cal: WorkingCalendar) -> st.SearchStrategy[timedelta]:
    week = [date(2025, 6, 2) + timedelta(days=n) for n in range(7)]
    weekly_seconds = sum((e - s).total_seconds() for d in week for s, e in cal.intervals_on(d))
    # At most 2000 h, and at most half a year of this calendar's work so sparse calendars stay fast.
    cap = int(min(2000 * 3600, max(weekly_seconds, 60) * 26))
    return st.integers(0, cap).map(lambda s: timedelta(seconds=s))


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def ends_an_interval(cal: WorkingCalendar, instant: datetime) -> bool:
    day = instant.astimezone(cal.zone).date()
    return any(
        utc(e) == utc(instant)
        for d in (day - timedelta(days=1), day)
        for _, e in cal.intervals_on(d)
    )


# Aware datetimes in one ZoneInfo compare by wall clock and ambiguous ones never equal another
# zone's, so the properties compare instants in UTC.
PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cal=calendars(), start=instants(), data=st.data())
def test_add_then_measure_round_trips_and_is_minimal(
    cal: WorkingCalendar, start: datetime, data: st.DataObject
) -> None:
    amount = data.draw(amounts(cal))
    result = cal.add_working_time(start, amount)
    assert result.tzinfo == cal.zone
    assert utc(result) >= utc(start)
    assert cal.working_time_between(start, result) == amount
    if amount:
        assert cal.is_working_time(result) or ends_an_interval(cal, result)
        assert cal.working_time_between(start, utc(result) - US) < amount
        assert utc(result) == utc(cal.add_working_time(cal.next_working_instant(start), amount))
    else:
        assert utc(result) == utc(start)


@PROPERTY
@given(cal=calendars(), start=instants(), data=st.data())
def test_add_is_monotonic(cal: WorkingCalendar, start: datetime, data: st.DataObject) -> None:
    first, second = sorted([data.draw(amounts(cal)), data.draw(amounts(cal))])
    assert utc(cal.add_working_time(start, first)) <= utc(cal.add_working_time(start, second))


@PROPERTY
@given(cal=calendars(), points=st.lists(instants(), min_size=3, max_size=3))
def test_between_is_additive_bounded_and_antisymmetric(
    cal: WorkingCalendar, points: list[datetime]
) -> None:
    a, b, c = sorted(points, key=utc)
    ab, bc, ac = (
        cal.working_time_between(a, b),
        cal.working_time_between(b, c),
        cal.working_time_between(a, c),
    )
    assert ab + bc == ac
    assert timedelta(0) <= ab <= utc(b) - utc(a)
    assert cal.working_time_between(b, a) == -ab


@PROPERTY
@given(cal=calendars(), instant=instants())
def test_next_working_instant_is_working_and_skips_only_idle_time(
    cal: WorkingCalendar, instant: datetime
) -> None:
    found = cal.next_working_instant(instant)
    assert cal.is_working_time(found)
    assert cal.working_time_between(instant, found) == timedelta(0)
    assert (utc(found) == utc(instant)) is cal.is_working_time(instant)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(), start=instants(), minutes=st.integers(0, 36 * 60))
def test_between_matches_minute_by_minute_count(
    cal: WorkingCalendar, start: datetime, minutes: int
) -> None:
    # Interval edges and DST changes in these zones fall on whole minutes, so on a minute grid
    # each minute is wholly working or wholly idle.
    origin = utc(start).replace(second=0, microsecond=0)
    grid = [origin + timedelta(minutes=m) for m in range(minutes)]
    expected = timedelta(minutes=sum(cal.is_working_time(t) for t in grid))
    assert cal.working_time_between(origin, origin + timedelta(minutes=minutes)) == expected


@PROPERTY
@given(cal=calendars(), start=instants(), days=st.integers(-400, 400))
def test_calendar_days_keep_the_local_time_when_it_exists(
    cal: WorkingCalendar, start: datetime, days: int
) -> None:
    local = start.astimezone(cal.zone)
    result = cal.add_calendar_days(start, days)
    assert result.date() == local.date() + timedelta(days=days)
    # Exact unless the local time was skipped by a DST jump on the target day.
    target = local.replace(tzinfo=None) + timedelta(days=days)
    exists = utc(target.replace(tzinfo=cal.zone)).astimezone(cal.zone).replace(tzinfo=None)
    assume(exists == target)
    assert result.replace(tzinfo=None) == target
    back = cal.add_calendar_days(result, -days)
    assert back.replace(tzinfo=None) == local.replace(tzinfo=None)
