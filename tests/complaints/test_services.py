"""Complaint services: each write's happy path, a validation error and a permission denial that
change nothing, the whole lifecycle with its timeline and audit trail, the retail-chain time
limits on the 2026 calendar, pauses, escalations and routing to the purchasing department."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry, Notification
from sqms.complaints import selectors, services
from sqms.complaints.models import (
    Category,
    ClockKind,
    Complaint,
    ComplaintEvent,
    ContactPreference,
    Escalation,
    FollowUp,
    SlaClock,
    Status,
)
from sqms.org import services as org_services

from .factories import (
    NOW,
    H,
    actions,
    clock,
    fresh,
    kinds,
    local,
    notices,
    purchasing_fixture,  # noqa: F401
    sh,
    world,
)

Kind = ComplaintEvent.Kind
REF = re.compile(r"^2606-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")


@pytest.fixture(autouse=True)
def _now_and_english(time_machine):
    time_machine.move_to(NOW, tick=False)
    with translation.override("en"):
        yield


def field_locs(exc: DomainError) -> list[str]:
    return sorted(str(e.loc[-1]) for e in exc.errors)


def deadlines(complaint: Complaint) -> dict[str, dt.datetime | None]:
    """The running (or paused) clocks by kind, with their deadlines in Shanghai time."""
    return {
        c.kind: local(c.deadline)
        for c in SlaClock.objects.filter(complaint=complaint, stopped_at__isnull=True)
    }


def replied(make_complaint, people, **fields):
    c = make_complaint(actor=people.store, **fields)
    services.complaint_reply(complaint=c, actor=people.store, reply="已致歉并退款")
    return fresh(c)


# --- Intake ---------------------------------------------------------------------------------


def test_create_registers_a_desk_complaint_with_its_clocks(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    c = fresh(c)
    assert REF.match(c.ref)
    assert c.status == Status.RECEIVED
    assert c.unit == org.s1
    assert c.responsible_unit == org.s1
    assert c.created_by == people.store
    assert local(c.received_at) == NOW
    assert c.follow_up_required is True
    assert deadlines(c) == {
        ClockKind.UPDATE: sh(2026, 6, 9, 15),  # 4 working hours, across lunch
        ClockKind.RESOLUTION: sh(2026, 6, 9, 22),  # 12 hours
    }
    assert local(c.next_deadline) == sh(2026, 6, 9, 15)
    event = ComplaintEvent.objects.get(complaint=c)
    assert (event.kind, event.public, event.data, event.actor) == (
        Kind.RECEIVED,
        True,
        {"channel": "desk"},
        people.store,
    )
    entry = AuditEntry.objects.get(action="complaint.create")
    assert entry.target_id == str(c.pk)
    assert entry.actor == people.store
    assert entry.after == {
        "status": "received",
        "channel": "desk",
        "unit": "S1",
        "responsible_unit": "S1",
        "category": "attitude-rude",
    }
    assert notices(people.store) == [f"New complaint {c.ref} at 徐汇店"]
    assert Notification.objects.count() == 1


def test_the_cashier_registers_a_complaint_at_her_own_store(make_complaint, people, org):
    c = make_complaint(actor=people.cashier)
    assert fresh(c).created_by == people.cashier
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "locs"),
    [
        ({"complainant_phone": "139-ABCD-5678"}, ["complainant_phone"]),
        ({"description": "   "}, ["description"]),
        ({"description": "x" * 5001}, ["description"]),
        ({"complainant_phone": "", "complainant_name": ""}, ["complainant_phone"]),
        ({"contact_preference": ContactPreference.EMAIL}, ["complainant_email"]),
        ({"contact_preference": "pigeon"}, ["contact_preference"]),
        ({"received_at": sh(2026, 6, 9, 10, 6)}, ["received_at"]),
        ({"received_at": dt.datetime(2026, 6, 9, 9)}, ["received_at"]),
        ({"urgency": 5, "importance": 0}, ["importance", "urgency"]),
        ({"channel": "fax"}, ["channel"]),
        ({"title": "t" * 121, "complainant_name": "n" * 81}, ["complainant_name", "title"]),
    ],
)
def test_create_refuses_bad_intake_naming_every_field(make_complaint, people, fields, locs):
    before = world()
    with pytest.raises(DomainError) as exc:
        make_complaint(actor=people.store, **fields)
    assert exc.value.code == "invalid"
    assert field_locs(exc.value) == locs
    assert world() == before


def test_create_refuses_staff_of_another_store_and_a_retired_category(make_complaint, people, org):
    Category.objects.filter(code="attitude-rude").update(is_active=False)
    before = world()
    with pytest.raises(DomainError) as exc:
        make_complaint(actor=people.store, staff=org.s3_staff[0])
    assert field_locs(exc.value) == ["category", "staff"]
    assert world() == before


def test_a_received_time_up_to_five_minutes_ahead_is_clock_skew_not_the_future(
    make_complaint, people
):
    c = make_complaint(actor=people.store, received_at=sh(2026, 6, 9, 10, 5))
    assert local(fresh(c).received_at) == sh(2026, 6, 9, 10, 5)


@pytest.mark.parametrize("persona", ["outsider", "auditor", "inspector", "region_cashier"])
def test_create_is_refused_outside_the_intake_scope(make_complaint, people, org, persona):
    if persona == "region_cashier":
        actor, unit = people.cashier, org.s2  # staff on S1 registering for S2
    else:
        actor, unit = getattr(people, persona), org.s1
    before = world()
    with pytest.raises(PermissionDenied):
        make_complaint(actor=actor, unit=unit)
    assert world() == before


def test_an_anonymous_slip_needs_no_follow_up_visit(make_complaint, people):
    c = make_complaint(
        actor=people.store,
        channel="slip",
        anonymous=True,
        complainant_name="",
        complainant_phone="",
        contact_preference=ContactPreference.NONE,
    )
    assert fresh(c).follow_up_required is False
    signed = make_complaint(actor=people.store, channel="slip")
    assert fresh(signed).follow_up_required is True


# --- The retail-chain time limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "urgency", "received", "expected"),
    [
        pytest.param(
            "desk",
            2,
            sh(2026, 9, 30, 10),
            {"update": sh(2026, 9, 30, 15), "resolution": sh(2026, 9, 30, 22)},
            id="desk-12-hours",
        ),
        pytest.param(
            "desk",
            2,
            sh(2026, 9, 30, 17),
            # The update clock counts working hours: one before the holiday, three after it.
            {"update": sh(2026, 10, 8, 12), "resolution": sh(2026, 10, 1, 5)},
            id="desk-evening-before-national-day",
        ),
        pytest.param(
            "slip",
            2,
            sh(2026, 9, 30, 10),
            {"first_response": sh(2026, 10, 9, 18), "resolution": sh(2026, 10, 7, 10)},
            id="slip-one-week",
        ),
        pytest.param(
            "hotline",
            2,
            sh(2026, 9, 30, 10),
            {
                "first_response": sh(2026, 9, 30, 15),
                "update": sh(2026, 10, 8, 18),
                # Oct 1-7 off; Thu 8, Fri 9 and the make-up Saturday 10 are the three days.
                "resolution": sh(2026, 10, 10, 18),
            },
            id="hotline-3-working-days-over-national-day",
        ),
        pytest.param(
            "hotline",
            3,
            sh(2026, 9, 30, 10),
            {
                "first_response": sh(2026, 9, 30, 11),
                "update": sh(2026, 9, 30, 15),
                "resolution": sh(2026, 10, 8, 18),
            },
            id="urgent-hotline-1-working-day",
        ),
        pytest.param(
            "hotline",
            2,
            sh(2026, 9, 18, 17),
            {
                # The make-up Sunday 20 September is a working day; Mid-Autumn Friday 25 is not.
                "first_response": sh(2026, 9, 20, 12),
                "update": sh(2026, 9, 20, 18),
                "resolution": sh(2026, 9, 22, 18),
            },
            id="hotline-friday-evening-before-make-up-sunday",
        ),
        pytest.param(
            "hotline",
            2,
            sh(2026, 9, 24, 11),
            {
                "first_response": sh(2026, 9, 24, 16),
                "update": sh(2026, 9, 28, 18),
                "resolution": sh(2026, 9, 30, 18),
            },
            id="hotline-before-mid-autumn",
        ),
        pytest.param(
            "web",
            2,
            sh(2026, 10, 3, 20),
            {
                "first_response": sh(2026, 10, 8, 18),
                "update": sh(2026, 10, 8, 18),
                "resolution": sh(2026, 10, 10, 18),
            },
            id="web-form-during-the-holiday",
        ),
        pytest.param(
            "api",
            2,
            sh(2026, 6, 9, 10),
            {"first_response": sh(2026, 6, 10, 18), "resolution": sh(2026, 6, 12, 18)},
            id="api-3-working-days",
        ),
        pytest.param(
            "email",
            2,
            sh(2026, 6, 12, 16),
            {"first_response": sh(2026, 6, 16, 18), "resolution": sh(2026, 6, 19, 16)},
            id="letter-one-week",
        ),
    ],
)
def test_retail_chain_policies(
    make_complaint, people, time_machine, channel, urgency, received, expected
):
    time_machine.move_to(received, tick=False)
    c = make_complaint(actor=people.quality, channel=channel, urgency=urgency)
    assert deadlines(c) == expected
    assert local(fresh(c).next_deadline) == min(expected.values())


def test_a_slip_found_in_the_box_runs_from_when_it_was_received(make_complaint, people):
    c = make_complaint(actor=people.store, channel="slip", received_at=sh(2026, 6, 5, 20))
    assert deadlines(c) == {
        "first_response": sh(2026, 6, 9, 18),  # Mon 8 and Tue 9
        "resolution": sh(2026, 6, 12, 20),
    }
    assert [local(e.at) for e in c.events.all()] == [sh(2026, 6, 5, 20)]


# --- Classification and routing -------------------------------------------------------------


def test_classify(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    services.complaint_classify(
        complaint=c,
        actor=people.store,
        category=Category.objects.get(code="service-speed"),
        urgency=3,
        importance=1,
        staff=org.cashier_staff,
    )
    c = fresh(c)
    assert (c.category.code, c.urgency, c.importance, c.staff, c.responsible_unit) == (
        "service-speed",
        3,
        1,
        org.cashier_staff,
        org.s1,
    )
    assert kinds(c) == [Kind.RECEIVED, Kind.CLASSIFIED]
    entry = AuditEntry.objects.get(action="complaint.classify")
    assert entry.before == {
        "category": "attitude-rude",
        "urgency": 2,
        "importance": 2,
        "staff": None,
        "responsible_unit": "S1",
    }
    assert entry.after == {
        "category": "service-speed",
        "urgency": 3,
        "importance": 1,
        "staff": org.cashier_staff.pk,
        "responsible_unit": "S1",
    }


def test_a_more_urgent_hotline_complaint_gets_the_urgent_time_limits(make_complaint, people):
    # Received on Friday 5 June 2026 at 10:00 as a normal hotline call: 4 working hours for the
    # first response, 1 working day between updates, 3 working days for the reply. Made urgent,
    # the urgent policy counts from the same start: 1 working hour, 4 working hours, 1 day.
    c = make_complaint(channel="hotline", actor=people.store, received_at=sh(2026, 6, 5, 10))
    assert deadlines(c) == {
        "first_response": sh(2026, 6, 5, 15),
        "update": sh(2026, 6, 8, 18),
        "resolution": sh(2026, 6, 10, 18),
    }
    services.complaint_classify(
        complaint=c, actor=people.store, category=c.category, urgency=3, importance=2
    )
    c = fresh(c)
    assert deadlines(c) == {
        "first_response": sh(2026, 6, 5, 11),
        "update": sh(2026, 6, 5, 15),
        "resolution": sh(2026, 6, 8, 18),
    }
    assert local(c.next_deadline) == sh(2026, 6, 5, 11)
    assert {(k.kind, k.target_amount, k.target_unit) for k in c.clocks.all()} == {
        ("first_response", Decimal(1), "working_hours"),
        ("update", Decimal(4), "working_hours"),
        ("resolution", Decimal(1), "working_days"),
    }


def test_a_paused_clock_keeps_what_it_used_when_the_urgency_changes(make_complaint, people):
    # Paused at 11:00 with 3 of its 4 working hours for the first response left; urgent allows
    # 1 hour from the start, of which the hour already used leaves nothing.
    c = make_complaint(channel="hotline", actor=people.store, received_at=sh(2026, 6, 5, 10))
    with time_machine.travel(sh(2026, 6, 5, 11), tick=False):
        services.complaint_wait(complaint=c, actor=people.store, on="customer")
    first = c.clocks.get(kind="first_response")
    assert first.paused_remaining == 3 * H
    services.complaint_classify(
        complaint=fresh(c), actor=people.store, category=c.category, urgency=3, importance=2
    )
    first.refresh_from_db()
    assert (first.paused_remaining, first.deadline) == (dt.timedelta(0), None)
    # Back to normal urgency: the three hours come back.
    services.complaint_classify(
        complaint=fresh(c), actor=people.store, category=c.category, urgency=2, importance=2
    )
    first.refresh_from_db()
    assert first.paused_remaining == 3 * H


def test_classify_refuses_bad_values_and_changes_nothing(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_classify(
            complaint=c, actor=people.store, category=None, urgency=7, importance=2,
            staff=org.s3_staff[0],
        )  # fmt: skip
    assert field_locs(exc.value) == ["staff", "urgency"]
    assert world() == before


def test_classify_refuses_a_retired_category(make_complaint, people):
    c = make_complaint(actor=people.store)
    Category.objects.filter(code="service-speed").update(is_active=False)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_classify(
            complaint=c,
            actor=people.store,
            category=Category.objects.get(code="service-speed"),
            urgency=2,
            importance=2,
        )
    assert field_locs(exc.value) == ["category"]
    assert world() == before


@pytest.mark.parametrize("persona", ["cashier", "outsider", "auditor"])
def test_classify_is_refused_without_the_handling_right(make_complaint, people, persona):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_classify(
            complaint=c, actor=getattr(people, persona), category=None, urgency=3, importance=3
        )
    assert world() == before


def test_an_ended_complaint_is_not_reclassified(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_void(complaint=c, actor=people.quality, reason="重复登记")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_classify(
            complaint=c, actor=people.quality, category=None, urgency=3, importance=3
        )
    assert exc.value.code == "closed"
    assert world() == before


@pytest.mark.parametrize("code", ["merchandise", "price"])
def test_product_and_price_complaints_go_to_the_purchasing_department(
    make_complaint, people, org, purchasing, code
):
    c = make_complaint(actor=people.store, category=code)
    assert fresh(c).responsible_unit == purchasing.unit
    assert fresh(c).unit == org.s1
    assert notices(purchasing.manager) == [f"New complaint {c.ref} at 徐汇店"]
    assert notices(people.store) == []
    # The store where it arose still sees and handles it; so does the department.
    for user in (people.store, purchasing.manager, people.region, people.quality):
        assert list(selectors.complaint_list_for_user(user)) == [c]
        assert selectors.complaint_get_for_user(user, c.pk) == c
    assert list(selectors.complaint_list_for_user(people.outsider)) == []
    services.complaint_assign(complaint=c, actor=purchasing.manager, assignee=purchasing.buyer)
    services.complaint_note(complaint=c, actor=people.store, note="已向顾客说明")
    assert kinds(c) == [Kind.RECEIVED, Kind.ASSIGNED, Kind.NOTE]


def test_reclassifying_as_merchandise_routes_to_purchasing(make_complaint, people, purchasing):
    c = make_complaint(actor=people.store)
    services.complaint_classify(
        complaint=c,
        actor=people.store,
        category=Category.objects.get(code="merchandise"),
        urgency=2,
        importance=2,
    )
    assert fresh(c).responsible_unit == purchasing.unit
    assert notices(purchasing.manager) == [f"Complaint {c.ref} was routed to 采购部"]
    assert AuditEntry.objects.get(action="complaint.classify").after["responsible_unit"] == "D-PUR"


def test_without_a_purchasing_department_product_complaints_stay_with_the_store(
    make_complaint, people, org
):
    c = make_complaint(actor=people.store, category="merchandise")
    assert fresh(c).responsible_unit == org.s1


# --- Assignment and investigation -----------------------------------------------------------


def test_assign(make_complaint, people, org, time_machine):
    c = make_complaint(actor=people.store)
    first_update = clock(c, ClockKind.UPDATE)
    time_machine.move_to(sh(2026, 6, 9, 11), tick=False)
    services.complaint_assign(
        complaint=c, actor=people.store, assignee=org.cashier_staff, note="请跟进"
    )
    c = fresh(c)
    assert (c.status, c.assignee) == (Status.ASSIGNED, org.cashier_staff)
    assert kinds(c) == [Kind.RECEIVED, Kind.ASSIGNED]
    event = c.events.get(kind=Kind.ASSIGNED)
    assert (event.note, event.data) == ("请跟进", {"assignee": "李娜"})
    assert AuditEntry.objects.get(action="complaint.assign").after == {
        "status": "assigned",
        "assignee": "E1",
    }
    # Progress restarts the "update while open" clock; the reply clock keeps running.
    first_update.refresh_from_db()
    assert (local(first_update.stopped_at), first_update.met) == (sh(2026, 6, 9, 11), True)
    assert deadlines(c) == {"update": sh(2026, 6, 9, 16), "resolution": sh(2026, 6, 9, 22)}
    assert local(c.next_deadline) == sh(2026, 6, 9, 16)
    assert notices(people.cashier) == [f"Complaint {c.ref} was assigned to you"]


def test_assign_refuses_staff_outside_the_unit_or_who_left(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    org_services.staff_deactivate(
        actor=None, staff=org.s1_staff[1], end_date=dt.date(2026, 5, 31), reason="辞职"
    )
    before = world()
    for assignee in (org.s3_staff[0], fresh_staff(org.s1_staff[1])):
        with pytest.raises(DomainError) as exc:
            services.complaint_assign(complaint=c, actor=people.store, assignee=assignee)
        assert field_locs(exc.value) == ["assignee"]
    assert world() == before


def fresh_staff(staff):
    staff.refresh_from_db()
    return staff


@pytest.mark.parametrize("persona", ["cashier", "outsider"])
def test_assign_is_refused_without_the_handling_right(make_complaint, people, org, persona):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_assign(
            complaint=c, actor=getattr(people, persona), assignee=org.cashier_staff
        )
    assert world() == before


def test_a_replied_complaint_is_not_assigned(make_complaint, people, org):
    c = replied(make_complaint, people)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_assign(complaint=c, actor=people.store, assignee=org.cashier_staff)
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_investigate(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    services.complaint_assign(complaint=c, actor=people.store, assignee=org.cashier_staff)
    services.complaint_investigate(complaint=c, actor=people.store, note="调取监控")
    c = fresh(c)
    assert c.status == Status.INVESTIGATING
    event = c.events.get(kind=Kind.INVESTIGATING)
    assert (event.note, event.public) == ("调取监控", True)
    assert actions(c) == ["complaint.create", "complaint.assign", "complaint.investigate"]


def test_investigation_does_not_restart_after_the_reply(make_complaint, people):
    c = replied(make_complaint, people)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_investigate(complaint=c, actor=people.store)
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_investigate_is_refused_to_the_cashier(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_investigate(complaint=c, actor=people.cashier)
    assert world() == before


# --- Notes and the first response -----------------------------------------------------------


def test_contacting_the_customer_stops_the_first_response_clock(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.quality, channel="hotline")
    time_machine.move_to(sh(2026, 6, 9, 14), tick=False)
    services.complaint_note(complaint=c, actor=people.store, note="已电话联系", contacted=True)
    first = SlaClock.objects.get(complaint=c, kind=ClockKind.FIRST_RESPONSE)
    assert (local(first.stopped_at), first.met) == (sh(2026, 6, 9, 14), True)
    # Progress restarts the update clock: one working day, to the close of tomorrow.
    assert deadlines(c) == {"update": sh(2026, 6, 10, 18), "resolution": sh(2026, 6, 12, 18)}
    assert kinds(c) == [Kind.RECEIVED, Kind.CONTACTED]
    assert actions(c) == ["complaint.create", "complaint.contact"]


def test_a_late_first_response_is_recorded_as_missed(make_complaint, people, time_machine):
    c = make_complaint(actor=people.quality, channel="hotline")
    time_machine.move_to(sh(2026, 6, 9, 16), tick=False)
    services.complaint_note(complaint=c, actor=people.store, note="已电话联系", contacted=True)
    assert SlaClock.objects.get(complaint=c, kind=ClockKind.FIRST_RESPONSE).met is False


def test_a_plain_note_keeps_the_first_response_clock_running(make_complaint, people):
    c = make_complaint(actor=people.quality, channel="hotline")
    services.complaint_note(complaint=c, actor=people.store, note="等待监控录像")
    assert local(clock(c, ClockKind.FIRST_RESPONSE).deadline) == sh(2026, 6, 9, 15)
    assert kinds(c) == [Kind.RECEIVED, Kind.NOTE]
    assert actions(c) == ["complaint.create", "complaint.note"]


def test_a_note_must_say_something(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_note(complaint=c, actor=people.store, note="  ", contacted=True)
    assert field_locs(exc.value) == ["note"]
    assert world() == before


def test_notes_are_refused_to_the_cashier_and_on_ended_complaints(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_note(complaint=c, actor=people.cashier, note="看过了")
    assert world() == before
    services.complaint_withdraw(complaint=c, actor=people.store, reason="顾客撤回")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_note(complaint=c, actor=people.store, note="补充")
    assert exc.value.code == "closed"
    assert world() == before


# --- Waiting pauses every clock -------------------------------------------------------------


def test_pause_and_resume_move_each_deadline_by_the_paused_working_time(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.quality, channel="hotline")
    assert deadlines(c) == {
        "first_response": sh(2026, 6, 9, 15),
        "update": sh(2026, 6, 10, 18),
        "resolution": sh(2026, 6, 12, 18),
    }
    time_machine.move_to(sh(2026, 6, 9, 11), tick=False)
    services.complaint_wait(complaint=c, actor=people.store, on="customer", note="等顾客提供小票")
    c = fresh(c)
    assert (c.waiting_on, c.next_deadline) == ("customer", None)
    paused = {k.kind: k.paused_remaining for k in SlaClock.objects.filter(complaint=c)}
    assert paused == {"first_response": 3 * H, "update": 14 * H, "resolution": 30 * H}
    assert deadlines(c) == {"first_response": None, "update": None, "resolution": None}

    time_machine.move_to(sh(2026, 6, 11, 10), tick=False)  # 15 working hours later
    services.complaint_resume(complaint=c, actor=people.store, note="小票已收到")
    assert deadlines(c) == {
        "first_response": sh(2026, 6, 11, 14),
        "update": sh(2026, 6, 12, 17),
        "resolution": sh(2026, 6, 16, 17),
    }
    working = services.calendar_for(c.responsible_unit)
    assert working.working_time_between(sh(2026, 6, 12, 18), sh(2026, 6, 16, 17)) == 15 * H
    c = fresh(c)
    assert (c.waiting_on, local(c.next_deadline)) == ("", sh(2026, 6, 11, 14))
    assert kinds(c) == [Kind.RECEIVED, Kind.WAITING, Kind.RESUMED]
    assert c.events.get(kind=Kind.WAITING).data == {"on": "customer"}
    assert actions(c) == ["complaint.create", "complaint.wait", "complaint.resume"]


def test_a_pause_moves_a_calendar_hours_clock_by_the_elapsed_time(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.store)  # desk: update due 15:00, reply due 22:00
    time_machine.move_to(sh(2026, 6, 9, 12), tick=False)
    services.complaint_wait(complaint=c, actor=people.store, on="third_party")
    time_machine.move_to(sh(2026, 6, 9, 20), tick=False)
    services.complaint_resume(complaint=c, actor=people.store)
    # 2 working hours were left of the update clock, 10 hours of the reply clock.
    assert deadlines(c) == {"update": sh(2026, 6, 10, 11), "resolution": sh(2026, 6, 10, 6)}


def test_waiting_is_refused_when_already_waiting_or_for_an_unknown_reason(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_wait(complaint=c, actor=people.store, on="weather")
    assert field_locs(exc.value) == ["on"]
    with pytest.raises(DomainError) as exc:
        services.complaint_resume(complaint=c, actor=people.store)
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before
    services.complaint_wait(complaint=c, actor=people.store, on="customer")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_wait(complaint=c, actor=people.store, on="customer")
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_waiting_is_refused_to_the_cashier(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_wait(complaint=c, actor=people.cashier, on="customer")
    assert world() == before


def test_progress_while_waiting_keeps_the_update_clock_paused(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_wait(complaint=c, actor=people.store, on="customer")
    services.complaint_note(complaint=c, actor=people.store, note="再次提醒顾客")
    running = SlaClock.objects.get(complaint=c, kind=ClockKind.UPDATE, stopped_at__isnull=True)
    assert (running.deadline, running.paused_remaining) == (None, 4 * H)
    assert fresh(c).next_deadline is None


# --- Verification, reply, follow-up, closing ------------------------------------------------


def test_verify(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_verify(
        complaint=c, actor=people.store, substantiated=True, finding="监控显示属实"
    )
    c = fresh(c)
    assert (c.substantiated, c.finding, local(c.verified_at)) == (True, "监控显示属实", NOW)
    assert c.events.get(kind=Kind.VERIFIED).data == {"substantiated": True}
    entry = AuditEntry.objects.get(action="complaint.verify")
    assert (entry.before, entry.after) == (
        {"substantiated": None, "finding": ""},
        {"substantiated": True, "finding": "监控显示属实"},
    )


def test_verify_needs_a_finding_and_the_handling_right(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_verify(complaint=c, actor=people.store, substantiated=False, finding="")
    assert field_locs(exc.value) == ["finding"]
    with pytest.raises(PermissionDenied):
        services.complaint_verify(
            complaint=c, actor=people.cashier, substantiated=False, finding="不属实"
        )
    assert world() == before


def test_a_voided_complaint_is_not_verified(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_void(complaint=c, actor=people.quality, reason="测试数据")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_verify(
            complaint=c, actor=people.quality, substantiated=True, finding="x"
        )
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_reply_stops_the_reply_clocks(make_complaint, people, time_machine):
    c = make_complaint(actor=people.store)
    time_machine.move_to(sh(2026, 6, 9, 16), tick=False)  # the update clock was due at 15:00
    services.complaint_reply(complaint=c, actor=people.store, reply="已致歉", improvement="培训")
    c = fresh(c)
    assert (c.status, c.reply, c.improvement) == (Status.REPLIED, "已致歉", "培训")
    assert (local(c.replied_at), c.next_deadline) == (sh(2026, 6, 9, 16), None)
    met = dict(SlaClock.objects.filter(complaint=c).values_list("kind", "met"))
    assert met == {"update": False, "resolution": True}
    event = c.events.get(kind=Kind.REPLIED)
    assert (event.note, event.data, event.public) == ("已致歉", {"improvement": "培训"}, True)


def test_a_late_reply_marks_the_complaint_as_having_missed_a_time_limit(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.store)
    time_machine.move_to(sh(2026, 6, 9, 23), tick=False)
    services.complaint_reply(complaint=c, actor=people.store, reply="已致歉")
    assert fresh(c).breached is True


def test_reply_needs_text_and_the_handling_right(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_reply(complaint=c, actor=people.store, reply=" ")
    assert field_locs(exc.value) == ["reply"]
    with pytest.raises(PermissionDenied):
        services.complaint_reply(complaint=c, actor=people.outsider, reply="已处理")
    assert world() == before


def test_a_satisfied_follow_up_closes_the_complaint(make_complaint, people, time_machine):
    c = replied(make_complaint, people)
    time_machine.move_to(sh(2026, 6, 10, 10), tick=False)
    visit = services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True, note="满意"
    )
    c = fresh(c)
    assert (c.status, local(c.closed_at)) == (Status.CLOSED, sh(2026, 6, 10, 10))
    assert (visit.satisfaction, visit.accepted, visit.by, visit.method) == (
        "satisfied",
        True,
        people.store,
        "phone",
    )
    assert kinds(c) == [Kind.RECEIVED, Kind.REPLIED, Kind.FOLLOW_UP, Kind.CLOSED]
    assert actions(c) == [
        "complaint.create",
        "complaint.reply",
        "complaint.follow_up",
        "complaint.close",
    ]


@pytest.mark.parametrize(
    ("satisfaction", "accepted"), [("dissatisfied", True), ("satisfied", False), ("basic", False)]
)
def test_an_unhappy_follow_up_reopens_the_complaint(
    make_complaint, people, time_machine, satisfaction, accepted
):
    c = replied(make_complaint, people)
    time_machine.move_to(sh(2026, 6, 10, 10), tick=False)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction=satisfaction, accepted=accepted
    )
    c = fresh(c)
    assert (c.status, c.reopen_count, c.closed_at) == (Status.INVESTIGATING, 1, None)
    assert kinds(c) == [Kind.RECEIVED, Kind.REPLIED, Kind.FOLLOW_UP, Kind.REOPENED]
    assert actions(c) == [
        "complaint.create",
        "complaint.reply",
        "complaint.follow_up",
        "complaint.reopen",
    ]
    # Fresh clocks from the reopening, on the same policy.
    assert deadlines(c) == {"update": sh(2026, 6, 10, 15), "resolution": sh(2026, 6, 10, 22)}
    assert notices(people.store)[-1] == f"Complaint {c.ref} was reopened"


def test_a_follow_up_without_closing_then_close(make_complaint, people):
    c = replied(make_complaint, people)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="basic", accepted=True, close=False
    )
    assert fresh(c).status == Status.FOLLOW_UP
    services.complaint_close(complaint=c, actor=people.store, note="回访基本满意")
    c = fresh(c)
    assert c.status == Status.CLOSED
    assert c.events.get(kind=Kind.CLOSED).note == "回访基本满意"


def test_a_follow_up_comes_after_the_reply(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_follow_up(
            complaint=c, actor=people.store, satisfaction="satisfied", accepted=True
        )
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_a_follow_up_needs_a_known_satisfaction_and_the_handling_right(make_complaint, people):
    c = replied(make_complaint, people)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_follow_up(
            complaint=c, actor=people.store, satisfaction="ecstatic", accepted=True
        )
    assert field_locs(exc.value) == ["satisfaction"]
    with pytest.raises(PermissionDenied):
        services.complaint_follow_up(
            complaint=c, actor=people.cashier, satisfaction="satisfied", accepted=True
        )
    assert world() == before


def test_close_is_refused_without_a_follow_up_visit(make_complaint, people):
    c = replied(make_complaint, people)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_close(complaint=c, actor=people.store)
    assert (exc.value.code, exc.value.status) == ("follow_up_required", 409)
    assert world() == before


def test_close_before_the_reply_is_refused(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_close(complaint=c, actor=people.store)
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_an_anonymous_slip_closes_after_the_reply(make_complaint, people):
    c = make_complaint(
        actor=people.store,
        channel="slip",
        anonymous=True,
        complainant_name="",
        complainant_phone="",
        contact_preference=ContactPreference.NONE,
    )
    services.complaint_reply(complaint=c, actor=people.store, reply="已在公告栏答复")
    services.complaint_close(complaint=c, actor=people.store)
    c = fresh(c)
    assert c.status == Status.CLOSED
    assert FollowUp.objects.count() == 0
    assert list(SlaClock.objects.filter(complaint=c).values_list("met", flat=True)) == [True, True]


def test_close_is_refused_to_the_cashier(make_complaint, people):
    c = replied(make_complaint, people)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True, close=False
    )
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_close(complaint=c, actor=people.cashier)
    assert world() == before


def test_a_reopened_complaint_needs_a_new_follow_up_before_closing(make_complaint, people):
    c = replied(make_complaint, people)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True
    )
    services.complaint_reopen(complaint=c, actor=people.quality, reason="顾客再次来电")
    services.complaint_reply(complaint=c, actor=people.store, reply="再次致歉")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_close(complaint=c, actor=people.store)
    assert exc.value.code == "follow_up_required"
    assert world() == before


# --- Reopening and ending -------------------------------------------------------------------


def test_the_quality_manager_reopens_a_closed_complaint(make_complaint, people, time_machine):
    c = replied(make_complaint, people)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True
    )
    time_machine.move_to(sh(2026, 6, 11, 9), tick=False)
    services.complaint_reopen(complaint=c, actor=people.quality, reason="顾客再次来电")
    c = fresh(c)
    assert (c.status, c.reopen_count, c.closed_at) == (Status.INVESTIGATING, 1, None)
    assert deadlines(c) == {"update": sh(2026, 6, 11, 14), "resolution": sh(2026, 6, 11, 21)}
    assert c.events.get(kind=Kind.REOPENED).note == "顾客再次来电"
    assert AuditEntry.objects.get(action="complaint.reopen").note == "顾客再次来电"


def test_the_store_manager_may_not_reopen_a_closed_complaint(make_complaint, people):
    c = replied(make_complaint, people)
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True
    )
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_reopen(complaint=c, actor=people.store, reason="再查")
    assert world() == before


def test_the_store_manager_reopens_his_own_reply(make_complaint, people):
    c = replied(make_complaint, people)
    services.complaint_reopen(complaint=c, actor=people.store, reason="答复有误")
    assert fresh(c).status == Status.INVESTIGATING


def test_reopen_needs_a_reason(make_complaint, people):
    c = replied(make_complaint, people)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_reopen(complaint=c, actor=people.quality, reason="")
    assert field_locs(exc.value) == ["reason"]
    assert world() == before


@pytest.mark.parametrize("assigned", [False, True])
def test_an_open_complaint_that_was_never_answered_is_not_reopened(
    make_complaint, people, org, assigned
):
    c = make_complaint(actor=people.store)
    if assigned:
        services.complaint_assign(complaint=c, actor=people.store, assignee=org.cashier_staff)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_reopen(complaint=c, actor=people.quality, reason="再查")
    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    assert world() == before


def test_withdraw(make_complaint, people, time_machine):
    c = make_complaint(actor=people.store)
    time_machine.move_to(sh(2026, 6, 9, 11), tick=False)
    services.complaint_withdraw(complaint=c, actor=people.store, reason="顾客表示谅解")
    c = fresh(c)
    assert (c.status, c.end_reason, local(c.closed_at)) == (
        Status.WITHDRAWN,
        "顾客表示谅解",
        sh(2026, 6, 9, 11),
    )
    assert SlaClock.objects.filter(complaint=c, stopped_at__isnull=True).count() == 0
    assert c.next_deadline is None
    assert kinds(c) == [Kind.RECEIVED, Kind.WITHDRAWN]
    assert actions(c) == ["complaint.create", "complaint.withdraw"]


def test_withdraw_needs_a_reason_and_the_handling_right(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_withdraw(complaint=c, actor=people.store, reason="")
    assert field_locs(exc.value) == ["reason"]
    with pytest.raises(PermissionDenied):
        services.complaint_withdraw(complaint=c, actor=people.cashier, reason="顾客撤回")
    assert world() == before


def test_void(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_void(complaint=c, actor=people.quality, reason="重复登记")
    c = fresh(c)
    assert (c.status, c.end_reason) == (Status.VOIDED, "重复登记")
    assert SlaClock.objects.filter(complaint=c, stopped_at__isnull=True).count() == 0
    assert kinds(c) == [Kind.RECEIVED, Kind.VOIDED]
    entry = AuditEntry.objects.get(action="complaint.void")
    assert (entry.actor, entry.note, entry.after) == (
        people.quality,
        "重复登记",
        {"status": "voided"},
    )
    # Nothing comes back from the void.
    with pytest.raises(DomainError) as exc:
        services.complaint_reopen(complaint=c, actor=people.admin, reason="误操作")
    assert exc.value.code == "invalid_transition"


def test_void_needs_a_reason(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_void(complaint=c, actor=people.quality, reason="   ")
    assert exc.value.code == "required"
    assert field_locs(exc.value) == ["reason"]
    assert world() == before


@pytest.mark.parametrize("persona", ["store", "region", "cashier", "outsider"])
def test_void_needs_the_managing_right(make_complaint, people, persona):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_void(complaint=c, actor=getattr(people, persona), reason="误登记")
    assert world() == before


def test_merge(make_complaint, people):
    keep = make_complaint(actor=people.store)
    dup = make_complaint(actor=people.store)
    services.complaint_merge(complaint=dup, into=keep, actor=people.store, reason="同一顾客")
    dup, keep = fresh(dup), fresh(keep)
    assert (dup.status, dup.merged_into, dup.end_reason) == (Status.MERGED, keep, "同一顾客")
    assert SlaClock.objects.filter(complaint=dup, stopped_at__isnull=True).count() == 0
    assert kinds(dup) == [Kind.RECEIVED, Kind.MERGED]
    assert keep.events.get(kind=Kind.NOTE).note == f"{dup.ref} was merged into this complaint."
    assert AuditEntry.objects.get(action="complaint.merge").after == {
        "status": "merged",
        "into": keep.ref,
    }
    assert list(keep.duplicates.all()) == [dup]


def test_merge_refuses_itself_and_ended_targets(make_complaint, people):
    c = make_complaint(actor=people.store)
    voided = make_complaint(actor=people.store)
    services.complaint_void(complaint=voided, actor=people.quality, reason="测试")
    before = world()
    for into in (c, fresh(voided)):
        with pytest.raises(DomainError) as exc:
            services.complaint_merge(complaint=c, into=into, actor=people.store)
        assert field_locs(exc.value) == ["into"]
    assert world() == before


def test_merge_into_another_stores_complaint_is_refused(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    theirs = make_complaint(actor=people.outsider, unit=org.s3)
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_merge(complaint=c, into=theirs, actor=people.store)
    with pytest.raises(PermissionDenied):
        services.complaint_merge(complaint=c, into=theirs, actor=people.cashier)
    assert world() == before


# --- Manual escalation ----------------------------------------------------------------------


def test_escalate_to_the_region_starts_a_12_hour_clock(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    escalation = services.complaint_escalate(
        complaint=c, actor=people.store, reason="顾客要求赔偿，超出门店权限"
    )
    assert (escalation.level, escalation.to_unit, escalation.automatic) == (1, org.r1, False)
    c = fresh(c)
    assert (c.escalation_level, c.escalated_to) == (1, org.r1)
    answer_clock = clock(c, ClockKind.ESCALATION)
    assert (local(answer_clock.deadline), answer_clock.owner_unit) == (sh(2026, 6, 9, 22), org.r1)
    assert (answer_clock.target_amount, answer_clock.target_unit) == (Decimal(12), "calendar_hours")
    event = c.events.get(kind=Kind.ESCALATED)
    assert event.data == {"to": "华东区", "level": 1, "deadline": "2026-06-09T22:00:00+08:00"}
    entry = AuditEntry.objects.get(action="complaint.escalate")
    assert (entry.after, entry.note) == (
        {"status": "received", "to": "R1", "level": 1},
        "顾客要求赔偿，超出门店权限",
    )
    assert notices(people.region) == [f"Complaint {c.ref} was escalated to 华东区"]
    assert notices(people.quality) == []


def test_escalation_climbs_to_the_top_and_stops_there(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    services.complaint_escalate(complaint=c, actor=people.store, reason="超出权限")
    second = services.complaint_escalate(complaint=c, actor=people.region, reason="超出区域权限")
    assert (second.level, second.to_unit) == (2, org.hq)
    assert sorted(notices(people.quality)) == [f"Complaint {c.ref} was escalated to 总部"]
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_escalate(complaint=c, actor=people.quality, reason="再上报")
    assert exc.value.code == "top_of_tree"
    assert world() == before


def test_escalate_needs_a_reason_an_open_complaint_and_the_handling_right(make_complaint, people):
    c = make_complaint(actor=people.store)
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_escalate(complaint=c, actor=people.store, reason="")
    assert field_locs(exc.value) == ["reason"]
    with pytest.raises(PermissionDenied):
        services.complaint_escalate(complaint=c, actor=people.cashier, reason="上报")
    assert world() == before
    services.complaint_withdraw(complaint=c, actor=people.store, reason="顾客撤回")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_escalate(complaint=c, actor=people.store, reason="上报")
    assert exc.value.code == "closed"
    assert world() == before


def test_an_answer_with_a_promised_time_moves_the_reply_deadline(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.store)
    escalation = services.complaint_escalate(complaint=c, actor=people.store, reason="需赔偿")
    time_machine.move_to(sh(2026, 6, 9, 16), tick=False)
    promised = sh(2026, 6, 11, 12)
    services.escalation_answer(
        escalation=escalation, actor=people.region, answer="需厂家检测", promised_by=promised
    )
    escalation.refresh_from_db()
    assert (escalation.answer, local(escalation.promised_by), local(escalation.answered_at)) == (
        "需厂家检测",
        promised,
        sh(2026, 6, 9, 16),
    )
    answer_clock = SlaClock.objects.get(complaint=c, kind=ClockKind.ESCALATION)
    assert (local(answer_clock.stopped_at), answer_clock.met) == (sh(2026, 6, 9, 16), True)
    assert local(clock(c, ClockKind.RESOLUTION).deadline) == promised
    assert local(fresh(c).next_deadline) == sh(2026, 6, 9, 15)  # the update clock
    event = c.events.get(kind=Kind.ESCALATION_ANSWERED)
    assert (event.note, event.data) == ("需厂家检测", {"promised_by": promised.isoformat()})
    assert AuditEntry.objects.get(action="complaint.escalation_answer").after == {
        "status": "received",
        "promised_by": promised.isoformat(),
    }
    assert notices(people.store)[-1] == f"The escalation of {c.ref} was answered"


def test_a_plain_answer_keeps_the_reply_deadline(make_complaint, people):
    c = make_complaint(actor=people.store)
    escalation = services.complaint_escalate(complaint=c, actor=people.store, reason="需赔偿")
    services.escalation_answer(escalation=escalation, actor=people.region, answer="同意赔偿")
    assert local(clock(c, ClockKind.RESOLUTION).deadline) == sh(2026, 6, 9, 22)
    assert SlaClock.objects.filter(complaint=c, kind=ClockKind.ESCALATION).get().met is True


def test_an_answer_is_refused_twice_in_the_past_empty_or_from_below(make_complaint, people):
    c = make_complaint(actor=people.store)
    escalation = services.complaint_escalate(complaint=c, actor=people.store, reason="需赔偿")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.escalation_answer(
            escalation=escalation, actor=people.region, answer="稍后", promised_by=NOW - H
        )
    assert field_locs(exc.value) == ["promised_by"]
    with pytest.raises(DomainError) as exc:
        services.escalation_answer(escalation=escalation, actor=people.region, answer=" ")
    assert field_locs(exc.value) == ["answer"]
    for persona in ("store", "outsider", "cashier"):
        with pytest.raises(PermissionDenied):
            services.escalation_answer(
                escalation=escalation, actor=getattr(people, persona), answer="同意"
            )
    assert world() == before
    services.escalation_answer(escalation=escalation, actor=people.region, answer="同意")
    before = world()
    with pytest.raises(DomainError) as exc:
        services.escalation_answer(escalation=escalation, actor=people.quality, answer="同意")
    assert (exc.value.code, exc.value.status) == ("already_answered", 409)
    assert world() == before


# --- The whole lifecycle --------------------------------------------------------------------


def test_the_full_lifecycle_of_a_hotline_complaint(make_complaint, people, org, time_machine):
    c = make_complaint(actor=people.quality, channel="hotline", category="attitude")
    steps = [
        (sh(2026, 6, 9, 10, 30), lambda: services.complaint_classify(
            complaint=c, actor=people.store, category=Category.objects.get(code="attitude-rude"),
            urgency=2, importance=3, staff=org.cashier_staff)),
        (sh(2026, 6, 9, 11), lambda: services.complaint_assign(
            complaint=c, actor=people.store, assignee=org.s1_staff[2])),
        (sh(2026, 6, 9, 11, 5), lambda: services.complaint_investigate(
            complaint=c, actor=people.store)),
        (sh(2026, 6, 9, 13, 30), lambda: services.complaint_note(
            complaint=c, actor=people.store, note="已致电顾客", contacted=True)),
        (sh(2026, 6, 10, 10), lambda: services.complaint_verify(
            complaint=c, actor=people.store, substantiated=True, finding="属实")),
        (sh(2026, 6, 10, 11), lambda: services.complaint_reply(
            complaint=c, actor=people.store, reply="致歉并赠送礼品", improvement="全员培训")),
        (sh(2026, 6, 12, 10), lambda: services.complaint_follow_up(
            complaint=c, actor=people.quality, satisfaction="satisfied", accepted=True)),
    ]  # fmt: skip
    for at, step in steps:
        time_machine.move_to(at, tick=False)
        step()
    c = fresh(c)
    assert c.status == Status.CLOSED
    assert (c.substantiated, c.staff, c.assignee) == (True, org.cashier_staff, org.s1_staff[2])
    assert kinds(c) == [
        Kind.RECEIVED,
        Kind.CLASSIFIED,
        Kind.ASSIGNED,
        Kind.INVESTIGATING,
        Kind.CONTACTED,
        Kind.VERIFIED,
        Kind.REPLIED,
        Kind.FOLLOW_UP,
        Kind.CLOSED,
    ]
    assert [local(e.at) for e in c.events.all()] == [NOW] + [at for at, _ in steps] + [
        sh(2026, 6, 12, 10)
    ]
    assert list(c.events.filter(public=True).values_list("kind", flat=True)) == [
        Kind.RECEIVED,
        Kind.INVESTIGATING,
        Kind.REPLIED,
        Kind.FOLLOW_UP,
        Kind.CLOSED,
    ]
    assert actions(c) == [
        "complaint.create",
        "complaint.classify",
        "complaint.assign",
        "complaint.investigate",
        "complaint.contact",
        "complaint.verify",
        "complaint.reply",
        "complaint.follow_up",
        "complaint.close",
    ]
    assert SlaClock.objects.filter(complaint=c, stopped_at__isnull=True).count() == 0
    assert SlaClock.objects.filter(complaint=c, met=False).count() == 0
    assert c.next_deadline is None
    assert Escalation.objects.count() == 0


# --- More findings and corners --------------------------------------------------------------


def test_a_promise_made_while_waiting_leaves_the_clock_paused(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_wait(complaint=c, actor=people.store, on="customer")
    escalation = services.complaint_escalate(complaint=c, actor=people.store, reason="需赔偿")
    services.escalation_answer(
        escalation=escalation, actor=people.region, answer="需检测", promised_by=sh(2026, 6, 11, 12)
    )
    resolution = clock(c, ClockKind.RESOLUTION)
    # A promise never shortens the time allowed: what was left (over two days) stays.
    assert (resolution.deadline, resolution.paused_remaining) == (
        None,
        dt.timedelta(days=2, hours=2),
    )
    assert fresh(c).next_deadline is None
    assert services.sla_sweep(sh(2026, 6, 12)) == services.SweepResult()
    assert fresh(c).breached is False


def test_intake_at_a_deactivated_unit_is_refused(make_complaint, people, org):
    org_services.unit_deactivate(actor=None, unit=org.s2, reason="关店")
    before = world()
    with pytest.raises(DomainError) as exc:
        make_complaint(actor=people.quality, unit=fresh_unit(org.s2))
    assert field_locs(exc.value) == ["unit"]
    assert world() == before


def fresh_unit(unit):
    unit.refresh_from_db()
    return unit


def test_an_overlong_note_on_any_step_is_refused(make_complaint, people, org):
    c = make_complaint(actor=people.store)
    before = world()
    for call in (
        lambda: services.complaint_investigate(complaint=c, actor=people.store, note="x" * 5001),
        lambda: services.complaint_assign(
            complaint=c, actor=people.store, assignee=org.cashier_staff, note="x" * 5001
        ),
        lambda: services.complaint_wait(
            complaint=c, actor=people.store, on="customer", note="x" * 5001
        ),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert field_locs(exc.value) == ["note"]
    assert world() == before


def test_resume_is_refused_to_the_cashier(make_complaint, people):
    c = make_complaint(actor=people.store)
    services.complaint_wait(complaint=c, actor=people.store, on="customer")
    before = world()
    with pytest.raises(PermissionDenied):
        services.complaint_resume(complaint=c, actor=people.cashier)
    assert world() == before


def upload(name: str, content_type: str, data: bytes = b"\x89PNG\r\n"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_attach(make_complaint, people, media):
    c = make_complaint(actor=people.store)
    saved = services.complaint_attach(
        complaint=c,
        actor=people.store,
        files=[upload("小票.png", "image/png"), upload("录音.m4a", "audio/x-m4a", b"m4a")],
    )
    assert [(a.name, a.size, a.content_type) for a in saved] == [
        ("小票.png", 6, "image/png"),
        ("录音.m4a", 3, "audio/x-m4a"),
    ]
    event = c.events.get(kind=Kind.ATTACHMENT)
    assert event.note == "小票.png, 录音.m4a"
    assert AuditEntry.objects.get(action="complaint.attach").after == {
        "status": "received",
        "files": ["小票.png", "录音.m4a"],
    }


def test_attach_refuses_other_kinds_too_many_files_and_the_cashier(
    make_complaint, people, media, settings
):
    c = make_complaint(actor=people.store)
    settings.SQMS_ATTACHMENT_MAX_MB = 1
    before = world()
    with pytest.raises(DomainError) as exc:
        services.complaint_attach(
            complaint=c,
            actor=people.store,
            files=[
                upload("a.png", "image/png"),
                upload("run.exe", "application/x-msdownload"),
                upload("big.pdf", "application/pdf", b"x" * (1024 * 1024 + 1)),
            ],
        )
    assert [e.loc for e in exc.value.errors] == [["attachments", 1], ["attachments", 2]]
    with pytest.raises(DomainError) as exc:
        services.complaint_attach(
            complaint=c,
            actor=people.store,
            files=[upload(f"{i}.png", "image/png") for i in range(6)],
        )
    assert [e.loc for e in exc.value.errors] == [["attachments"]]
    with pytest.raises(PermissionDenied):
        services.complaint_attach(
            complaint=c, actor=people.cashier, files=[upload("a.png", "image/png")]
        )
    assert world() == before


def test_a_tracking_code_already_taken_is_drawn_again(make_complaint, monkeypatch):
    # The codes are random: force the collision that chance makes rare.
    codes = iter(["TAKEN001", "TAKEN001", "FRESH002"])
    monkeypatch.setattr(services, "_new_ref", lambda received: next(codes))
    first, second = make_complaint(), make_complaint()
    assert (first.ref, second.ref) == ("TAKEN001", "FRESH002")
    assert Complaint.objects.filter(ref__in=["TAKEN001", "FRESH002"]).count() == 2
