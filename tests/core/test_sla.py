"""SLA arithmetic and the complaint status machine: hand-computed deadlines for each unit on the
official 2026 calendar (weekends, holidays, make-up working days), and properties over random
starts: working days end at the close of the n-th working day, and a pause never eats into the
time allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqms.core.holidays import official_calendar, official_days
from sqms.core.sla import (
    Status,
    Target,
    TimeUnit,
    TransitionError,
    allowed_transitions,
    clock_deadline,
    clock_remaining,
    clock_resume,
    clock_retarget_paused,
    ensure_transition,
    escalation_due,
)
from sqms.core.workcal import WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = official_calendar()  # Mon–Fri 09:00–12:00, 13:00–18:00 with the official holidays
PLAIN = WorkingCalendar.standard()  # the same hours, no holidays
H = timedelta(hours=1)
WH, WD = TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS
CH, CD = TimeUnit.CALENDAR_HOURS, TimeUnit.CALENDAR_DAYS


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def target(amount: str | int, unit: TimeUnit) -> Target:
    return Target(Decimal(amount), unit)


def test_the_2026_calendar_is_the_one_these_cases_assume() -> None:
    days = official_days(date(2026, 9, 19), date(2026, 10, 11))
    assert days == {
        date(2026, 9, 20): False,  # Sunday, make-up working day
        date(2026, 9, 25): True,  # Mid-Autumn Festival (Friday)
        date(2026, 9, 26): True,
        date(2026, 9, 27): True,
        **{date(2026, 10, d): True for d in range(1, 8)},  # National Day, 1–7 October
        date(2026, 10, 10): False,  # Saturday, make-up working day
    }


# --- Targets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit"),
    [("0", WH), ("-1", CH), ("1.5", WD), ("0.5", CD), ("0", WD)],
)
def test_a_target_is_positive_and_days_are_whole(amount: str, unit: TimeUnit) -> None:
    with pytest.raises(ValueError):
        Target(Decimal(amount), unit)


@pytest.mark.parametrize(("amount", "unit"), [("0.25", WH), ("1.5", CH), ("3", WD), ("7", CD)])
def test_valid_targets(amount: str, unit: TimeUnit) -> None:
    assert Target(Decimal(amount), unit).amount == Decimal(amount)


def test_which_units_count_working_time() -> None:
    assert [u for u in TimeUnit if u.is_working] == [WH, WD]


# --- Deadlines ------------------------------------------------------------------------------

DEADLINES = [
    # Working hours: only 09:00–12:00 and 13:00–18:00 on working days count.
    pytest.param(sh(2026, 6, 9, 10), target(4, WH), sh(2026, 6, 9, 15), id="wh-across-lunch"),
    pytest.param(sh(2026, 6, 9, 12, 30), target(1, WH), sh(2026, 6, 9, 14), id="wh-from-lunch"),
    pytest.param(sh(2026, 6, 12, 17), target(2, WH), sh(2026, 6, 15, 10), id="wh-over-weekend"),
    pytest.param(sh(2026, 6, 13, 10), target(1, WH), sh(2026, 6, 15, 10), id="wh-from-saturday"),
    pytest.param(sh(2026, 6, 9, 10), target("0.5", WH), sh(2026, 6, 9, 10, 30), id="wh-half"),
    pytest.param(sh(2026, 6, 9, 9), target(8, WH), sh(2026, 6, 9, 18), id="wh-fills-a-day"),
    pytest.param(
        sh(2026, 9, 18, 17), target(4, WH), sh(2026, 9, 20, 12), id="wh-into-make-up-sunday"
    ),
    pytest.param(
        sh(2026, 9, 30, 17), target(2, WH), sh(2026, 10, 8, 10), id="wh-over-national-day"
    ),
    pytest.param(sh(2026, 6, 18, 17), target(2, WH), sh(2026, 6, 22, 10), id="wh-over-dragon-boat"),
    # Working days: to the close of the n-th working day after the day the clock starts.
    pytest.param(sh(2026, 6, 9, 10), target(1, WD), sh(2026, 6, 10, 18), id="wd-next-day"),
    pytest.param(sh(2026, 6, 9, 23), target(1, WD), sh(2026, 6, 10, 18), id="wd-late-evening"),
    pytest.param(sh(2026, 6, 9, 0, 1), target(1, WD), sh(2026, 6, 10, 18), id="wd-early-morning"),
    pytest.param(sh(2026, 6, 12, 10), target(1, WD), sh(2026, 6, 15, 18), id="wd-friday"),
    pytest.param(sh(2026, 6, 13, 10), target(1, WD), sh(2026, 6, 15, 18), id="wd-saturday"),
    pytest.param(sh(2026, 6, 9, 10), target(3, WD), sh(2026, 6, 12, 18), id="wd-three"),
    pytest.param(sh(2026, 6, 10, 10), target(3, WD), sh(2026, 6, 15, 18), id="wd-over-weekend"),
    pytest.param(
        sh(2026, 9, 30, 10), target(3, WD), sh(2026, 10, 10, 18), id="wd-national-day-make-up"
    ),
    pytest.param(sh(2026, 9, 30, 10), target(1, WD), sh(2026, 10, 8, 18), id="wd-after-holiday"),
    pytest.param(sh(2026, 10, 3, 10), target(2, WD), sh(2026, 10, 9, 18), id="wd-in-holiday"),
    pytest.param(sh(2026, 9, 30, 10), target(4, WD), sh(2026, 10, 12, 18), id="wd-four"),
    pytest.param(sh(2026, 9, 18, 10), target(1, WD), sh(2026, 9, 20, 18), id="wd-make-up-sunday"),
    pytest.param(sh(2026, 9, 24, 10), target(1, WD), sh(2026, 9, 28, 18), id="wd-mid-autumn"),
    pytest.param(sh(2026, 9, 20, 10), target(1, WD), sh(2026, 9, 21, 18), id="wd-from-make-up"),
    # Calendar hours and days ignore working time altogether.
    pytest.param(sh(2026, 9, 30, 10), target(12, CH), sh(2026, 9, 30, 22), id="ch-12"),
    pytest.param(sh(2026, 10, 1, 20), target(12, CH), sh(2026, 10, 2, 8), id="ch-in-holiday"),
    pytest.param(sh(2026, 6, 9, 10), target("1.25", CH), sh(2026, 6, 9, 11, 15), id="ch-frac"),
    pytest.param(sh(2026, 9, 30, 10), target(7, CD), sh(2026, 10, 7, 10), id="cd-week"),
    pytest.param(sh(2026, 12, 28, 15), target(7, CD), sh(2027, 1, 4, 15), id="cd-new-year"),
    pytest.param(
        datetime(2026, 9, 30, 2, tzinfo=UTC), target(3, WD), sh(2026, 10, 10, 18), id="utc-start"
    ),
]


@pytest.mark.parametrize(("start", "limit", "expected"), DEADLINES)
def test_clock_deadline(start: datetime, limit: Target, expected: datetime) -> None:
    deadline = clock_deadline(CAL, limit, start)
    assert deadline == expected
    assert deadline.tzinfo == SH


def test_the_holidays_are_what_moves_a_deadline() -> None:
    start = sh(2026, 9, 30, 10)
    assert clock_deadline(PLAIN, target(3, WD), start) == sh(2026, 10, 5, 18)
    assert clock_deadline(CAL, target(3, WD), start) == sh(2026, 10, 10, 18)


def test_a_calendar_without_working_days_fails_loudly() -> None:
    idle = WorkingCalendar(weekly={}, overrides={date(2000, 1, 3): ((time(9), time(18)),)})
    with pytest.raises(ValueError):
        clock_deadline(idle, target(1, WD), sh(2026, 6, 9))


# --- Remaining time and resuming ------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "now", "deadline", "expected"),
    [
        (WH, sh(2026, 6, 9, 11), sh(2026, 6, 10, 18), 14 * H),
        (WD, sh(2026, 6, 12, 17), sh(2026, 6, 15, 10), 2 * H),
        (WH, sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), 2 * H),
        (WH, sh(2026, 6, 10, 10), sh(2026, 6, 9, 17), -2 * H),
        (CH, sh(2026, 6, 9, 11), sh(2026, 6, 10, 18), 31 * H),
        (CD, sh(2026, 10, 1, 10), sh(2026, 10, 7, 10), 144 * H),
        (CH, sh(2026, 6, 9, 23), sh(2026, 6, 9, 22), -H),
    ],
)
def test_clock_remaining(
    unit: TimeUnit, now: datetime, deadline: datetime, expected: timedelta
) -> None:
    assert clock_remaining(CAL, unit, now, deadline) == expected


@pytest.mark.parametrize(
    ("unit", "now", "remaining", "expected"),
    [
        (WH, sh(2026, 6, 11, 10), 14 * H, sh(2026, 6, 12, 17)),
        (WD, sh(2026, 9, 30, 17), 2 * H, sh(2026, 10, 8, 10)),
        (WH, sh(2026, 6, 13, 10), H, sh(2026, 6, 15, 10)),  # resumed on a Saturday
        (CH, sh(2026, 6, 9, 20), 10 * H, sh(2026, 6, 10, 6)),
        (CD, sh(2026, 10, 1, 10), 144 * H, sh(2026, 10, 7, 10)),
        # A clock that was already late stays late from the moment it resumes.
        (WH, sh(2026, 6, 13, 10), -3 * H, sh(2026, 6, 13, 10)),
        (WD, sh(2026, 6, 11, 10), timedelta(0), sh(2026, 6, 11, 10)),
        (CH, sh(2026, 6, 11, 10), -3 * H, sh(2026, 6, 11, 7)),
    ],
)
def test_clock_resume(
    unit: TimeUnit, now: datetime, remaining: timedelta, expected: datetime
) -> None:
    resumed = clock_resume(CAL, unit, now, remaining)
    assert resumed == expected
    assert resumed.tzinfo == SH


# --- Escalation levels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [(1, sh(2026, 6, 9, 22)), (2, sh(2026, 6, 10, 10)), (3, sh(2026, 6, 10, 22))],
)
def test_escalation_due(level: int, expected: datetime) -> None:
    assert escalation_due(sh(2026, 6, 9, 22), level, 12 * H) == expected


@pytest.mark.parametrize("level", [0, -1])
def test_escalation_levels_start_at_one(level: int) -> None:
    with pytest.raises(ValueError):
        escalation_due(sh(2026, 6, 9, 22), level, 12 * H)


# --- Properties -----------------------------------------------------------------------------

# Instants within the years the installed holiday data covers, to the minute.
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(SH)
).map(lambda d: d.replace(second=0, microsecond=0))
hour_amounts = st.decimals(min_value=Decimal("0.25"), max_value=Decimal(80), places=2)
day_amounts = st.integers(min_value=1, max_value=15)
units = st.sampled_from(list(TimeUnit))


def random_target(draw: st.DrawFn, unit: TimeUnit) -> Target:
    if unit in (WD, CD):
        return Target(Decimal(draw(day_amounts)), unit)
    return Target(draw(hour_amounts), unit)


@st.composite
def targets(draw: st.DrawFn) -> Target:
    return random_target(draw, draw(units))


@settings(max_examples=300, deadline=None)
@given(start=instants, n=day_amounts)
def test_working_days_end_at_the_close_of_the_nth_working_day(start: datetime, n: int) -> None:
    deadline = clock_deadline(CAL, Target(Decimal(n), WD), start)
    last = deadline.date()
    assert CAL.is_working_day(last)
    assert deadline == CAL.intervals_on(last)[-1][1]
    assert deadline.time().hour == 18
    # Exactly n working days after the start date, the start date itself not counted.
    counted = [
        start.date() + timedelta(days=i)
        for i in range(1, (last - start.date()).days + 1)
        if CAL.is_working_day(start.date() + timedelta(days=i))
    ]
    assert len(counted) == n
    assert counted[-1] == last


@settings(max_examples=300, deadline=None)
@given(start=instants, limit=targets())
def test_a_deadline_is_never_before_its_start_and_gives_the_full_time(
    start: datetime, limit: Target
) -> None:
    deadline = clock_deadline(CAL, limit, start)
    assert deadline > start
    if limit.unit is WH:
        assert CAL.working_time_between(start, deadline) == timedelta(hours=float(limit.amount))
        # Never strictly inside non-working time: inside an interval or at its end.
        assert CAL.is_working_time(deadline - timedelta(microseconds=1))
    if limit.unit is CH:
        assert deadline - start == timedelta(hours=float(limit.amount))
    if limit.unit is CD:
        assert deadline.time() == start.time()
        assert (deadline.date() - start.date()).days == limit.amount


@st.composite
def pauses(draw: st.DrawFn) -> tuple[Target, datetime, datetime, datetime]:
    """A clock's target and start, an instant it is paused before its deadline, and a later
    instant it is resumed."""
    limit = draw(targets())
    start = draw(instants)
    deadline = clock_deadline(CAL, limit, start)
    pause = start + (deadline - start) * draw(st.floats(min_value=0, max_value=0.999))
    pause = pause.replace(microsecond=0)
    resume = pause + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 20)))
    return limit, start, pause, resume


@settings(max_examples=400, deadline=None)
@given(case=pauses())
def test_a_pause_never_shortens_the_time_allowed(
    case: tuple[Target, datetime, datetime, datetime],
) -> None:
    limit, start, pause, resume = case
    deadline = clock_deadline(CAL, limit, start)
    left = clock_remaining(CAL, limit.unit, pause, deadline)
    assert left > timedelta(0)
    resumed = clock_resume(CAL, limit.unit, resume, left)
    # What was left when paused is exactly what is left when it runs again ...
    assert clock_remaining(CAL, limit.unit, resume, resumed) == left
    # ... so the deadline moves later by exactly the paused time, as the unit measures it.
    assert resumed >= deadline
    if limit.unit.is_working:
        assert CAL.working_time_between(deadline, resumed) == CAL.working_time_between(
            pause, resume
        )
    else:
        assert resumed - deadline == resume - pause


@settings(max_examples=200, deadline=None)
@given(start=instants, limit=targets())
def test_pausing_and_resuming_at_once_changes_nothing(start: datetime, limit: Target) -> None:
    deadline = clock_deadline(CAL, limit, start)
    left = clock_remaining(CAL, limit.unit, start, deadline)
    assert clock_resume(CAL, limit.unit, start, left) == deadline


@settings(max_examples=200, deadline=None)
@given(
    deadline=instants,
    late_by=st.integers(min_value=0, max_value=60 * 24 * 10),
    wait=st.integers(min_value=0, max_value=60 * 24 * 10),
    unit=units,
)
def test_a_late_clock_stays_late_after_a_pause(
    deadline: datetime, late_by: int, wait: int, unit: TimeUnit
) -> None:
    pause = deadline + timedelta(minutes=late_by)
    resume = pause + timedelta(minutes=wait)
    left = clock_remaining(CAL, unit, pause, deadline)
    assert left <= timedelta(0)
    assert clock_resume(CAL, unit, resume, left) <= resume


@settings(max_examples=100, deadline=None)
@given(deadline=instants, step_hours=st.integers(min_value=1, max_value=48))
def test_escalation_levels_are_a_step_apart(deadline: datetime, step_hours: int) -> None:
    step = timedelta(hours=step_hours)
    due = [escalation_due(deadline, level, step) for level in range(1, 6)]
    assert due[0] == deadline
    assert [b - a for a, b in pairwise(due)] == [step] * 4


# --- The status machine ---------------------------------------------------------------------

S = Status
ENDS = {S.WITHDRAWN, S.VOIDED, S.MERGED}
ALLOWED: dict[Status, set[Status]] = {
    S.RECEIVED: {S.ASSIGNED, S.INVESTIGATING, S.REPLIED, *ENDS},
    S.ASSIGNED: {S.ASSIGNED, S.INVESTIGATING, S.REPLIED, *ENDS},
    S.INVESTIGATING: {S.ASSIGNED, S.REPLIED, *ENDS},
    S.REPLIED: {S.REPLIED, S.FOLLOW_UP, S.CLOSED, S.INVESTIGATING, *ENDS},
    S.FOLLOW_UP: {S.CLOSED, S.INVESTIGATING},
    S.CLOSED: {S.INVESTIGATING},
    S.WITHDRAWN: {S.INVESTIGATING},
    S.VOIDED: set(),
    S.MERGED: set(),
}
PAIRS = [(a, b) for a in Status for b in Status]


def test_every_status_has_a_row() -> None:
    assert set(ALLOWED) == set(Status)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [pytest.param(a, b, id=f"{a}->{b}") for a, b in PAIRS if b in ALLOWED[a]],
)
def test_allowed_transitions(current: Status, wanted: Status) -> None:
    ensure_transition(current.value, wanted.value)
    assert wanted in allowed_transitions(current.value)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [pytest.param(a, b, id=f"{a}->{b}") for a, b in PAIRS if b not in ALLOWED[a]],
)
def test_refused_transitions(current: Status, wanted: Status) -> None:
    with pytest.raises(TransitionError) as exc:
        ensure_transition(current.value, wanted.value)
    assert (exc.value.current, exc.value.wanted) == (current, wanted)
    assert str(exc.value) == f"cannot go from {current} to {wanted}"
    assert wanted not in allowed_transitions(current.value)


def test_voided_and_merged_are_final_and_nothing_goes_back_to_received() -> None:
    assert allowed_transitions("voided") == frozenset()
    assert allowed_transitions("merged") == frozenset()
    assert not any(S.RECEIVED in allowed_transitions(s) for s in Status)


def test_unknown_statuses_are_refused() -> None:
    with pytest.raises(ValueError):
        ensure_transition("received", "lost")
    with pytest.raises(ValueError):
        allowed_transitions("lost")


# --- A new target for a paused clock (the complaint was reclassified) -------------------------


@settings(max_examples=300, deadline=None)
@given(case=pauses(), data=st.data())
def test_a_retargeted_paused_clock_has_what_a_clock_with_the_new_target_would_have(
    case: tuple[Target, datetime, datetime, datetime], data: st.DataObject
) -> None:
    old, start, pause, _resume = case
    # A new target measured the same way (working or elapsed time).
    alike = [u for u in TimeUnit if u.is_working == old.unit.is_working]
    new = random_target(data.draw, data.draw(st.sampled_from(alike)))
    left = clock_remaining(CAL, old.unit, pause, clock_deadline(CAL, old, start))
    retargeted = clock_retarget_paused(CAL, start, old, new, left)
    assert retargeted == clock_remaining(CAL, new.unit, pause, clock_deadline(CAL, new, start))


@settings(max_examples=200, deadline=None)
@given(case=pauses(), unit=units, data=st.data())
def test_a_longer_target_never_leaves_a_paused_clock_less(
    case: tuple[Target, datetime, datetime, datetime], unit: TimeUnit, data: st.DataObject
) -> None:
    old, start, pause, _resume = case
    left = clock_remaining(CAL, old.unit, pause, clock_deadline(CAL, old, start))
    shorter = random_target(data.draw, unit)
    longer = Target(shorter.amount * 2, unit)
    assert clock_retarget_paused(CAL, start, old, shorter, left) <= clock_retarget_paused(
        CAL, start, old, longer, left
    )
    # The same target changes nothing.
    assert clock_retarget_paused(CAL, start, old, old, left) == left


def test_a_paused_clock_moved_from_working_to_elapsed_time_keeps_its_share() -> None:
    # 8 working hours from Monday 9:00; paused at 11:00 with 6 of 8 left (three quarters).
    # The new limit is 12 calendar hours: three quarters of it, 9 hours, are left.
    start = sh(2026, 11, 2, 9)
    old, new = target(8, WH), target(12, CH)
    left = clock_remaining(CAL, WH, sh(2026, 11, 2, 11), clock_deadline(CAL, old, start))
    assert left == 6 * H
    assert clock_retarget_paused(CAL, start, old, new, left) == 9 * H
