"""Working calendars as data: official holidays from the package and the database, a calendar's
own overrides, inheritance along the org tree, validation, auditing and the calendar pages.

2026 facts (chinesecalendar 1.11): Thu 1 – Wed 7 October are off; Sun 20 September and Sat 10
October are make-up working days; Fri 25 September (Mid-autumn Festival) is off. The package
knows nothing of 2027.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sqms.common.calendars import (
    STANDARD_WEEK,
    calendar_create,
    calendar_override_set,
    default_calendar,
    official_day_set,
    working_calendar,
)
from sqms.common.errors import DomainError
from sqms.common.models import AuditEntry, CalendarOverride, DayKind, OfficialDay, WorkCalendar
from sqms.org import services
from sqms.org.selectors import unit_calendar

SH = ZoneInfo("Asia/Shanghai")
WEEKDAYS_9_TO_18 = {
    **{str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(5)},
    "5": [],
    "6": [],
}


def sh(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH)


def hours_on(wc: WorkCalendar, day: dt.date) -> dt.timedelta:
    """The working time `wc` counts on `day`, midnight to midnight."""
    cal = working_calendar(wc, around=day)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=SH)
    return cal.working_time_between(start, start + dt.timedelta(days=1))


def calendar_state() -> tuple[int, int, int, int]:
    return (
        WorkCalendar.objects.count(),
        CalendarOverride.objects.count(),
        OfficialDay.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def standard(db: None) -> WorkCalendar:
    """The default calendar, created the way the first page visit creates it."""
    return default_calendar()


# --- The official list ----------------------------------------------------------------------


def test_national_day_2026_deadline_skips_the_holiday_week(standard):
    cal = working_calendar(standard, around=dt.date(2026, 10, 1))
    # 1 h on Wed 30 Sep (17–18), 1–7 Oct off, then 3 h + 4 h on Thu 8 Oct.
    assert cal.add_working_hours(sh(2026, 9, 30, 17), 8) == sh(2026, 10, 8, 17)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(dt.date(2026, 10, 10), True, id="make-up-saturday"),
        pytest.param(dt.date(2026, 9, 20), True, id="make-up-sunday"),
        pytest.param(dt.date(2026, 9, 25), False, id="mid-autumn-friday"),
        pytest.param(dt.date(2026, 10, 1), False, id="national-day"),
        pytest.param(dt.date(2026, 10, 9), True, id="plain-friday"),
        pytest.param(dt.date(2026, 10, 11), False, id="plain-sunday"),
    ],
)
def test_official_2026_days(standard, day, working):
    cal = working_calendar(standard, around=dt.date(2026, 10, 1))
    assert cal.is_working_day(day) is working


def test_2027_is_unknown_until_official_days_are_entered(standard, people):
    new_year = dt.date(2027, 1, 1)  # a Friday
    make_up_saturday = dt.date(2027, 1, 9)
    assert new_year.weekday() == 4
    assert make_up_saturday.weekday() == 5
    cal = working_calendar(standard, around=new_year)
    assert cal.is_working_day(new_year) is True
    assert cal.is_working_day(make_up_saturday) is False

    off = official_day_set(actor=people.quality, date=new_year, kind=DayKind.OFF, name="元旦")
    on = official_day_set(actor=people.quality, date=make_up_saturday, kind=DayKind.WORKING)

    standard.refresh_from_db()  # as read by the next request
    cal = working_calendar(standard, around=new_year)
    assert cal.is_working_day(new_year) is False
    assert cal.is_working_day(make_up_saturday) is True
    assert hours_on(standard, make_up_saturday) == dt.timedelta(hours=8)
    entries = AuditEntry.objects.filter(action="calendar.official.set").order_by("seq")
    assert [(e.target_id, e.actor) for e in entries] == [
        (str(off.pk), people.quality),
        (str(on.pk), people.quality),
    ]


def test_official_day_in_the_database_wins_over_the_package(standard):
    official_day_set(actor=None, date=dt.date(2026, 10, 2), kind=DayKind.WORKING)
    official_day_set(actor=None, date=dt.date(2026, 10, 9), kind=DayKind.OFF)
    cal = working_calendar(standard, around=dt.date(2026, 10, 1))
    assert cal.is_working_day(dt.date(2026, 10, 2)) is True
    assert cal.is_working_day(dt.date(2026, 10, 9)) is False


def test_official_day_set_replaces_the_earlier_entry_for_its_date(standard):
    official_day_set(actor=None, date=dt.date(2027, 1, 1), kind=DayKind.WORKING)
    official_day_set(actor=None, date=dt.date(2027, 1, 1), kind=DayKind.OFF, name="元旦")
    assert list(OfficialDay.objects.values_list("date", "kind", "name")) == [
        (dt.date(2027, 1, 1), DayKind.OFF, "元旦")
    ]
    assert AuditEntry.objects.filter(action="calendar.official.set").count() == 2


# --- A calendar's own rules -----------------------------------------------------------------


def test_own_override_wins_over_the_official_list(standard, people):
    store = calendar_create(
        actor=people.quality, code="store", name="门店", weekly_hours=STANDARD_WEEK
    )
    row = calendar_override_set(
        actor=people.quality,
        calendar=store,
        date=dt.date(2026, 10, 3),  # a Saturday inside National Day
        kind=DayKind.WORKING,
        hours=[["10:00", "16:00"]],
        note="国庆促销",
    )
    calendar_override_set(
        actor=people.quality,
        calendar=store,
        date=dt.date(2026, 10, 5),  # a Monday inside National Day
        kind=DayKind.WORKING,
        hours=[["10:00", "16:00"]],
    )
    calendar_override_set(
        actor=people.quality,
        calendar=store,
        date=dt.date(2026, 10, 13),  # a plain Tuesday: stocktaking
        kind=DayKind.OFF,
    )
    assert (row.kind, row.hours, row.note) == (DayKind.WORKING, [["10:00", "16:00"]], "国庆促销")
    assert hours_on(store, dt.date(2026, 10, 3)) == dt.timedelta(hours=6)
    assert hours_on(store, dt.date(2026, 10, 5)) == dt.timedelta(hours=6)
    assert hours_on(store, dt.date(2026, 10, 13)) == dt.timedelta(0)
    assert hours_on(store, dt.date(2026, 10, 14)) == dt.timedelta(hours=8)
    # The other calendars are untouched.
    assert hours_on(standard, dt.date(2026, 10, 3)) == dt.timedelta(0)
    assert hours_on(standard, dt.date(2026, 10, 13)) == dt.timedelta(hours=8)
    assert AuditEntry.objects.filter(action="calendar.override.set").count() == 3


def test_working_override_without_hours_uses_the_usual_hours(standard):
    calendar_override_set(
        actor=None, calendar=standard, date=dt.date(2026, 10, 4), kind=DayKind.WORKING
    )
    assert hours_on(standard, dt.date(2026, 10, 4)) == dt.timedelta(hours=8)


def test_override_set_replaces_the_earlier_rule_and_audits_before(standard, people):
    first = calendar_override_set(
        actor=people.quality, calendar=standard, date=dt.date(2026, 10, 13), kind=DayKind.OFF
    )
    second = calendar_override_set(
        actor=people.quality,
        calendar=standard,
        date=dt.date(2026, 10, 13),
        kind=DayKind.WORKING,
        hours=[["09:00", "11:00"]],
    )
    assert second.pk == first.pk
    assert CalendarOverride.objects.count() == 1
    entry = AuditEntry.objects.filter(action="calendar.override.set").order_by("-seq").first()
    assert entry.before == {"date": "2026-10-13", "kind": "off", "hours": [], "note": ""}
    assert entry.after == {
        "date": "2026-10-13",
        "kind": "working",
        "hours": [["09:00", "11:00"]],
        "note": "",
    }
    assert hours_on(standard, dt.date(2026, 10, 13)) == dt.timedelta(hours=2)


def test_saturday_calendar_following_official_holidays_is_off_on_a_holiday_saturday(standard):
    week = {**WEEKDAYS_9_TO_18, "5": [["10:00", "16:00"]]}
    shop = calendar_create(actor=None, code="shop", name="周六营业", weekly_hours=week)
    assert hours_on(shop, dt.date(2026, 10, 17)) == dt.timedelta(hours=6)  # a plain Saturday
    assert hours_on(shop, dt.date(2026, 10, 3)) == dt.timedelta(0)  # inside National Day
    assert hours_on(shop, dt.date(2026, 10, 1)) == dt.timedelta(0)
    # Make-up working days: the calendar's own Saturday hours, else those of a working day.
    assert hours_on(shop, dt.date(2026, 10, 10)) == dt.timedelta(hours=6)
    assert hours_on(shop, dt.date(2026, 9, 20)) == dt.timedelta(hours=8)


def test_calendar_that_ignores_official_holidays_works_on_national_day(standard):
    plain = calendar_create(
        actor=None,
        code="plain",
        name="不放假",
        weekly_hours=WEEKDAYS_9_TO_18,
        follow_official_holidays=False,
    )
    official_day_set(actor=None, date=dt.date(2026, 10, 9), kind=DayKind.OFF)
    assert hours_on(plain, dt.date(2026, 10, 1)) == dt.timedelta(hours=8)
    assert hours_on(plain, dt.date(2026, 10, 9)) == dt.timedelta(hours=8)
    assert hours_on(plain, dt.date(2026, 10, 10)) == dt.timedelta(0)


# --- Inheritance along the org tree ---------------------------------------------------------


def test_unit_calendar_inherits_from_the_nearest_ancestor(org, standard):
    region = calendar_create(actor=None, code="east", name="华东", weekly_hours=STANDARD_WEEK)
    own = calendar_create(actor=None, code="xuhui", name="徐汇", weekly_hours=STANDARD_WEEK)
    assert unit_calendar(org.s1) == standard

    services.unit_update(actor=None, unit=org.r1, calendar=region)
    assert unit_calendar(org.s1) == region
    assert unit_calendar(org.s3) == standard

    services.unit_update(actor=None, unit=org.s1, calendar=own)
    assert unit_calendar(org.s1) == own
    assert unit_calendar(org.s2) == region


# --- Validation and auditing ----------------------------------------------------------------


def test_calendar_create_writes_an_audit_entry(standard, people):
    wc = calendar_create(
        actor=people.quality,
        code="late",
        name=" 晚班 ",
        weekly_hours={"0": [["13:00", "21:00"]]},
        follow_official_holidays=False,
    )
    assert (wc.name, wc.is_default, wc.follow_official_holidays) == ("晚班", False, False)
    assert wc.weekly_hours == {"0": [["13:00", "21:00"]], **{str(d): [] for d in range(1, 7)}}
    entry = AuditEntry.objects.get(action="calendar.create")
    assert (entry.actor, entry.target_id) == (people.quality, str(wc.pk))
    assert entry.after["code"] == "late"


@pytest.mark.parametrize(
    ("monday", "field"),
    [
        pytest.param([["09:00", "12:00"], ["11:00", "14:00"]], "weekly_hours", id="overlap"),
        pytest.param([["09:00", "25:00"]], "weekly_hours.0", id="hour-25"),
        pytest.param([["18:00", "09:00"]], "weekly_hours", id="end-before-start"),
        pytest.param([["09:00"]], "weekly_hours.0", id="not-a-pair"),
        pytest.param("09:00-18:00", "weekly_hours.0", id="not-a-list"),
    ],
)
def test_calendar_create_rejects_bad_weekly_hours(standard, monday, field):
    before = calendar_state()
    with pytest.raises(DomainError) as exc:
        calendar_create(actor=None, code="bad", name="坏", weekly_hours={"0": monday})
    assert [e.loc for e in exc.value.errors] == [[field]]
    assert calendar_state() == before


def test_calendar_create_rejects_a_week_without_work_and_a_taken_code(standard):
    before = calendar_state()
    with pytest.raises(DomainError) as exc:
        calendar_create(actor=None, code="idle", name="空", weekly_hours={})
    assert [e.loc for e in exc.value.errors] == [["weekly_hours"]]
    with pytest.raises(DomainError) as exc:
        calendar_create(actor=None, code="standard", name=" ", weekly_hours=STANDARD_WEEK)
    assert [e.loc for e in exc.value.errors] == [["code"], ["name"]]
    assert calendar_state() == before


@pytest.mark.parametrize(
    ("kind", "hours", "field"),
    [
        pytest.param(DayKind.WORKING, [["10:00", "25:00"]], "hours", id="hour-25"),
        pytest.param(DayKind.WORKING, [["16:00", "10:00"]], "hours", id="end-before-start"),
        pytest.param(
            DayKind.WORKING, [["09:00", "12:00"], ["11:00", "13:00"]], "hours", id="overlap"
        ),
        pytest.param(DayKind.WORKING, "10:00-16:00", "hours", id="not-a-list"),
        pytest.param("holiday", [], "kind", id="unknown-kind"),
    ],
)
def test_calendar_override_set_rejects_bad_input_and_writes_nothing(standard, kind, hours, field):
    calendar_override_set(
        actor=None, calendar=standard, date=dt.date(2026, 10, 3), kind=DayKind.OFF, note="keep"
    )
    before = calendar_state()
    with pytest.raises(DomainError) as exc:
        calendar_override_set(
            actor=None, calendar=standard, date=dt.date(2026, 10, 3), kind=kind, hours=hours
        )
    assert [e.loc for e in exc.value.errors] == [[field]]
    assert calendar_state() == before
    assert list(CalendarOverride.objects.values_list("kind", "hours", "note")) == [
        (DayKind.OFF, [], "keep")
    ]


# --- Pages ----------------------------------------------------------------------------------


def test_calendar_list_page(client, people, standard):
    client.force_login(people.quality)
    resp = client.get("/calendars/")
    assert resp.status_code == 200
    assert [c.code for c in resp.context["calendars"]] == ["standard"]
    assert resp.context["can_edit"] is True


def test_quality_manager_creates_a_calendar_on_the_page(client, people, standard):
    client.force_login(people.quality)
    resp = client.post(
        "/calendars/",
        {
            "code": "weekend",
            "name": "周末班",
            "hours": "10:00-14:00, 15:00-19:00",
            "days": ["5", "6"],
        },
    )
    wc = WorkCalendar.objects.get(code="weekend")
    assert resp.status_code == 302
    assert resp["Location"] == f"/calendars/{wc.pk}/"
    assert wc.follow_official_holidays is False  # the unticked box
    assert wc.weekly_hours == {
        **{str(d): [] for d in range(5)},
        "5": [["10:00", "14:00"], ["15:00", "19:00"]],
        "6": [["10:00", "14:00"], ["15:00", "19:00"]],
    }
    entry = AuditEntry.objects.get(action="calendar.create")
    assert (entry.actor, entry.target_id) == (people.quality, str(wc.pk))


def test_calendar_form_with_bad_hours_is_shown_again(client, people, standard):
    client.force_login(people.quality)
    before = calendar_state()
    resp = client.post(
        "/calendars/",
        {"code": "bad", "name": "坏", "hours": "09:00-12:00, 11:00-13:00", "days": ["0"]},
    )
    assert resp.status_code == 200
    # The service's "weekly_hours.0" is shown beside the form's hours field.
    assert list(resp.context["form"].errors) == ["hours"]
    assert calendar_state() == before


def test_store_manager_may_see_but_not_create_calendars(client, people, standard):
    client.force_login(people.store)
    assert client.get("/calendars/").status_code == 200
    before = calendar_state()
    resp = client.post(
        "/calendars/",
        {"code": "mine", "name": "我的", "hours": "09:00-18:00", "days": ["0", "1"]},
    )
    assert resp.status_code == 403
    assert calendar_state() == before
    resp = client.post(
        f"/calendars/{standard.pk}/", {"date": "2026-10-13", "kind": "off", "hours": ""}
    )
    assert resp.status_code == 403
    assert calendar_state() == before


def test_cashier_may_not_see_calendars(client, people, standard):
    client.force_login(people.cashier)
    assert client.get("/calendars/").status_code == 403
    assert client.get(f"/calendars/{standard.pk}/").status_code == 403


def test_calendar_month_page_shows_october_2026(client, people, standard):
    client.force_login(people.inspector)
    resp = client.get(f"/calendars/{standard.pk}/", {"year": 2026, "month": 10})
    assert resp.status_code == 200
    assert resp.context["month"] == dt.date(2026, 10, 1)
    days = {d["date"]: d for week in resp.context["weeks"] for d in week}
    assert (days[dt.date(2026, 10, 1)]["working"], days[dt.date(2026, 10, 1)]["changed"]) == (
        False,
        True,
    )
    assert (days[dt.date(2026, 10, 10)]["working"], days[dt.date(2026, 10, 10)]["changed"]) == (
        True,
        True,
    )
    assert days[dt.date(2026, 10, 10)]["hours"] == "09:00–12:00, 13:00–18:00"
    assert (days[dt.date(2026, 10, 12)]["working"], days[dt.date(2026, 10, 12)]["changed"]) == (
        True,
        False,
    )
    assert days[dt.date(2026, 10, 11)]["working"] is False
    assert days[dt.date(2026, 9, 28)]["in_month"] is False  # the Monday that starts the grid
    assert resp.context["can_edit"] is False


@pytest.mark.parametrize("query", [{"month": 13}, {"year": 2026, "month": "x"}, {"year": 0}])
def test_calendar_month_page_falls_back_to_this_month_on_a_bad_month(
    client, people, standard, time_machine, query
):
    time_machine.move_to(dt.datetime(2026, 5, 20, 10, tzinfo=SH))
    client.force_login(people.quality)
    resp = client.get(f"/calendars/{standard.pk}/", query)
    assert resp.status_code == 200
    assert resp.context["month"] == dt.date(2026, 5, 1)


@pytest.mark.parametrize("query", [{"year": 9999, "month": 12}, {"year": 1, "month": 1}])
def test_calendar_month_page_falls_back_on_a_year_at_the_edge(
    client, people, standard, time_machine, query
):
    time_machine.move_to(dt.datetime(2026, 5, 20, 10, tzinfo=SH))
    client.force_login(people.quality)
    resp = client.get(f"/calendars/{standard.pk}/", query)
    assert resp.status_code == 200
    assert resp.context["month"] == dt.date(2026, 5, 1)


def test_quality_manager_sets_a_date_on_the_calendar_page(client, people, standard):
    client.force_login(people.quality)
    resp = client.post(
        f"/calendars/{standard.pk}/",
        {"date": "2026-10-13", "kind": "working", "hours": "10:00-16:00", "note": "盘点"},
    )
    assert resp.status_code == 302
    assert resp["Location"] == f"/calendars/{standard.pk}/?year=2026&month=10"
    assert list(CalendarOverride.objects.values_list("date", "kind", "hours", "note")) == [
        (dt.date(2026, 10, 13), "working", [["10:00", "16:00"]], "盘点")
    ]
    assert AuditEntry.objects.filter(action="calendar.override.set").count() == 1


def test_calendar_page_override_with_bad_hours_is_shown_again(client, people, standard):
    client.force_login(people.quality)
    before = calendar_state()
    resp = client.post(
        f"/calendars/{standard.pk}/",
        {"date": "2026-10-13", "kind": "working", "hours": "16:00-10:00"},
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["hours"]
    assert calendar_state() == before


def test_official_days_page_is_for_calendar_managers_only(client, people, standard):
    client.force_login(people.inspector)
    before = calendar_state()
    assert client.get("/calendars/official/").status_code == 403
    resp = client.post("/calendars/official/", {"date": "2027-01-01", "kind": "off"})
    assert resp.status_code == 403
    assert calendar_state() == before


def test_quality_manager_enters_an_official_day(client, people, standard):
    client.force_login(people.quality)
    assert client.get("/calendars/official/").status_code == 200
    resp = client.post(
        "/calendars/official/", {"date": "2027-01-01", "kind": "off", "name": "元旦"}
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/calendars/official/"
    assert list(OfficialDay.objects.values_list("date", "kind", "name")) == [
        (dt.date(2027, 1, 1), "off", "元旦")
    ]
    entry = AuditEntry.objects.get(action="calendar.official.set")
    assert entry.actor == people.quality
    resp = client.get("/calendars/official/")
    assert [d.date for d in resp.context["days"]] == [dt.date(2027, 1, 1)]


def test_official_day_form_error_is_shown_again(client, people, standard):
    client.force_login(people.quality)
    before = calendar_state()
    resp = client.post("/calendars/official/", {"date": "2027-02-30", "kind": "off"})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["date"]
    assert calendar_state() == before


def test_calendar_services_check_the_actor_themselves(people, standard):
    """Not only the pages: the service refuses a user without calendar.manage."""
    from sqms.common.calendars import CALENDAR_MANAGE
    from sqms.common.errors import PermissionDenied
    from sqms.org.roles import Cap

    assert CALENDAR_MANAGE == Cap.CALENDAR_MANAGE
    before = calendar_state()
    with pytest.raises(PermissionDenied):
        official_day_set(actor=people.store, date=dt.date(2027, 1, 1), kind="off")
    with pytest.raises(PermissionDenied):
        calendar_override_set(
            actor=people.inspector, calendar=standard, date=dt.date(2027, 1, 4), kind="off"
        )
    assert calendar_state() == before
    official_day_set(actor=people.quality, date=dt.date(2027, 1, 1), kind="off")
    assert calendar_state() != before


# --- Built calendars are kept per process, never stale -----------------------------------------


def test_a_built_calendar_is_reused_until_the_calendar_changes(standard, people, org):
    day = dt.date(2026, 10, 13)
    first = working_calendar(unit_calendar(org.s1), around=day)
    assert working_calendar(unit_calendar(org.s1), around=day) is first
    calendar_override_set(actor=people.quality, calendar=standard, date=day, kind=DayKind.OFF)
    # Another process would read the calendar again: the new revision rebuilds it.
    changed = working_calendar(unit_calendar(org.s1), around=day)
    assert changed is not first
    assert (first.is_working_day(day), changed.is_working_day(day)) == (True, False)
    official_day_set(actor=people.quality, date=dt.date(2026, 10, 14), kind=DayKind.OFF)
    again = working_calendar(unit_calendar(org.s1), around=day)
    assert again.is_working_day(dt.date(2026, 10, 14)) is False
