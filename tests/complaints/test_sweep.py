"""The SLA sweep: a clock is warned once, its breach is recorded once, and a late clock climbs the
org tree one level per escalation step (store → region → head office, never past the root),
telling the managers of each level exactly once, however often and however concurrently the
sweep runs. Paused and stopped clocks are left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sqms.common.models import AuditEntry, Notification
from sqms.complaints import services
from sqms.complaints.models import ClockKind, ComplaintEvent, Escalation, SlaClock
from sqms.complaints.services import SweepResult, sla_sweep

from .factories import (
    NOW,
    actions,
    clock,
    fresh,
    kinds,
    local,
    notices,
    only_resolution_clock,
    sh,
    world,
)

Kind = ComplaintEvent.Kind
NOTHING = SweepResult(warned=0, breached=0, escalated=0)
DEADLINE = sh(2026, 6, 9, 22)  # a desk complaint received at NOW must be answered by 22:00


@pytest.fixture(autouse=True)
def _now_and_english(time_machine):
    time_machine.move_to(NOW, tick=False)
    with translation.override("en"):
        yield


@pytest.fixture
def late_desk(make_complaint, people):
    """A desk complaint at S1 with one clock: the reply, due at 22:00 (12 hours)."""
    only_resolution_clock("desk")
    return make_complaint(actor=people.store)


def sweep(time_machine, at: dt.datetime) -> SweepResult:
    time_machine.move_to(at, tick=False)
    return sla_sweep(at)


def escalations(complaint) -> list[tuple[int, str, bool]]:
    return [
        (e.level, e.to_unit.code, e.automatic)
        for e in Escalation.objects.filter(complaint=complaint).order_by("level", "pk")
    ]


# --- Warning --------------------------------------------------------------------------------


def test_nothing_happens_before_the_warning_window(late_desk, time_machine):
    before = world()
    # A quarter of 12 hours: the warning window opens at 19:00.
    assert sweep(time_machine, sh(2026, 6, 9, 18, 59)) == NOTHING
    assert world() == before


def test_a_clock_due_soon_is_warned_once(late_desk, people, time_machine):
    assert sweep(time_machine, sh(2026, 6, 9, 19)) == SweepResult(warned=1)
    resolution = clock(late_desk, ClockKind.RESOLUTION)
    assert local(resolution.warned_at) == sh(2026, 6, 9, 19)
    assert resolution.breached_at is None
    event = late_desk.events.get(kind=Kind.DEADLINE_WARNING)
    assert (event.actor, event.public) == (None, False)
    assert event.data == {"clock": "resolution", "deadline": "2026-06-09T14:00:00+00:00"}
    assert notices(people.store)[-1] == f"Complaint {late_desk.ref} is due 2026-06-09 22:00"
    assert Notification.objects.filter(user=people.region).count() == 0
    after_first = world()
    for at in (sh(2026, 6, 9, 19), sh(2026, 6, 9, 20), sh(2026, 6, 9, 21, 59)):
        assert sweep(time_machine, at) == NOTHING
    assert world() == after_first


def test_the_warning_window_is_a_share_of_working_days_counted_as_8_hours(
    make_complaint, people, time_machine
):
    only_resolution_clock("hotline")
    c = make_complaint(actor=people.quality, channel="hotline")  # due Fri 12 June 18:00
    assert local(clock(c, ClockKind.RESOLUTION).deadline) == sh(2026, 6, 12, 18)
    # 3 working days × 8 h × 0.25 = 6 hours before the deadline.
    assert sweep(time_machine, sh(2026, 6, 12, 11, 59)) == NOTHING
    assert sweep(time_machine, sh(2026, 6, 12, 12)) == SweepResult(warned=1)


# --- Breach and escalation ------------------------------------------------------------------


def test_a_breach_is_recorded_once_and_escalates_to_the_region(
    late_desk, people, org, time_machine
):
    assert sweep(time_machine, DEADLINE) == SweepResult(breached=1, escalated=1)
    c = fresh(late_desk)
    resolution = clock(c, ClockKind.RESOLUTION)
    assert local(resolution.breached_at) == DEADLINE
    assert (c.breached, c.escalation_level, c.escalated_to) == (True, 1, org.r1)
    assert escalations(c) == [(1, "R1", True)]
    assert Escalation.objects.get().clock == resolution
    assert kinds(c) == [Kind.RECEIVED, Kind.DEADLINE_MISSED, Kind.ESCALATED]
    assert c.events.get(kind=Kind.ESCALATED).data == {
        "to": "华东区",
        "level": 1,
        "clock": "resolution",
        "automatic": True,
    }
    assert actions(c) == ["complaint.create", "complaint.deadline_missed", "complaint.escalate"]
    assert AuditEntry.objects.get(action="complaint.escalate").after == {
        "to": "R1",
        "level": 1,
        "clock": "resolution",
        "automatic": True,
    }
    assert notices(people.region) == [f"Late complaint {c.ref} escalated to 华东区"]
    assert notices(people.quality) == []

    after_first = world()
    for at in [DEADLINE] * 5 + [sh(2026, 6, 9, 23), sh(2026, 6, 10, 9, 59)]:
        assert sweep(time_machine, at) == NOTHING
    assert world() == after_first


def test_one_step_later_it_reaches_head_office_and_stops_at_the_root(
    late_desk, people, org, time_machine
):
    sweep(time_machine, DEADLINE)
    assert sweep(time_machine, sh(2026, 6, 10, 10)) == SweepResult(escalated=1)
    c = fresh(late_desk)
    assert (c.escalation_level, c.escalated_to) == (2, org.hq)
    assert escalations(c) == [(1, "R1", True), (2, "HQ", True)]
    escalated_to_hq = f"Late complaint {c.ref} escalated to 总部"
    assert notices(people.quality) == [escalated_to_hq]
    assert notices(people.admin) == [escalated_to_hq]
    assert len(notices(people.region)) == 1
    # Head office has nobody above it: the clock is done escalating, however late it gets.
    for at in (sh(2026, 6, 10, 10), sh(2026, 6, 10, 22), sh(2026, 6, 11, 10), sh(2026, 7, 1)):
        assert sweep(time_machine, at) == NOTHING
    assert clock(c, ClockKind.RESOLUTION).escalation_done is True
    assert escalations(c) == [(1, "R1", True), (2, "HQ", True)]
    assert kinds(c) == [Kind.RECEIVED, Kind.DEADLINE_MISSED, Kind.ESCALATED, Kind.ESCALATED]
    for user, count in [(people.region, 1), (people.quality, 1), (people.admin, 1)]:
        assert Notification.objects.filter(user=user).count() == count
    # Nobody without the right to handle complaints is told.
    for user in (people.auditor, people.inspector, people.cashier, people.outsider):
        assert Notification.objects.filter(user=user).count() == 0


def test_a_warned_clock_that_runs_late(late_desk, time_machine):
    sweep(time_machine, sh(2026, 6, 9, 19))
    assert sweep(time_machine, DEADLINE) == SweepResult(breached=1, escalated=1)
    assert kinds(late_desk) == [
        Kind.RECEIVED,
        Kind.DEADLINE_WARNING,
        Kind.DEADLINE_MISSED,
        Kind.ESCALATED,
    ]


def test_a_sweep_that_comes_late_climbs_one_level_per_run(late_desk, time_machine):
    at = sh(2026, 6, 11, 12)  # both levels are due
    assert [sweep(time_machine, at) for _ in range(4)] == [
        SweepResult(breached=1, escalated=1),
        SweepResult(escalated=1),
        NOTHING,
        NOTHING,
    ]
    assert escalations(late_desk) == [(1, "R1", True), (2, "HQ", True)]
    assert kinds(late_desk).count(Kind.DEADLINE_MISSED) == 1


def test_two_sweeps_on_the_same_rows_escalate_and_notify_once(late_desk, people, time_machine):
    time_machine.move_to(sh(2026, 6, 9, 22, 5), tick=False)
    first = sla_sweep(sh(2026, 6, 9, 22, 5))
    second = sla_sweep(sh(2026, 6, 9, 22, 5))
    assert (first, second) == (SweepResult(breached=1, escalated=1), NOTHING)
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(user=people.region).count() == 1
    assert AuditEntry.objects.filter(action="complaint.deadline_missed").count() == 1


def test_a_complaint_handled_at_head_office_has_nowhere_to_escalate(
    make_complaint, people, org, time_machine
):
    only_resolution_clock("desk")
    c = make_complaint(actor=people.quality, unit=org.hq)
    assert sweep(time_machine, DEADLINE) == SweepResult(breached=1)
    assert clock(c, ClockKind.RESOLUTION).escalation_done is True
    assert Escalation.objects.count() == 0
    assert fresh(c).escalation_level == 0
    assert sweep(time_machine, sh(2026, 6, 12)) == NOTHING


# --- Manual escalations ---------------------------------------------------------------------


@pytest.fixture
def escalated_slip(make_complaint, people):
    """A slip (reply due in a week) the store escalated at 10:00: the region must answer by
    22:00."""
    only_resolution_clock("slip")
    c = make_complaint(actor=people.store, channel="slip")
    services.complaint_escalate(complaint=c, actor=people.store, reason="顾客要求赔偿")
    return c


def test_an_unanswered_escalation_warns_the_region_then_goes_to_head_office(
    escalated_slip, people, org, time_machine
):
    c = escalated_slip
    assert sweep(time_machine, sh(2026, 6, 9, 19)) == SweepResult(warned=1)
    assert notices(people.region) == [
        f"Complaint {c.ref} was escalated to 华东区",
        f"Complaint {c.ref} is due 2026-06-09 22:00",
    ]
    assert sweep(time_machine, DEADLINE) == SweepResult(breached=1, escalated=1)
    # Levels count from the store: the region is level 1, head office level 2.
    assert escalations(c) == [(1, "R1", False), (2, "HQ", True)]
    assert notices(people.quality) == [f"Late complaint {c.ref} escalated to 总部"]
    # The region's parent is the root: the answer clock has nowhere further to go.
    for at in (sh(2026, 6, 10, 10), sh(2026, 6, 10, 22), sh(2026, 6, 12)):
        assert sweep(time_machine, at) == NOTHING
    assert clock(c, ClockKind.ESCALATION).escalation_done is True
    assert Notification.objects.filter(user=people.quality).count() == 1


def test_an_answered_escalation_is_not_swept(escalated_slip, people, time_machine):
    escalation = Escalation.objects.get()
    time_machine.move_to(sh(2026, 6, 9, 21), tick=False)
    services.escalation_answer(escalation=escalation, actor=people.region, answer="同意赔偿")
    before = world()
    for at in (DEADLINE, sh(2026, 6, 10, 10), sh(2026, 6, 12)):
        assert sweep(time_machine, at) == NOTHING
    assert world() == before


# --- Paused and stopped clocks --------------------------------------------------------------


def test_a_paused_clock_never_warns_or_breaches(late_desk, people, time_machine):
    time_machine.move_to(sh(2026, 6, 9, 12), tick=False)
    services.complaint_wait(complaint=late_desk, actor=people.store, on="customer")
    before = world()
    for at in (sh(2026, 6, 9, 19), DEADLINE, sh(2026, 6, 10, 10), sh(2026, 6, 30)):
        assert sweep(time_machine, at) == NOTHING
    assert world() == before
    assert fresh(late_desk).breached is False


def test_a_resumed_clock_is_swept_on_its_new_deadline(late_desk, people, time_machine):
    time_machine.move_to(sh(2026, 6, 9, 12), tick=False)
    services.complaint_wait(complaint=late_desk, actor=people.store, on="customer")
    time_machine.move_to(sh(2026, 6, 10, 12), tick=False)
    services.complaint_resume(complaint=late_desk, actor=people.store)
    assert local(clock(late_desk, ClockKind.RESOLUTION).deadline) == sh(2026, 6, 10, 22)
    assert sweep(time_machine, DEADLINE + dt.timedelta(days=1) - dt.timedelta(minutes=1)) == (
        SweepResult(warned=1)
    )
    assert sweep(time_machine, sh(2026, 6, 10, 22)) == SweepResult(breached=1, escalated=1)


def test_a_replied_complaint_is_never_escalated(late_desk, people, time_machine):
    time_machine.move_to(sh(2026, 6, 9, 21), tick=False)
    services.complaint_reply(complaint=late_desk, actor=people.store, reply="已致歉")
    before = world()
    for at in (DEADLINE, sh(2026, 6, 10, 10), sh(2026, 6, 11)):
        assert sweep(time_machine, at) == NOTHING
    assert world() == before
    assert Escalation.objects.count() == 0


def test_a_clock_stopped_after_escalating_climbs_no_further(late_desk, people, time_machine):
    sweep(time_machine, DEADLINE)
    time_machine.move_to(sh(2026, 6, 9, 23), tick=False)
    services.complaint_reply(complaint=late_desk, actor=people.store, reply="已致歉")
    before = world()
    assert sweep(time_machine, sh(2026, 6, 10, 10)) == NOTHING
    assert world() == before
    assert escalations(late_desk) == [(1, "R1", True)]
    assert SlaClock.objects.get(complaint=late_desk).met is False


def test_an_ended_complaint_is_not_swept(late_desk, people, time_machine):
    services.complaint_void(complaint=late_desk, actor=people.quality, reason="重复")
    before = world()
    assert sweep(time_machine, sh(2026, 6, 10, 10)) == NOTHING
    assert world() == before


# --- Findings -------------------------------------------------------------------------------


def test_an_escalation_passed_on_to_head_office_shows_on_the_complaint(
    escalated_slip, people, org, time_machine
):
    sweep(time_machine, DEADLINE)
    c = fresh(escalated_slip)
    assert (c.escalation_level, c.escalated_to) == (2, org.hq)


def test_a_complaint_with_two_late_clocks_is_escalated_to_each_level_once(
    make_complaint, people, time_machine
):
    c = make_complaint(actor=people.store)  # update due 15:00, reply due 22:00
    sweep(time_machine, sh(2026, 6, 9, 15))
    sweep(time_machine, DEADLINE)
    sweep(time_machine, sh(2026, 6, 10, 3))
    sweep(time_machine, sh(2026, 6, 10, 10))
    assert Notification.objects.filter(user=people.region).count() == 1
    assert Notification.objects.filter(user=people.quality).count() == 1
    assert kinds(c).count(Kind.ESCALATED) == 2


def test_a_sweep_for_a_given_time_writes_everything_at_that_time(late_desk, people, time_machine):
    time_machine.move_to(sh(2026, 6, 10, 8), tick=False)
    sla_sweep(DEADLINE)
    assert local(clock(late_desk, ClockKind.RESOLUTION).breached_at) == DEADLINE
    assert local(Escalation.objects.get().at) == DEADLINE
    assert [local(e.at) for e in late_desk.events.exclude(kind=Kind.RECEIVED)] == [
        DEADLINE,
        DEADLINE,
    ]
    assert local(Notification.objects.get(user=people.region).at) == DEADLINE


def test_the_worker_writes_its_notices_in_the_site_language(late_desk, people, time_machine):
    # The worker has no request: whatever language its thread last had (English here, left by
    # the fixture), the notice is in the site's language (Chinese by default).
    from sqms.complaints import tasks

    time_machine.move_to(DEADLINE, tick=False)
    assert tasks.sweep_time_limits.call_local()["escalated"] == 1
    assert notices(people.region) == [f"超时投诉 {late_desk.ref} 已升级至 华东区"]
