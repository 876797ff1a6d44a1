"""Monthly complaint registers (seed 000). Each store submits the month's register
《顾客投诉意见登记表》 to the operations group by the due day (the 13th) of the following month; a
store without complaints submits the zero-complaint record 《门店优质服务月记录》 instead. Late or
missing registers are flagged to the region.

Months are calendar months in the organisation's time zone (settings.TIME_ZONE, Asia/Shanghai):
a complaint received at 23:30 on 31 July in China belongs to July's register, and a register due
on the 13th is on time until 24:00 China time that day.

Services (writes, each audited) and the scoped reads of registers live together here."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from sqms.common import clock
from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, NotFound, PermissionDenied, field_error
from sqms.common.notifications import notify
from sqms.complaints import selectors, services
from sqms.complaints.models import Complaint, FollowUp, MonthlyRegister, Status
from sqms.org.models import OrgUnit, UnitKind, User
from sqms.org.roles import ROLE_CAPS, Cap
from sqms.org.selectors import AnyUser, access_for, unit_queryset_for_user

State = MonthlyRegister.State
# Voided and merged complaints are not complaints of the month (a duplicate counts once).
NOT_COUNTED = [Status.VOIDED, Status.MERGED]
# How many past months the daily sweep looks at, so that a worker that was down catches up.
LOOKBACK_MONTHS = 3
MAX_NOTE = 2000
REGISTER_TITLE = "顾客投诉意见登记表"
ZERO_TITLE = "门店优质服务月记录"


# --- Months ---------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def due_date_for(month: dt.date, due_day: int) -> dt.date:
    """The due day of the month after `month`, or that month's last day if it is shorter."""
    following = next_month(month)
    last = (next_month(following) - dt.timedelta(days=1)).day
    return following.replace(day=max(1, min(due_day, last)))


def _zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def local_today() -> dt.date:
    return clock.now().astimezone(_zone()).date()


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) instants in the organisation's time zone."""
    zone = _zone()
    start = timezone.make_aware(dt.datetime.combine(month_start(month), dt.time.min), zone)
    end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time.min), zone)
    return start, end


def _month_complaints(month: dt.date) -> QuerySet[Complaint]:
    start, end = month_bounds(month)
    return Complaint.objects.filter(received_at__gte=start, received_at__lt=end).exclude(
        status__in=NOT_COUNTED
    )


def _label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


# --- Services -------------------------------------------------------------------------------


def register_compile(unit: OrgUnit, month: dt.date) -> MonthlyRegister:
    """Get or create the store's register for `month` and, while it is not submitted, bring its
    complaint count up to date (a submitted register keeps what was submitted)."""
    if unit.kind != UnitKind.STORE:
        raise DomainError(
            code="not_a_store",
            message=_("Only a store keeps a monthly complaint register; %(unit)s is not a store.")
            % {"unit": unit.name},
        )
    month = month_start(month)
    count = _month_complaints(month).filter(unit=unit).count()
    with transaction.atomic():
        register, created = MonthlyRegister.objects.get_or_create(
            unit=unit,
            month=month,
            defaults={
                "due_date": due_date_for(month, services.rules().register_due_day),
                "complaint_count": count,
                "zero_record": count == 0,
            },
        )
        if not created and register.state == State.OPEN and register.complaint_count != count:
            register.complaint_count = count
            register.zero_record = count == 0
            register.save(update_fields=["complaint_count", "zero_record"])
    return register


def register_compile_all(month: dt.date, *, units: QuerySet[OrgUnit] | None = None) -> int:
    """Make sure every active store (of `units`, default all) that existed during `month` has its
    register, with up-to-date counts while open. A few queries whatever the number of stores.
    Returns how many registers were created."""
    month = month_start(month)
    _start, end = month_bounds(month)
    stores = (units if units is not None else OrgUnit.objects.all()).filter(
        kind=UnitKind.STORE, is_active=True, created_at__lt=end
    )
    counts = dict(
        _month_complaints(month)
        .filter(unit__in=stores)
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    due = due_date_for(month, services.rules().register_due_day)
    existing = {r.unit_id: r for r in MonthlyRegister.objects.filter(month=month, unit__in=stores)}
    new = [
        MonthlyRegister(
            unit_id=pk,
            month=month,
            due_date=due,
            complaint_count=counts.get(pk, 0),
            zero_record=counts.get(pk, 0) == 0,
        )
        for pk in stores.values_list("pk", flat=True)
        if pk not in existing
    ]
    # Another sweep or a page may create the same registers meanwhile: the unique constraint
    # keeps one per store and month.
    MonthlyRegister.objects.bulk_create(new, ignore_conflicts=True)
    stale = []
    for register in existing.values():
        count = counts.get(register.unit_id, 0)
        if register.state == State.OPEN and register.complaint_count != count:
            register.complaint_count = count
            register.zero_record = count == 0
            stale.append(register)
    MonthlyRegister.objects.bulk_update(stale, ["complaint_count", "zero_record"])
    return len(new)


@transaction.atomic
def register_submit(*, actor: User, register: MonthlyRegister, note: str = "") -> MonthlyRegister:
    """The store manager submits the month's register (or its zero-complaint record) to the
    operations group. Only once, and only after the month has ended; submitted after the end of
    the due day (China time) it is late."""
    if not access_for(actor).covers(Cap.REGISTER_SUBMIT, register.unit.path):
        raise PermissionDenied()
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise field_error("note", _("At most %(n)d characters.") % {"n": MAX_NOTE})
    register = (
        MonthlyRegister.objects.select_for_update().select_related("unit").get(pk=register.pk)
    )
    if register.state == State.SUBMITTED:
        assert register.submitted_at is not None
        raise DomainError(
            code="already_submitted",
            message=_("The %(month)s register of %(unit)s was already submitted on %(day)s.")
            % {
                "month": _label(register.month),
                "unit": register.unit.name,
                "day": register.submitted_at.astimezone(_zone()).strftime("%Y-%m-%d %H:%M"),
            },
            status=409,
        )
    now = clock.now()
    _start, end = month_bounds(register.month)
    if now < end:
        raise DomainError(
            code="month_not_ended",
            message=_(
                "The %(month)s register can be submitted once the month is over, from %(day)s."
            )
            % {"month": _label(register.month), "day": next_month(register.month).isoformat()},
            status=409,
        )
    before = {"state": register.state, "complaint_count": register.complaint_count}
    count = _month_complaints(register.month).filter(unit=register.unit).count()
    register.complaint_count = count
    register.zero_record = count == 0
    register.state = State.SUBMITTED
    register.submitted_at = now
    register.submitted_by = actor
    register.late = register.late or now.astimezone(_zone()).date() > register.due_date
    register.note = note
    register.save(
        update_fields=[
            "complaint_count",
            "zero_record",
            "state",
            "submitted_at",
            "submitted_by",
            "late",
            "note",
        ]
    )
    audit_record(
        actor=actor,
        action="register.submit",
        target=register,
        before=before,
        after={
            "state": register.state,
            "complaint_count": count,
            "zero_record": register.zero_record,
            "late": register.late,
            "due_date": register.due_date,
        },
        note=note,
    )
    return register


@dataclass
class FlagResult:
    created: int = 0
    flagged: int = 0
    notified: int = 0


def _region_managers(unit_id: int) -> list[User]:
    """Users holding the complaint-handling right by a grant exactly on the unit (the region)."""
    roles = [r for r, caps in ROLE_CAPS.items() if Cap.COMPLAINT_HANDLE in caps]
    return list(
        User.objects.filter(
            is_active=True, grants__unit_id=unit_id, grants__role__in=roles
        ).distinct()
    )


def register_flag_overdue(today: dt.date | None = None) -> FlagResult:
    """For every active store, make sure the registers of the past months whose due date has
    passed exist; flag each register still open after its due date (late, flagged_at) once, and
    tell the region's managers once per region and month. Each region is handled in its own
    transaction under row locks, so two sweeps running at once never flag or notify twice."""
    today = today or local_today()
    due_day = services.rules().register_due_day
    result = FlagResult()
    month = previous_month(today)
    for _i in range(LOOKBACK_MONTHS):
        if due_date_for(month, due_day) < today:
            result.created += register_compile_all(month)
        month = previous_month(month)
    groups = (
        MonthlyRegister.objects.filter(
            state=State.OPEN,
            flagged_at__isnull=True,
            due_date__lt=today,
            unit__kind=UnitKind.STORE,
            unit__is_active=True,
        )
        .values_list("unit__parent_id", "month")
        .distinct()
    )
    for parent_id, month in sorted(set(groups), key=lambda g: (g[1], g[0] or 0)):
        flagged, notified = _flag_group(parent_id, month, today)
        result.flagged += flagged
        result.notified += notified
    return result


@transaction.atomic
def _flag_group(parent_id: int | None, month: dt.date, today: dt.date) -> tuple[int, int]:
    registers = list(
        MonthlyRegister.objects.select_for_update()
        .filter(
            state=State.OPEN,
            flagged_at__isnull=True,
            due_date__lt=today,
            month=month,
            unit__parent_id=parent_id,
            unit__kind=UnitKind.STORE,
            unit__is_active=True,
        )
        .select_related("unit")
        .order_by("unit__code")
    )
    if not registers:
        return 0, 0
    now = clock.now()
    for register in registers:
        register.flagged_at = now
        register.late = True
        register.save(update_fields=["flagged_at", "late"])
        audit_record(
            actor=None,
            action="register.flag_overdue",
            target=register,
            after={"due_date": register.due_date, "late": True},
        )
    if parent_id is None:
        return len(registers), 0
    names = ", ".join(f"{r.unit.code} {r.unit.name}" for r in registers)
    notified = notify(
        users=_region_managers(parent_id),
        title=ngettext(
            "%(n)d store has not submitted its %(month)s complaint register",
            "%(n)d stores have not submitted their %(month)s complaint registers",
            len(registers),
        )
        % {"n": len(registers), "month": _label(month)},
        body=_("Due %(day)s: %(stores)s")
        % {"day": registers[0].due_date.isoformat(), "stores": names},
        url=reverse("complaints:registers") + f"?month={_label(month)}",
    )
    return len(registers), notified


# --- Selectors ------------------------------------------------------------------------------


@dataclass
class RegisterRow:
    """One store's line on the month's overview; `register` is None until it is compiled."""

    unit: OrgUnit
    register: MonthlyRegister | None
    complaint_count: int
    due_date: dt.date

    @property
    def state(self) -> str:
        return self.register.state if self.register else ""

    @property
    def late(self) -> bool:
        return bool(self.register and self.register.late)

    @property
    def flagged(self) -> bool:
        return bool(self.register and self.register.flagged_at)


def register_list_for_user(user: AnyUser, month: dt.date) -> list[RegisterRow]:
    """One row per store the user sees complaints of (active, or with a register that month):
    the register if there is one, and the month's live complaint count while it is open.
    Three queries whatever the number of stores."""
    month = month_start(month)
    stores = list(
        unit_queryset_for_user(user, Cap.COMPLAINT_VIEW)
        .filter(kind=UnitKind.STORE)
        .filter(Q(is_active=True) | Q(registers__month=month))
        .distinct()
        .select_related("parent")
        .order_by("path")
    )
    registers = {
        r.unit_id: r
        for r in MonthlyRegister.objects.filter(month=month, unit__in=[s.pk for s in stores])
    }
    live = dict(
        _month_complaints(month)
        .filter(unit__in=[s.pk for s in stores])
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    due = due_date_for(month, services.rules().register_due_day)
    rows = []
    for store in stores:
        register = registers.get(store.pk)
        frozen = register is not None and register.state == State.SUBMITTED
        rows.append(
            RegisterRow(
                unit=store,
                register=register,
                complaint_count=register.complaint_count if frozen else live.get(store.pk, 0),
                due_date=register.due_date if register else due,
            )
        )
    return rows


def register_get_for_user(
    user: AnyUser, register_id: int, cap: str = Cap.COMPLAINT_VIEW
) -> MonthlyRegister:
    """The register, if the user sees complaints of its store (else NotFound, whatever the
    reason); PermissionDenied if he sees it but may not do `cap`."""
    register = (
        MonthlyRegister.objects.select_related("unit", "unit__parent", "submitted_by")
        .filter(pk=register_id)
        .first()
    )
    access = access_for(user)
    if register is None or not access.covers(Cap.COMPLAINT_VIEW, register.unit.path):
        raise NotFound(_("Register not found."))
    if cap != Cap.COMPLAINT_VIEW and not access.covers(cap, register.unit.path):
        raise PermissionDenied()
    return register


def register_store_for_user(user: AnyUser, unit_id: int) -> OrgUnit:
    """A store whose complaints the user sees (to open its register), else NotFound."""
    unit = (
        unit_queryset_for_user(user, Cap.COMPLAINT_VIEW)
        .filter(pk=unit_id, kind=UnitKind.STORE)
        .first()
    )
    if unit is None:
        raise NotFound(_("Store not found."))
    return unit


def register_complaints(user: AnyUser, register: MonthlyRegister) -> QuerySet[Complaint]:
    """The complaints of the register's store and month, in the order they were received."""
    start, end = month_bounds(register.month)
    return (
        selectors.complaint_queryset_for_user(user)
        .filter(unit=register.unit, received_at__gte=start, received_at__lt=end)
        .exclude(status__in=NOT_COUNTED)
        .select_related("unit", "responsible_unit", "staff", "category")
        .prefetch_related("follow_ups")
        .order_by("received_at", "pk")
    )


@dataclass
class RegisterLine:
    """One line of the register as the paper form has it."""

    complaint: Complaint
    contact: selectors.Contact
    opinion: str

    @property
    def received(self) -> dt.datetime:
        return self.complaint.received_at.astimezone(_zone())


def _opinion(complaint: Complaint) -> str:
    visits: list[FollowUp] = list(complaint.follow_ups.all())
    if not visits:
        return ""
    last = visits[-1]
    return (
        f"{last.get_satisfaction_display()}: {last.note}"
        if last.note
        else str(last.get_satisfaction_display())
    )


def register_lines(user: AnyUser, register: MonthlyRegister, *, reveal: bool) -> list[RegisterLine]:
    """The month's complaints with the customer masked, unless `reveal` and the user holds the
    personal-data right on the complaint (each such view is logged)."""
    lines = []
    for c in register_complaints(user, register):
        show = reveal and selectors.may_see_personal_data(user, c)
        lines.append(
            RegisterLine(c, selectors.complaint_contact(user, c, reveal=show), _opinion(c))
        )
    return lines


# --- Export ---------------------------------------------------------------------------------

EXPORT_COLUMNS: list[tuple[str, int]] = [
    ("序号 No.", 6),
    ("日期 Date", 12),
    ("时间 Time", 8),
    ("顾客姓名 Customer", 12),
    ("联系电话 Phone", 15),
    ("投诉内容 Complaint", 42),
    ("涉及员工 Staff", 14),
    ("投诉类别 Category", 14),
    ("处理结果/答复 Result / reply", 34),
    ("顾客意见 Customer opinion", 16),
    ("投诉编号 Tracking code", 15),
]
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


def register_workbook(register: MonthlyRegister, lines: list[RegisterLine]) -> bytes:
    """The register in the seed's form layout: the title, the store and month, one row per
    complaint, and the signature lines; for a month without complaints, the zero-complaint
    record 《门店优质服务月记录》."""
    wb = Workbook()
    ws = wb.active
    width = len(EXPORT_COLUMNS)
    last = get_column_letter(width)
    zero = not lines
    ws.title = (ZERO_TITLE if zero else REGISTER_TITLE)[:31]
    ws.append([ZERO_TITLE if zero else REGISTER_TITLE])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    unit = register.unit
    month = register.month
    ws.append(
        [
            f"门店 Store：{unit.name}（{unit.code}）    "
            f"月份 Month：{month.year}年{month.month}月 ({_label(month)})    "
            f"上交期限 Due：{register.due_date.isoformat()}"
        ]
    )
    ws.merge_cells(f"A2:{last}2")
    ws.append([])
    for idx, (_title, col_width) in enumerate(EXPORT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = col_width
    if zero:
        ws.append(["本月投诉 Complaints this month：0"])
        ws.append(["本月本店未接到顾客投诉。No customer complaint was registered this month."])
        ws.append([])
        ws.append(["优质服务事例 Examples of good service："])
        for _i in range(5):
            ws.append([])
            row = ws.max_row
            for col in range(1, width + 1):
                ws.cell(row=row, column=col).border = Border(bottom=THIN)
    else:
        ws.append([title for title, _w in EXPORT_COLUMNS])
        head = ws.max_row
        for cell in ws[head]:
            cell.font = Font(bold=True)
            cell.border = BOX
            cell.alignment = WRAP
        for n, line in enumerate(lines, start=1):
            c = line.complaint
            ws.append(
                [
                    n,
                    line.received.date(),
                    line.received.strftime("%H:%M"),
                    line.contact.name,
                    line.contact.phone,
                    c.description,
                    f"{c.staff.name} ({c.staff.employee_no})" if c.staff else "",
                    c.category.label if c.category else "",
                    c.reply,
                    line.opinion,
                    c.ref,
                ]
            )
            for cell in ws[ws.max_row]:
                cell.border = BOX
                cell.alignment = WRAP
            ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd"
    ws.append([])
    if register.state == State.SUBMITTED and register.submitted_at is not None:
        ws.append(
            [
                "上交时间 Submitted："
                + register.submitted_at.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")
                + ("（逾期 late）" if register.late else "")
            ]
        )
    ws.append(
        [
            "店长 Store manager：______________",
            "",
            "",
            "",
            "",
            "登记人 Registered by：______________",
        ]
    )
    ws.append(["日期 Date：______________"])
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_export(user: AnyUser, register: MonthlyRegister) -> bytes:
    """The register as an .xlsx for the user: contact details in full where he holds the
    personal-data right (each logged, as on the page), masked elsewhere."""
    return register_workbook(register, register_lines(user, register, reveal=True))
