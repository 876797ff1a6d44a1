"""Working calendars as data: building the pure `WorkingCalendar` of sqms.core from the database,
and the writes that edit calendars.

Precedence for a date, strongest first: the calendar's own override; an official day entered in
the database; the chinesecalendar package; the weekly pattern.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record, snapshot
from sqms.common.errors import DomainError, FieldError, PermissionDenied, field_error
from sqms.common.memo import bump
from sqms.common.models import (
    CalendarOverride,
    DayKind,
    OfficialDay,
    WorkCalendar,
    new_revision,
)
from sqms.core.holidays import official_days
from sqms.core.workcal import WorkingCalendar

Intervals = tuple[tuple[dt.time, dt.time], ...]

# The capability, as the org app's role backend answers it through `user.has_perm`.
CALENDAR_MANAGE = "calendar.manage"


def _require_manage(actor: Any) -> None:
    """System jobs (actor None) may; a user needs the calendar.manage capability somewhere."""
    if actor is not None and not actor.has_perm(CALENDAR_MANAGE):
        raise PermissionDenied()


STANDARD_NAME = "标准工作日历（9:00–18:00，法定节假日）"
STANDARD_WEEK: dict[str, list[list[str]]] = {
    **{str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(5)},
    "5": [],
    "6": [],
}


def parse_hours(raw: Any, field: str = "hours") -> Intervals:
    """[["09:00","12:00"], …] → intervals, with a message naming the field on any mistake."""
    out: list[tuple[dt.time, dt.time]] = []
    if not isinstance(raw, list):
        raise field_error(field, _("Hours must be a list of [start, end] pairs."))
    for i, pair in enumerate(raw):
        try:
            start_s, end_s = pair
            start = dt.time.fromisoformat(str(start_s))
            end = dt.time.fromisoformat(str(end_s))
        except (TypeError, ValueError):
            raise field_error(
                field, _("Interval %(n)d is not a pair of times like 09:00.") % {"n": i + 1}
            ) from None
        out.append((start, end))
    return tuple(out)


def format_hours(intervals: Intervals) -> str:
    return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in intervals) or "—"


def _weekly(wc: WorkCalendar) -> dict[int, Intervals]:
    return {d: parse_hours(wc.weekly_hours.get(str(d), []), f"weekly_hours.{d}") for d in range(7)}


def _usual_hours(weekly: dict[int, Intervals]) -> Intervals:
    """The hours of a make-up working day: those of the first weekday that has any."""
    for d in range(7):
        if weekly[d]:
            return weekly[d]
    return ((dt.time(9), dt.time(18)),)


def working_calendar(wc: WorkCalendar, around: dt.date, years: int = 1) -> WorkingCalendar:
    """The pure calendar for `wc`, with overrides filled in from `years` before `around` to
    `years + 1` after it (enough for any time limit counted from a date near `around`).

    Built calendars are kept in this process under the calendar's id and revision, which every
    service that changes a calendar's overrides or the official days draws anew: a process never
    uses a stale one, whichever process made the change. Building one costs three queries and
    a few thousand dates; every complaint intake needs one. Pass `wc` as read after any change
    (as every request reads it)."""
    if not wc.pk:
        return _build(wc, around, years)
    key = (
        wc.pk,
        wc.revision,
        around.year,
        years,
        wc.follow_official_holidays,
        wc.timezone,
        json.dumps(wc.weekly_hours, sort_keys=True),
    )
    built = _BUILT.get(key)
    if built is None:
        built = _build(wc, around, years)
        with _BUILT_LOCK:
            if len(_BUILT) >= _BUILT_MAX:
                _BUILT.pop(next(iter(_BUILT)))
            _BUILT[key] = built
    return built


# (calendar id, revision, year, …) → built calendar; the oldest goes first when full.
_BUILT: dict[tuple[Any, ...], WorkingCalendar] = {}
_BUILT_LOCK = threading.Lock()
_BUILT_MAX = 128


def _build(wc: WorkCalendar, around: dt.date, years: int) -> WorkingCalendar:
    weekly = _weekly(wc)
    usual = _usual_hours(weekly)
    start = dt.date(around.year - years, 1, 1)
    end = dt.date(around.year + years + 1, 12, 31)
    overrides: dict[dt.date, Intervals] = {}
    if wc.follow_official_holidays:
        official = official_days(start, end)
        for row in OfficialDay.objects.filter(date__range=(start, end)):
            official[row.date] = row.kind == DayKind.OFF
        for day, is_off in official.items():
            # A make-up working day keeps the calendar's own hours for that weekday if it has
            # any (a store open on Saturdays), else the usual hours of a working day.
            overrides[day] = () if is_off else (weekly[day.weekday()] or usual)
    own = wc.overrides.filter(date__range=(start, end)) if wc.pk else []
    for row in own:
        if row.kind == DayKind.OFF:
            overrides[row.date] = ()
        else:
            overrides[row.date] = parse_hours(row.hours) if row.hours else usual
    return WorkingCalendar(weekly=weekly, overrides=overrides, tz=wc.timezone)


def _revise(calendar: WorkCalendar | None = None) -> None:
    """A new revision for one calendar, or for all of them (the official days changed)."""
    rows = WorkCalendar.objects.all()
    revision = new_revision()
    if calendar is not None:
        rows = rows.filter(pk=calendar.pk)
        calendar.revision = revision  # the caller's object is current too
    rows.update(revision=revision)
    bump()  # the units' calendars are remembered with their revision


def forget_built_calendars() -> None:
    """Drop this process's built calendars (tests: a rolled-back database reuses revisions)."""
    with _BUILT_LOCK:
        _BUILT.clear()


def default_calendar() -> WorkCalendar:
    """The default calendar (a migration creates it). If an operator removed every calendar, an
    unsaved standard one stands in, so reading never writes."""
    wc = WorkCalendar.objects.filter(is_default=True).first()
    if wc is None:
        wc = WorkCalendar.objects.order_by("pk").first()
    return wc or WorkCalendar(code="standard", name=STANDARD_NAME, weekly_hours=STANDARD_WEEK)


def _validate_week(weekly_hours: Any) -> dict[str, list[list[str]]]:
    if not isinstance(weekly_hours, dict):
        raise field_error("weekly_hours", _("Give the working hours of each day of the week."))
    clean: dict[str, list[list[str]]] = {}
    for d in range(7):
        intervals = parse_hours(weekly_hours.get(str(d), []), f"weekly_hours.{d}")
        clean[str(d)] = [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in intervals]
    try:
        WorkingCalendar(weekly={int(k): parse_hours(v) for k, v in clean.items()}, overrides={})
    except ValueError as exc:
        raise field_error("weekly_hours", str(exc)) from None
    if not any(clean.values()):
        raise field_error("weekly_hours", _("A calendar needs at least one working day a week."))
    return clean


@transaction.atomic
def calendar_create(
    *,
    actor: Any,
    code: str,
    name: str,
    weekly_hours: Any,
    follow_official_holidays: bool = True,
    timezone: str = "Asia/Shanghai",
) -> WorkCalendar:
    """Create a working calendar."""
    _require_manage(actor)
    errors: list[FieldError] = []
    if WorkCalendar.objects.filter(code=code).exists():
        errors.append(FieldError(["code"], _("A calendar with this code exists.")))
    if not name.strip():
        errors.append(FieldError(["name"], _("Enter a name.")))
    if errors:
        raise DomainError(code="invalid", message=errors[0].msg, errors=errors)
    wc = WorkCalendar.objects.create(
        code=code,
        name=name.strip(),
        weekly_hours=_validate_week(weekly_hours),
        follow_official_holidays=follow_official_holidays,
        timezone=timezone,
        is_default=not WorkCalendar.objects.exists(),
    )
    audit_record(
        actor=actor,
        action="calendar.create",
        target=wc,
        after=snapshot(wc, ["code", "name", "weekly_hours", "follow_official_holidays"]),
    )
    return wc


@transaction.atomic
def calendar_override_set(
    *,
    actor: Any,
    calendar: WorkCalendar,
    date: dt.date,
    kind: str,
    hours: Any = None,
    note: str = "",
) -> CalendarOverride:
    """Set this calendar's own rule for one date (replacing an earlier one)."""
    _require_manage(actor)
    if kind not in DayKind.values:
        raise field_error("kind", _("Choose a day off or a working day."))
    clean_hours: list[list[str]] = []
    if kind == DayKind.WORKING and hours:
        intervals = parse_hours(hours)
        try:
            WorkingCalendar(weekly={}, overrides={date: intervals})
        except ValueError as exc:
            raise field_error("hours", str(exc)) from None
        clean_hours = [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in intervals]
    previous = CalendarOverride.objects.filter(calendar=calendar, date=date).first()
    before = snapshot(previous, ["date", "kind", "hours", "note"]) if previous else None
    row, _created = CalendarOverride.objects.update_or_create(
        calendar=calendar,
        date=date,
        defaults={"kind": kind, "hours": clean_hours, "note": note.strip()[:200]},
    )
    _revise(calendar)
    audit_record(
        actor=actor,
        action="calendar.override.set",
        target=row,
        before=before,
        after=snapshot(row, ["date", "kind", "hours", "note"]),
    )
    return row


@transaction.atomic
def calendar_override_remove(*, actor: Any, override: CalendarOverride, reason: str = "") -> None:
    _require_manage(actor)
    audit_record(
        actor=actor,
        action="calendar.override.remove",
        target=override,
        before=snapshot(override, ["date", "kind", "hours", "note"]),
        note=reason,
    )
    _revise(override.calendar)
    override.delete()


@transaction.atomic
def official_day_set(*, actor: Any, date: dt.date, kind: str, name: str = "") -> OfficialDay:
    """Enter one official holiday or make-up working day, e.g. for a year the chinesecalendar
    package does not know yet. Applies to every calendar that follows the official list."""
    _require_manage(actor)
    if kind not in DayKind.values:
        raise field_error("kind", _("Choose a day off or a working day."))
    row, _created = OfficialDay.objects.update_or_create(
        date=date, defaults={"kind": kind, "name": name.strip()[:80]}
    )
    _revise()
    audit_record(
        actor=actor,
        action="calendar.official.set",
        target=row,
        after=snapshot(row, ["date", "kind", "name"]),
    )
    return row
