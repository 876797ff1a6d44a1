"""Monthly complaint registers (seed 000): compiled per store and month in China time, submitted
by the store manager by the 13th of the following month (late after the end of that day), the
zero-complaint record for a month without complaints, overdue registers flagged to the region
once, and the pages and the Excel export, each door closed to those outside the store."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry, Notification
from sqms.complaints import registers, services
from sqms.complaints.models import ComplaintRules, MonthlyRegister
from sqms.complaints.tasks import registers_daily
from sqms.org import services as org_services
from sqms.org.models import UnitKind

from .conftest import SH

JULY = dt.date(2026, 7, 1)


@pytest.fixture(autouse=True)
def _opened(time_machine):  # type: ignore[no-untyped-def]
    """The organisation is set up on 5 July 2026 (autouse: before the `org` fixture runs), so
    its stores owe registers from July on."""
    time_machine.move_to(dt.datetime(2026, 7, 5, 9, 0, tzinfo=SH))


def at(time_machine, *args: int) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(dt.datetime(*args, tzinfo=SH), tick=False)


@pytest.fixture
def july(make_complaint, org, time_machine):  # type: ignore[no-untyped-def]
    """S1's July: two complaints at the edges of the month in China time, one voided and one
    merged (neither counts), plus complaints that are not S1's July."""
    at(time_machine, 2026, 8, 2, 10, 0)
    first = make_complaint(received_at=dt.datetime(2026, 7, 5, 10, 0, tzinfo=SH))
    last = make_complaint(
        received_at=dt.datetime(2026, 7, 31, 23, 50, tzinfo=SH),
        description="找零少给了5元。",
        category="service-error",
        staff=org.cashier_staff,
    )
    voided = make_complaint(received_at=dt.datetime(2026, 7, 10, 12, 0, tzinfo=SH))
    services.complaint_void(complaint=voided, actor=None, reason="登记错误")
    dup = make_complaint(received_at=dt.datetime(2026, 7, 11, 12, 0, tzinfo=SH))
    services.complaint_merge(complaint=dup, into=first, actor=None)
    make_complaint(received_at=dt.datetime(2026, 8, 1, 0, 5, tzinfo=SH))  # August
    make_complaint(unit=org.s2, received_at=dt.datetime(2026, 7, 20, 9, 0, tzinfo=SH))
    return first, last


# --- Compiling ------------------------------------------------------------------------------


def test_compile_counts_the_months_complaints_in_china_time(july, org):
    register = registers.register_compile(org.s1, dt.date(2026, 7, 15))
    assert (register.unit, register.month, register.due_date) == (
        org.s1,
        JULY,
        dt.date(2026, 8, 13),
    )
    assert (register.complaint_count, register.zero_record) == (2, False)
    assert register.state == MonthlyRegister.State.OPEN
    assert MonthlyRegister.objects.count() == 1


def test_compile_again_updates_an_open_register(july, make_complaint, org):
    register = registers.register_compile(org.s1, JULY)
    make_complaint(received_at=dt.datetime(2026, 7, 30, 8, 0, tzinfo=SH))
    again = registers.register_compile(org.s1, JULY)
    assert again.pk == register.pk
    assert MonthlyRegister.objects.get().complaint_count == 3


def test_a_store_without_complaints_gets_the_zero_record(july, org):
    register = registers.register_compile(org.s3, JULY)
    assert (register.complaint_count, register.zero_record) == (0, True)


def test_only_stores_keep_registers(org, pack):
    with pytest.raises(DomainError) as exc:
        registers.register_compile(org.r1, JULY)
    assert exc.value.code == "not_a_store"
    assert MonthlyRegister.objects.count() == 0


@pytest.mark.parametrize(
    ("month", "due_day", "due"),
    [
        (dt.date(2026, 7, 1), 13, dt.date(2026, 8, 13)),
        (dt.date(2026, 12, 1), 13, dt.date(2027, 1, 13)),
        (dt.date(2026, 1, 1), 31, dt.date(2026, 2, 28)),
        (dt.date(2027, 12, 1), 31, dt.date(2028, 1, 31)),
    ],
)
def test_due_date_is_the_due_day_of_the_following_month(month, due_day, due):
    assert registers.due_date_for(month, due_day) == due


def test_due_day_comes_from_the_complaint_rules(org, pack):
    ComplaintRules.objects.filter(pk=1).update(register_due_day=10)
    assert registers.register_compile(org.s1, JULY).due_date == dt.date(2026, 8, 10)


# --- Submitting -----------------------------------------------------------------------------


def test_submit_on_the_due_day_is_on_time(july, people, org, time_machine):
    register = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 8, 13, 23, 59)
    audit_before = AuditEntry.objects.filter(action="register.submit").count()
    registers.register_submit(actor=people.store, register=register, note="七月登记表")
    register.refresh_from_db()
    assert register.state == MonthlyRegister.State.SUBMITTED
    assert register.late is False
    assert register.submitted_by == people.store
    assert register.submitted_at == dt.datetime(2026, 8, 13, 23, 59, tzinfo=SH)
    assert register.note == "七月登记表"
    entry = AuditEntry.objects.filter(action="register.submit").get()
    assert audit_before == 0
    assert entry.target_id == str(register.pk)
    assert entry.after["complaint_count"] == 2


def test_submit_after_the_due_day_is_late(july, people, org, time_machine):
    register = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 8, 14, 0, 1)
    registers.register_submit(actor=people.store, register=register)
    register.refresh_from_db()
    assert (register.state, register.late) == (MonthlyRegister.State.SUBMITTED, True)


def test_submit_recompiles_the_count(july, people, org, make_complaint, time_machine):
    register = registers.register_compile(org.s1, JULY)
    make_complaint(received_at=dt.datetime(2026, 7, 29, 8, 0, tzinfo=SH))
    at(time_machine, 2026, 8, 3, 9, 0)
    registers.register_submit(actor=people.store, register=register)
    register.refresh_from_db()
    assert register.complaint_count == 3


def test_submit_before_the_month_is_over_is_refused(org, people, pack, time_machine):
    register = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 7, 31, 23, 59)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        registers.register_submit(actor=people.store, register=register)
    assert exc.value.code == "month_not_ended"
    assert "from 2026-08-01" in exc.value.message
    register.refresh_from_db()
    assert (register.state, register.submitted_at) == (MonthlyRegister.State.OPEN, None)


def test_submitting_twice_is_refused(july, org, people, time_machine):
    register = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 8, 3, 9, 0)
    registers.register_submit(actor=people.store, register=register)
    at(time_machine, 2026, 8, 4, 9, 0)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        registers.register_submit(actor=people.region, register=register, note="again")
    assert exc.value.code == "already_submitted"
    assert exc.value.message == (
        "The 2026-07 register of 徐汇店 was already submitted on 2026-08-03 09:00."
    )
    register.refresh_from_db()
    assert (register.submitted_by, register.note) == (people.store, "")


def test_submit_needs_the_right_on_the_store(july, org, people, time_machine):
    register = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 8, 3, 9, 0)
    for user in (people.outsider, people.cashier):
        with pytest.raises(PermissionDenied):
            registers.register_submit(actor=user, register=register)
    register.refresh_from_db()
    assert register.state == MonthlyRegister.State.OPEN
    assert AuditEntry.objects.filter(action="register.submit").count() == 0


# --- Flagging -------------------------------------------------------------------------------


def test_flag_overdue_flags_once_and_notifies_the_region_once(july, org, people, time_machine):
    s1 = registers.register_compile(org.s1, JULY)
    at(time_machine, 2026, 8, 12, 9, 0)
    registers.register_submit(actor=people.store, register=s1)

    at(time_machine, 2026, 8, 13, 20, 0)
    assert registers.register_flag_overdue() == registers.FlagResult(0, 0, 0)
    assert MonthlyRegister.objects.count() == 1  # nothing is due yet

    at(time_machine, 2026, 8, 14, 1, 40)
    with translation.override("en"):
        first = registers.register_flag_overdue()
    # S2 and S3 get their July registers; both are flagged, and R1's manager is told about S2.
    # R2 has no manager with a grant on it: nobody to tell there.
    assert first == registers.FlagResult(created=2, flagged=2, notified=1)
    s2 = MonthlyRegister.objects.get(unit=org.s2, month=JULY)
    s3 = MonthlyRegister.objects.get(unit=org.s3, month=JULY)
    assert (s2.late, s3.late) == (True, True)
    assert s2.flagged_at == dt.datetime(2026, 8, 14, 1, 40, tzinfo=SH)
    assert (s2.complaint_count, s2.zero_record) == (1, False)
    s1.refresh_from_db()
    assert (s1.flagged_at, s1.late) == (None, False)
    note = Notification.objects.get()
    assert note.user == people.region
    assert note.title == "1 store has not submitted its 2026-07 complaint register"
    assert note.body == "Due 2026-08-13: S2 浦东店"
    assert note.url == "/complaints/registers/?month=2026-07"

    at(time_machine, 2026, 8, 15, 1, 40)
    assert registers.register_flag_overdue() == registers.FlagResult(0, 0, 0)
    s2.refresh_from_db()
    assert s2.flagged_at == dt.datetime(2026, 8, 14, 1, 40, tzinfo=SH)
    assert Notification.objects.count() == 1
    assert AuditEntry.objects.filter(action="register.flag_overdue").count() == 2


def test_one_notice_per_region_lists_every_late_store(july, org, people, time_machine):
    at(time_machine, 2026, 8, 20, 1, 40)
    with translation.override("en"):
        result = registers.register_flag_overdue()
    assert result == registers.FlagResult(created=3, flagged=3, notified=1)
    note = Notification.objects.get(user=people.region)
    assert note.title == "2 stores have not submitted their 2026-07 complaint registers"
    assert note.body == "Due 2026-08-13: S1 徐汇店, S2 浦东店"
    assert Notification.objects.count() == 1
    # A late submission after the flag stays late.
    registers.register_submit(actor=people.store, register=MonthlyRegister.objects.get(unit=org.s1))
    assert MonthlyRegister.objects.get(unit=org.s1).late is True


def test_the_daily_task_opens_last_month_and_flags(org, people, pack, time_machine):
    at(time_machine, 2026, 8, 2, 1, 40)
    assert registers_daily.call_local() == {"created": 3, "flagged": 0, "notified": 0}
    at(time_machine, 2026, 8, 14, 1, 40)
    assert registers_daily.call_local() == {"created": 0, "flagged": 3, "notified": 1}


# --- Pages ----------------------------------------------------------------------------------


def test_month_page_lists_the_stores_in_scope(client, july, org, people, time_machine):
    registers.register_compile(org.s1, JULY)
    client.force_login(people.region)
    resp = client.get("/complaints/registers/?month=2026-07", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    rows = list(resp.context["page"])
    assert [(r.unit.code, r.complaint_count, r.state) for r in rows] == [
        ("S1", 2, "open"),
        ("S2", 1, ""),
    ]
    assert rows[0].due_date == dt.date(2026, 8, 13)
    assert f"/complaints/registers/{rows[0].register.pk}/" in resp.content.decode()

    client.force_login(people.outsider)
    resp = client.get("/complaints/registers/?month=2026-07")
    assert [r.unit.code for r in resp.context["page"]] == ["S3"]


def test_month_page_queries_do_not_grow_with_the_stores(
    client, july, org, people, django_assert_num_queries
):
    registers.register_compile(org.s1, JULY)
    client.force_login(people.quality)
    client.get("/complaints/registers/?month=2026-07")  # warm the session
    # session, user, configuration revision, stores, registers, live counts, the notices
    # badge; the grants and the rules are remembered from the warm-up (sqms.common.memo)
    with django_assert_num_queries(7):
        resp = client.get("/complaints/registers/?month=2026-07")
    assert len(resp.context["page"]) == 3
    s4 = org_services.unit_create(
        actor=None, code="S4", name="滨江店", kind=UnitKind.STORE, parent=org.r2
    )
    registers.register_compile(s4, JULY)
    # the new store drew a configuration revision: the grants are read again, and the units
    # (does the quality manager's grant still cover every root of the tree?)
    with django_assert_num_queries(9):
        resp = client.get("/complaints/registers/?month=2026-07")
    assert [r.unit.code for r in resp.context["page"]] == ["S1", "S2", "S3", "S4"]


def test_open_a_register_from_the_month_page(client, july, org, people):
    client.force_login(people.store)
    resp = client.post("/complaints/registers/open/", {"unit": org.s1.pk, "month": "2026-07"})
    register = MonthlyRegister.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/complaints/registers/{register.pk}/"

    resp = client.post("/complaints/registers/open/", {"unit": org.s1.pk, "month": "2026-09"})
    assert resp["Location"] == "/complaints/registers/?month=2026-09"
    assert MonthlyRegister.objects.count() == 1  # a month that has not begun has none

    client.force_login(people.outsider)
    resp = client.post("/complaints/registers/open/", {"unit": org.s2.pk, "month": "2026-07"})
    assert resp.status_code == 404
    assert MonthlyRegister.objects.count() == 1


def test_register_page_masks_the_customer_and_submits(client, july, org, people, time_machine):
    first, last = july
    register = registers.register_compile(org.s1, JULY)
    client.force_login(people.store)
    resp = client.get(f"/complaints/registers/{register.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert [line.complaint for line in resp.context["lines"]] == [first, last]
    assert "139****5678" in page and "13912345678" not in page
    assert "王*" in page
    assert "找零少给了5元。" in page
    assert "Submit the register" in page

    views = AuditEntry.objects.filter(action="personal_data.view").count()
    resp = client.post(f"/complaints/registers/{register.pk}/", {"reveal": "1"})
    assert "13912345678" in resp.content.decode()
    assert AuditEntry.objects.filter(action="personal_data.view").count() == views + 2

    resp = client.post(
        f"/complaints/registers/{register.pk}/submit", {"note": "已核对"}, follow=True
    )
    assert resp.status_code == 200
    register.refresh_from_db()
    assert (register.state, register.late, register.note) == ("submitted", False, "已核对")


def test_register_page_zero_record(client, july, org, people):
    register = registers.register_compile(org.s3, JULY)
    client.force_login(people.outsider)
    resp = client.get(f"/complaints/registers/{register.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    assert "No customer complaint was registered at 天河店 in 2026-07." in resp.content.decode()


def test_submit_too_early_from_the_page_changes_nothing(client, org, people, pack, time_machine):
    register = registers.register_compile(org.s1, JULY)
    client.force_login(people.store)
    resp = client.post(f"/complaints/registers/{register.pk}/submit", {"note": ""})
    assert resp.status_code == 302
    register.refresh_from_db()
    assert register.state == MonthlyRegister.State.OPEN


def test_outsider_gets_404_by_every_door(client, july, org, people):
    register = registers.register_compile(org.s1, JULY)
    audit_before = AuditEntry.objects.count()
    client.force_login(people.outsider)
    base = f"/complaints/registers/{register.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base, {"reveal": "1"}).status_code == 404
    assert client.get(base + "export.xlsx").status_code == 404
    assert client.post(base + "submit", {"note": "x"}).status_code == 404
    register.refresh_from_db()
    assert (register.state, register.submitted_at, register.note) == ("open", None, "")
    assert AuditEntry.objects.count() == audit_before


def test_viewer_without_the_submit_right_gets_403(client, july, org, people):
    register = registers.register_compile(org.s1, JULY)
    client.force_login(people.cashier)
    assert client.get(f"/complaints/registers/{register.pk}/").status_code == 200
    resp = client.post(f"/complaints/registers/{register.pk}/submit", {"note": ""})
    assert resp.status_code == 403
    register.refresh_from_db()
    assert register.state == MonthlyRegister.State.OPEN


# --- Export ---------------------------------------------------------------------------------


def _sheet(resp):  # type: ignore[no-untyped-def]
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(resp.content)).active


def test_export_has_the_form_title_and_the_months_complaints(client, july, org, people):
    first, _last = july
    register = registers.register_compile(org.s1, JULY)
    client.force_login(people.store)
    ws = _sheet(client.get(f"/complaints/registers/{register.pk}/export.xlsx"))
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "顾客投诉意见登记表"
    assert "徐汇店（S1）" in rows[1][0] and "2026-07" in rows[1][0]
    assert rows[3][:6] == [
        "序号 No.",
        "日期 Date",
        "时间 Time",
        "顾客姓名 Customer",
        "联系电话 Phone",
        "投诉内容 Complaint",
    ]
    assert rows[4][0] == 1 and rows[4][2] == "10:00" and rows[4][10] == first.ref
    assert rows[5][:3] == [2, dt.datetime(2026, 7, 31), "23:50"]
    assert rows[5][4] == "13912345678"  # the store manager sees (and the export logs) the phone
    assert rows[5][5] == "找零少给了5元。"
    assert rows[5][6] == "李娜 (E1)"
    assert rows[-2][0].startswith("店长 Store manager") and rows[-2][5].startswith("登记人")


def test_export_masks_the_customer_without_the_personal_data_right(client, july, org, people):
    register = registers.register_compile(org.s1, JULY)
    client.force_login(people.inspector)
    ws = _sheet(client.get(f"/complaints/registers/{register.pk}/export.xlsx"))
    assert [r[4] for r in ws.iter_rows(min_row=5, max_row=6, values_only=True)] == [
        "139****5678",
        "139****5678",
    ]


def test_export_of_a_zero_month_is_the_quality_service_record(client, july, org, people):
    register = registers.register_compile(org.s3, JULY)
    client.force_login(people.outsider)
    ws = _sheet(client.get(f"/complaints/registers/{register.pk}/export.xlsx"))
    assert ws["A1"].value == "门店优质服务月记录"
    assert ws["A4"].value == "本月投诉 Complaints this month：0"
    assert any(
        str(r[0] or "").startswith("店长 Store manager") for r in ws.iter_rows(values_only=True)
    )
