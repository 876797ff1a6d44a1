import datetime as dt

from sqms.complaints import services
from sqms.complaints.models import ClockKind, Complaint, Status

from .conftest import SH


def test_desk_complaint_lifecycle(make_complaint, people, org, time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH))
    c = make_complaint(actor=people.store)
    assert c.status == Status.RECEIVED
    clock = c.clocks.get(kind=ClockKind.RESOLUTION)
    assert clock.deadline == dt.datetime(2026, 9, 30, 22, 0, tzinfo=SH)
    services.complaint_assign(complaint=c, actor=people.store, assignee=org.s1_staff[2])
    services.complaint_verify(complaint=c, actor=people.store, substantiated=True, finding="属实")
    services.complaint_reply(complaint=c, actor=people.store, reply="已道歉", improvement="培训")
    services.complaint_follow_up(
        complaint=c, actor=people.store, satisfaction="satisfied", accepted=True
    )
    c = Complaint.objects.get(pk=c.pk)
    assert c.status == Status.CLOSED
    assert c.clocks.get(kind=ClockKind.RESOLUTION).met is True


def test_hotline_three_working_days_over_national_day(make_complaint, people, org, time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH))
    c = make_complaint(actor=people.quality, channel="hotline")
    clock = c.clocks.get(kind=ClockKind.RESOLUTION)
    assert clock.deadline.astimezone(SH) == dt.datetime(
        2026, 10, 10, 18, 0, tzinfo=SH
    )  # make-up Saturday
