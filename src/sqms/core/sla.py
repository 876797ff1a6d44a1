"""Complaint time limits (SLA clocks) and the complaint status machine, as plain values.

A clock has a *target* (an amount in one of four units) and, while it runs, a *deadline*. Pausing
a clock stores what is left of it, measured the way the target is measured (working time for the
working units, elapsed time for the calendar units); resuming sets a new deadline that far from
the moment of resumption. So a pause never eats into the time allowed, whatever the unit, and the
only arithmetic needed is the calendar's own (`sqms.core.workcal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqms.core.workcal import WorkingCalendar

__all__ = [
    "Status",
    "Target",
    "TimeUnit",
    "TransitionError",
    "allowed_transitions",
    "clock_deadline",
    "clock_remaining",
    "clock_resume",
    "clock_retarget_paused",
    "ensure_transition",
    "escalation_due",
]


class TimeUnit(StrEnum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_HOURS = "calendar_hours"
    CALENDAR_DAYS = "calendar_days"

    @property
    def is_working(self) -> bool:
        return self in (TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS)


@dataclass(frozen=True)
class Target:
    """A time limit: `amount` of `unit`. Working days end at the close of the last working
    interval of the n-th working day after the day the clock starts (the day itself is not
    counted), which is how "三个工作日内" is read."""

    amount: Decimal
    unit: TimeUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"a time limit must be positive, got {self.amount}")
        if self.unit in (TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS) and (
            self.amount != int(self.amount)
        ):
            raise ValueError(f"days must be a whole number, got {self.amount}")


def _hours(amount: Decimal) -> timedelta:
    return timedelta(microseconds=int(amount * 3_600_000_000))


def clock_deadline(cal: WorkingCalendar, target: Target, start: datetime) -> datetime:
    """When a clock with `target` that starts at `start` runs out."""
    if target.unit is TimeUnit.WORKING_HOURS:
        return cal.add_working_time(start, _hours(target.amount))
    if target.unit is TimeUnit.CALENDAR_HOURS:
        return cal.add_calendar_time(start, _hours(target.amount))
    if target.unit is TimeUnit.CALENDAR_DAYS:
        return cal.add_calendar_days(start, int(target.amount))
    day = start.astimezone(cal.zone).date()
    left = int(target.amount)
    while True:
        day += timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
            if left == 0:
                intervals = cal.intervals_on(day)
                if intervals:
                    return intervals[-1][1]
        if (day - start.astimezone(cal.zone).date()).days > 3660:
            raise ValueError("no working days within ten years of the start")


def clock_remaining(
    cal: WorkingCalendar, unit: TimeUnit, now: datetime, deadline: datetime
) -> timedelta:
    """What is left until `deadline`, measured as `unit` measures (negative when late)."""
    if unit.is_working:
        return cal.working_time_between(now, deadline)
    return deadline - now


def clock_resume(
    cal: WorkingCalendar, unit: TimeUnit, now: datetime, remaining: timedelta
) -> datetime:
    """The deadline of a clock resumed at `now` with `remaining` left (late clocks stay late)."""
    if not unit.is_working:
        return cal.add_calendar_time(now, remaining)
    if remaining <= timedelta(0):
        # Working time cannot be counted backwards from an arbitrary instant; a clock that was
        # already late stays late from the moment it resumes.
        return now.astimezone(cal.zone)
    return cal.add_working_time(now, remaining)


def _allowed(cal: WorkingCalendar, target: Target, start: datetime) -> timedelta:
    """The whole time `target` allows from `start`, measured as its unit measures."""
    return clock_remaining(cal, target.unit, start, clock_deadline(cal, target, start))


def clock_retarget_paused(
    cal: WorkingCalendar,
    start: datetime,
    old: Target,
    new: Target,
    remaining: timedelta,
) -> timedelta:
    """What is left of a paused clock started at `start` when its target changes from `old` to
    `new` (a complaint reclassified as more or less urgent). A running clock simply takes
    `clock_deadline(cal, new, start)`; a paused one keeps what it had used: the time allowed
    grows or shrinks by the difference between the two targets, when both are measured alike
    (working time, or elapsed time); otherwise the same share of the new allowance is left.
    So a clock paused without earlier pauses is left exactly what a clock that had run with
    `new` from the start would have left at the moment of the pause."""
    old_allowed = _allowed(cal, old, start)
    new_allowed = _allowed(cal, new, start)
    if old.unit.is_working == new.unit.is_working:
        return remaining + (new_allowed - old_allowed)
    if old_allowed <= timedelta(0):
        return new_allowed
    return new_allowed * (remaining / old_allowed)


def escalation_due(deadline: datetime, level: int, step: timedelta) -> datetime:
    """When a late clock reaches escalation `level` (1 = at the deadline itself, then one more
    level each `step` for as long as it stays late)."""
    if level < 1:
        raise ValueError("escalation levels start at 1")
    return deadline + step * (level - 1)


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    REPLIED = "replied"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    VOIDED = "voided"
    MERGED = "merged"


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.ASSIGNED, Status.INVESTIGATING, Status.REPLIED, Status.FOLLOW_UP}
)
_ENDS = frozenset({Status.WITHDRAWN, Status.VOIDED, Status.MERGED})
_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ASSIGNED, Status.INVESTIGATING, Status.REPLIED} | _ENDS),
    Status.ASSIGNED: frozenset({Status.ASSIGNED, Status.INVESTIGATING, Status.REPLIED} | _ENDS),
    Status.INVESTIGATING: frozenset({Status.ASSIGNED, Status.REPLIED} | _ENDS),
    # A reply can be corrected or followed by another; reopening goes back to investigating.
    Status.REPLIED: frozenset(
        {Status.REPLIED, Status.FOLLOW_UP, Status.CLOSED, Status.INVESTIGATING} | _ENDS
    ),
    Status.FOLLOW_UP: frozenset({Status.CLOSED, Status.INVESTIGATING}),
    Status.CLOSED: frozenset({Status.INVESTIGATING}),
    Status.WITHDRAWN: frozenset({Status.INVESTIGATING}),
    Status.VOIDED: frozenset(),
    Status.MERGED: frozenset(),
}


class TransitionError(ValueError):
    """The complaint cannot go from its status to the one asked for."""

    def __init__(self, current: Status, wanted: Status) -> None:
        super().__init__(f"cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def allowed_transitions(current: str) -> frozenset[Status]:
    return _TRANSITIONS[Status(current)]


def ensure_transition(current: str, wanted: str) -> None:
    if Status(wanted) not in _TRANSITIONS[Status(current)]:
        raise TransitionError(Status(current), Status(wanted))
