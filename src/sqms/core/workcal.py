"""Working-calendar arithmetic: deadlines and elapsed time counted in working hours only.

A :class:`WorkingCalendar` is a weekly pattern of wall-clock working intervals, date overrides
that can remove *or add* working days (China moves weekend days around public holidays, 调休),
and a time zone. All arithmetic is done on absolute instants, so results are exact to the
microsecond and correct across daylight-saving changes in zones that have them.

Conventions callers rely on:

* An interval ``(start, end)`` is half-open, ``[start, end)``, in local wall-clock time. It may
  not cross midnight; ``time(0, 0)`` as an *end* means midnight at the end of the day (24:00).
* Every instant taken as input must be timezone-aware; every instant returned is aware and
  expressed in the calendar's zone (whatever zone the input was in).
* A deadline from :meth:`WorkingCalendar.add_working_time` is never strictly inside non-working
  time: it lies inside a working interval or exactly at an interval's end (18:00, not the next
  morning's 09:00).
* Do arithmetic on returned datetimes via UTC or the ``add_calendar_*`` methods: Python's ``+``
  on two datetimes sharing a ``ZoneInfo`` is wall-clock arithmetic and ignores DST.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TZ",
    "HORIZON_DAYS",
    "STANDARD_HOURS",
    "DayHours",
    "Interval",
    "WorkingCalendar",
]

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]
# An interval as absolute UTC instants.
_Span = tuple[datetime, datetime]

DEFAULT_TZ = "Asia/Shanghai"
STANDARD_HOURS: DayHours = ((time(9), time(12)), (time(13), time(18)))
# Searching for the next working instant gives up after this many consecutive days without any
# working time, so a calendar that has run out of working days fails loudly instead of looping.
HORIZON_DAYS = 3660

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_MICROSECONDS_PER_HOUR = 3_600_000_000
# Per-calendar memo of converted days; bounded so a long-lived calendar cannot grow without limit.
_SPAN_CACHE_DAYS = 20_000


@dataclass(frozen=True)
class WorkingCalendar:
    """A weekly pattern of working intervals, per-date overrides, and the zone they are read in.

    The hours of a date are ``overrides[date]`` when present (``()`` is a day off, a non-empty
    tuple on a weekend is a make-up working day), otherwise ``weekly[date.weekday()]``. After
    construction ``weekly`` has all seven weekdays, every day's intervals are sorted, disjoint
    and non-empty, and both mappings are read-only, so a calendar never changes once built.
    """

    weekly: Mapping[int, DayHours]
    overrides: Mapping[date, DayHours] = field(default_factory=dict)
    tz: str = DEFAULT_TZ
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _span_cache: dict[date, tuple[_Span, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str):
            raise ValueError(f"tz must be an IANA time zone name, got {self.tz!r}")
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc

        for name in ("weekly", "overrides"):
            if not isinstance(getattr(self, name), Mapping):
                raise TypeError(
                    f"{name} must be a mapping, got {type(getattr(self, name)).__name__}"
                )

        weekly: dict[int, DayHours] = dict.fromkeys(range(7), ())
        for weekday, hours in self.weekly.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(
                    f"weekly pattern keys must be weekdays 0 (Monday) to 6 (Sunday), "
                    f"got {weekday!r}"
                )
            weekly[weekday] = _validated_hours(_WEEKDAY_NAMES[weekday], hours)

        overrides: dict[date, DayHours] = {}
        for day, hours in self.overrides.items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"override keys must be datetime.date values, got {day!r}")
            overrides[day] = _validated_hours(day.isoformat(), hours)

        if not any(weekly.values()) and not any(overrides.values()):
            raise ValueError(
                "calendar has no working time: every weekday is empty and no override adds hours"
            )

        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "overrides", MappingProxyType(overrides))
        object.__setattr__(self, "_zone", zone)

    def __hash__(self) -> int:
        return hash((tuple(self.weekly.items()), frozenset(self.overrides.items()), self.tz))

    def __reduce__(self) -> tuple[type[WorkingCalendar], tuple[object, ...]]:
        # Read-only mapping proxies cannot be pickled; rebuild (and revalidate) from plain dicts.
        return (WorkingCalendar, (dict(self.weekly), dict(self.overrides), self.tz))

    @classmethod
    def standard(
        cls,
        hours: Sequence[Interval] = STANDARD_HOURS,
        workdays: Iterable[int] = (0, 1, 2, 3, 4),
        overrides: Mapping[date, Sequence[Interval]] | None = None,
        tz: str = DEFAULT_TZ,
    ) -> WorkingCalendar:
        """The same ``hours`` on each of ``workdays`` (default Monday–Friday), other days off."""
        day_hours = tuple(hours)
        return cls(
            weekly=dict.fromkeys(workdays, day_hours),
            overrides={day: tuple(ivs) for day, ivs in (overrides or {}).items()},
            tz=tz,
        )

    def with_overrides(self, extra: Mapping[date, Sequence[Interval]]) -> WorkingCalendar:
        """A copy with ``extra`` merged into the overrides; ``extra`` wins on shared dates."""
        merged = {**self.overrides, **{day: tuple(ivs) for day, ivs in extra.items()}}
        return WorkingCalendar(weekly=self.weekly, overrides=merged, tz=self.tz)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone; every returned datetime is expressed in it."""
        return self._zone

    def hours_on(self, day: date) -> DayHours:
        """The wall-clock working intervals of ``day``, with overrides applied."""
        hours = self.overrides.get(day)
        return self.weekly[day.weekday()] if hours is None else hours

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has any scheduled working hours, with overrides applied."""
        return bool(self.hours_on(day))

    def intervals_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals of ``day`` as aware datetimes in the calendar's zone.

        Where a DST jump skips part of an interval the interval is shortened accordingly, and an
        interval that falls entirely inside a skipped hour is left out.
        """
        return tuple(
            (s.astimezone(self._zone), e.astimezone(self._zone)) for s, e in self._spans(day)
        )

    def is_working_time(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside a working interval (start inclusive, end exclusive)."""
        at = _utc(instant, "instant")
        day = at.astimezone(self._zone).date()
        # The next day is checked too: where clocks fall back across midnight, the next day's
        # intervals can begin while the clock still shows the previous date.
        return any(s <= at < e for d in (day, day + _ONE_DAY) for s, e in self._spans(d))

    def next_working_instant(self, instant: datetime) -> datetime:
        """``instant`` itself if it is working time, otherwise the start of the next interval.

        Raises ValueError when no working time exists within :data:`HORIZON_DAYS` days.
        """
        at = _utc(instant, "instant")
        for start, _ in self._spans_from(at):
            return start.astimezone(self._zone)
        raise AssertionError("_spans_from never ends without raising")

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which ``amount`` of working time has elapsed after ``start``.

        For a positive amount the result is inside a working interval or exactly at its end. A
        zero amount returns ``start`` unchanged (as the same instant in the calendar's zone),
        even outside working hours. Raises ValueError for a negative amount.
        """
        at = _utc(start, "start")
        if not isinstance(amount, timedelta):
            raise TypeError(f"amount must be a timedelta, got {type(amount).__name__}")
        if amount < timedelta(0):
            raise ValueError(f"amount of working time must not be negative, got {amount}")
        if not amount:
            return at.astimezone(self._zone)
        remaining = amount
        for span_start, span_end in self._spans_from(at):
            length = span_end - span_start
            # `<=` rather than `<`: work that fills an interval exactly is done at its end.
            if remaining <= length:
                return (span_start + remaining).astimezone(self._zone)
            remaining -= length
        raise AssertionError("_spans_from never ends without raising")

    def add_working_hours(self, start: datetime, hours: float | Decimal | int) -> datetime:
        """:meth:`add_working_time` with the amount given in hours, rounded to the microsecond."""
        return self.add_working_time(start, _hours(hours))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """The working time in ``[a, b)``; negative (``-between(b, a)``) when ``b`` precedes ``a``.

        It never exceeds ``b - a``, and ``between(a, b) + between(b, c) == between(a, c)``.
        """
        lo, hi = _utc(a, "a"), _utc(b, "b")
        if hi < lo:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day = lo.astimezone(self._zone).date()
        # One day past the end date: where clocks fall back across midnight, the next day's
        # intervals can begin while the clock still shows the previous date.
        last = hi.astimezone(self._zone).date() + _ONE_DAY
        while day <= last:
            for s, e in self._spans(day):
                if s < hi and e > lo:
                    total += min(e, hi) - max(s, lo)
            day += _ONE_DAY
        return total

    def add_calendar_time(self, start: datetime, amount: timedelta) -> datetime:
        """``start`` plus ``amount`` of elapsed (absolute) time, ignoring working hours.

        A day of ``amount`` is always 24 real hours, even across a DST change.
        """
        return (_utc(start, "start") + amount).astimezone(self._zone)

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """The same local wall-clock time ``days`` dates later (or earlier) in the calendar's zone.

        If that time does not exist (clocks jumped over it) the result is shifted later by the
        length of the jump, as in RFC 5545; if it occurs twice, the occurrence matching
        ``start``'s is taken.
        """
        local = _utc(start, "start").astimezone(self._zone)
        wall = local.replace(tzinfo=None) + timedelta(days=days)
        candidate = wall.replace(tzinfo=self._zone, fold=local.fold).astimezone(UTC)
        if candidate.astimezone(self._zone).replace(tzinfo=None) != wall:
            # Skipped wall time: fold=0 reads it with the offset from before the jump.
            candidate = wall.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        return candidate.astimezone(self._zone)

    def _spans(self, day: date) -> tuple[_Span, ...]:
        spans = self._span_cache.get(day)
        if spans is None:
            if len(self._span_cache) >= _SPAN_CACHE_DAYS:
                self._span_cache.clear()
            spans = self._span_cache[day] = _day_spans(day, self.hours_on(day), self.tz)
        return spans

    def _spans_from(self, at: datetime) -> Iterator[_Span]:
        """The working intervals after ``at`` in order, the first clipped to begin at ``at``.

        Infinite unless it raises: ValueError after :data:`HORIZON_DAYS` days without work.
        """
        day = at.astimezone(self._zone).date()
        idle_days = 0
        while True:
            found = False
            for s, e in self._spans(day):
                if e > at:
                    found = True
                    yield max(s, at), e
            if found:
                idle_days = 0
            else:
                idle_days += 1
                if idle_days > HORIZON_DAYS:
                    raise ValueError(
                        f"calendar has no working time within {HORIZON_DAYS} days after "
                        f"{at.astimezone(self._zone).isoformat()}"
                    )
            day += _ONE_DAY


def _validated_hours(label: str, hours: Iterable[Interval]) -> DayHours:
    """``hours`` as a tuple of intervals, each non-empty, sorted and disjoint from the next."""
    result: list[Interval] = []
    previous: Interval | None = None
    for interval in hours:
        try:
            start, end = interval
        except (TypeError, ValueError):
            raise ValueError(f"{label}: {interval!r} is not a (start, end) pair") from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{label}: interval {interval!r} must be a pair of datetime.time")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{label}: interval times must be naive wall-clock times")
        shown = _show(start, end)
        if _offset(start) >= _end_offset(end):
            raise ValueError(
                f"{label}: interval {shown} must start before it ends "
                f"(intervals may not cross midnight; use 00:00 as the end for midnight)"
            )
        if previous is not None and _offset(start) < _end_offset(previous[1]):
            problem = "are out of order" if start < previous[0] else "overlap"
            raise ValueError(f"{label}: intervals {_show(*previous)} and {shown} {problem}")
        result.append((start, end))
        previous = (start, end)
    return tuple(result)


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _end_offset(t: time) -> timedelta:
    return _ONE_DAY if t == _MIDNIGHT else _offset(t)


def _show(start: time, end: time) -> str:
    return f"{start.isoformat()}–{'24:00' if end == _MIDNIGHT else end.isoformat()}"


def _utc(instant: datetime, name: str) -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def _hours(hours: float | Decimal | int) -> timedelta:
    finite = hours.is_finite() if isinstance(hours, Decimal) else math.isfinite(hours)
    if not finite:
        raise ValueError(f"hours must be finite, got {hours}")
    # Checked before rounding, so a tiny negative amount is not silently rounded to zero.
    if hours < 0:
        raise ValueError(f"amount of working time must not be negative, got {hours} hours")
    if isinstance(hours, Decimal):
        micro = (hours * _MICROSECONDS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_EVEN)
        return timedelta(microseconds=int(micro))
    return timedelta(hours=hours)


@functools.lru_cache(maxsize=65536)
def _day_spans(day: date, hours: DayHours, tz: str) -> tuple[_Span, ...]:
    """The intervals ``hours`` of ``day`` in ``tz`` as UTC instants, dropping any left empty.

    Cached across calendars: deadline sweeps revisit the same few hundred dates constantly.
    """
    zone = ZoneInfo(tz)
    spans: list[_Span] = []
    for start, end in hours:
        end_wall = datetime.combine(day + _ONE_DAY if end == _MIDNIGHT else day, end)
        s = _first_reading(datetime.combine(day, start), zone)
        e = _first_reading(end_wall, zone)
        if s < e:
            spans.append((s, e))
    return tuple(spans)


def _first_reading(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (in UTC) at which clocks in ``zone`` show ``wall`` or later.

    This maps wall-clock times to instants monotonically, so sorted disjoint intervals stay
    sorted and disjoint: a repeated time means its first occurrence, and a skipped time means
    the moment the clocks jumped over it.
    """
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # ``wall`` was skipped. fold=1 reads it with the post-jump offset, giving an instant before
    # the jump; fold=0 gives one after it. Zone transitions fall on whole seconds, so bisect.
    lo = math.floor(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    hi = math.ceil(instant.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
