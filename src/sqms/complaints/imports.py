"""Excel import of the stores' paper complaint registers (seed 000): the service-desk register
《顾客投诉意见登记表》 (channel desk) and the head-office hotline log 《顾客电话投诉记录表》
(channel hotline). The layout is recognised from the header row (Chinese, English or both).

All or nothing: the whole file is checked first, and every problem is reported with its row
number and column; a file with any problem imports nothing. A valid file is imported in one
transaction through `services.complaint_create` (and `services.complaint_reply` for rows whose
reply column is filled), so the clocks, timeline, audit entries and scope checks are exactly those
of a complaint registered on the page."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from sqms.common import clock
from sqms.common.errors import DomainError, FieldError
from sqms.complaints import services
from sqms.complaints.models import Category, Channel, Complaint, ContactPreference
from sqms.org.imports import _date, _text  # generic cell readers, shared with the org import
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

# A row whose No. cell holds one of these is the template's example and is skipped.
EXAMPLE_MARKS = {"例", "示例", "e.g.", "eg", "example"}
HEADER_SEARCH_ROWS = 5  # the header may sit below a title row or two


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    note: Promise
    required: bool = False
    width: int = 14
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """The bilingual header the templates carry, e.g. "投诉日期 Date received"."""
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class Layout:
    code: str
    channel: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return f"《{self.title_zh}》 {self.title_en}"

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def _no() -> Column:
    return Column(
        "no",
        "序号",
        "No.",
        gettext_lazy("Optional running number. Rows marked 例 (example) are skipped."),
        width=7,
        aliases=("no", "#", "编号"),
    )


def _common(date: Column, time: Column, name: Column) -> tuple[Column, ...]:
    return (
        _no(),
        date,
        time,
        Column(
            "store",
            "门店编码",
            "Store code",
            gettext_lazy("The code of the store the complaint is about, e.g. S001."),
            required=True,
            width=12,
            aliases=("门店代码", "store"),
        ),
        name,
        Column(
            "phone",
            "联系电话",
            "Phone",
            gettext_lazy(
                "Digits, spaces, '-' and '+' only. Leave empty if the customer gave none."
            ),
            width=16,
            aliases=("电话", "手机", "phone number"),
        ),
        Column(
            "content",
            "投诉内容",
            "Complaint",
            gettext_lazy("What the customer complained about. Required."),
            required=True,
            width=44,
            aliases=("内容", "description", "complaint content"),
        ),
        Column(
            "staff",
            "涉及员工工号",
            "Staff number",
            gettext_lazy("Employee number of the staff member concerned, if any."),
            width=14,
            aliases=("员工工号", "工号", "employee number", "employee no"),
        ),
        Column(
            "category",
            "投诉类别编码",
            "Category code",
            gettext_lazy("A category code from the sheet 类别 Categories (or its name)."),
            width=16,
            aliases=("投诉类别", "类别", "category"),
        ),
    )


DESK = Layout(
    code="desk",
    channel=Channel.DESK,
    title_zh="顾客投诉意见登记表",
    title_en="Customer complaint register (service desk)",
    columns=(
        *_common(
            Column(
                "date",
                "投诉日期",
                "Date received",
                gettext_lazy("The day the complaint was received, e.g. 2026-03-08."),
                required=True,
                width=13,
                aliases=("日期", "date"),
            ),
            Column(
                "time",
                "时间",
                "Time",
                gettext_lazy("The time it was received, e.g. 14:30."),
                required=True,
                width=8,
                aliases=("投诉时间", "time received"),
            ),
            Column(
                "name",
                "顾客姓名",
                "Customer name",
                gettext_lazy("The customer's name; may be left empty."),
                width=12,
                aliases=("姓名", "customer", "name"),
            ),
        ),
        Column(
            "reply",
            "处理结果/答复",
            "Result / reply",
            gettext_lazy(
                "How it was handled and what the customer was told. When filled, the complaint "
                "is imported as replied."
            ),
            width=36,
            aliases=("处理结果", "答复", "result", "reply"),
        ),
        Column(
            "opinion",
            "顾客意见",
            "Customer opinion",
            gettext_lazy("What the customer said about the result; kept with the complaint."),
            width=16,
            aliases=("opinion",),
        ),
    ),
)

HOTLINE = Layout(
    code="hotline",
    channel=Channel.HOTLINE,
    title_zh="顾客电话投诉记录表",
    title_en="Hotline complaint log",
    columns=(
        *_common(
            Column(
                "date",
                "来电日期",
                "Date of call",
                gettext_lazy("The day of the call, e.g. 2026-03-08."),
                required=True,
                width=13,
                aliases=("call date",),
            ),
            Column(
                "time",
                "来电时间",
                "Time of call",
                gettext_lazy("The time of the call, e.g. 09:15."),
                required=True,
                width=10,
                aliases=("call time",),
            ),
            Column(
                "name",
                "来电人",
                "Caller",
                gettext_lazy("The caller's name; may be left empty."),
                width=12,
                aliases=("来电人姓名", "caller name"),
            ),
        ),
        Column(
            "operator",
            "接听人",
            "Taken by",
            gettext_lazy("Who took the call; kept with the complaint."),
            width=10,
            aliases=("接线员", "operator"),
        ),
        Column(
            "remark",
            "备注",
            "Remarks",
            gettext_lazy("Anything else; kept with the complaint."),
            width=24,
            aliases=("remark", "note", "notes"),
        ),
    ),
)

LAYOUTS = {DESK.code: DESK, HOTLINE.code: HOTLINE}

# Field names of `services.validate_intake` → the column that holds the value.
INTAKE_FIELDS = {
    "unit": "store",
    "description": "content",
    "title": "content",
    "complainant_name": "name",
    "complainant_phone": "phone",
    "complainant_email": "phone",
    "contact_preference": "phone",
    "received_at": "date",
    "staff": "staff",
    "category": "category",
}


@dataclass
class RowError:
    """One problem: `row` is the spreadsheet row (0: the file itself), `field` the column key."""

    row: int
    field: str
    message: str
    column: str = ""


@dataclass
class ImportReport:
    layout: Layout | None = None
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    replied: int = 0
    imported: bool = False
    dry_run: bool = False
    refs: list[str] = field(default_factory=list)

    def add(self, row: int, field_name: str, message: str) -> None:
        column = self.layout.column(field_name) if self.layout else None
        self.errors.append(RowError(row, field_name, message, column.header if column else ""))


Progress = Callable[[str, int, int], None]


# --- Reading cells --------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = text.replace("（", "(").replace("）", ")").replace("／", "/").replace("*", "")
    text = " ".join(text.lower().replace("\n", " ").split())
    return re.sub(r"\s*/\s*", "/", text)


def _names(col: Column) -> set[str]:
    names = {col.zh, col.en, f"{col.zh} {col.en}", f"{col.zh}({col.en})", *col.aliases}
    return {_norm(n) for n in names}


def _match(header: list[str], layout: Layout) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Which column holds which key, and the header cells that name no column of the layout."""
    found: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    lookup = {n: col.key for col in layout.columns for n in _names(col)}
    for idx, cell in enumerate(header):
        if not cell:
            continue
        key = lookup.get(_norm(cell))
        if key is None or key in found:
            unknown.append((idx, cell))
        else:
            found[key] = idx
    return found, unknown


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = round(value * 24 * 60)  # Excel keeps a time as a fraction of a day
        return dt.time(minutes // 60 % 24, minutes % 60)
    text = _text(value).replace("：", ":")
    m = re.fullmatch(r"(\d{1,2})\s*(?:[:.点时]\s*(\d{1,2})?\s*分?(?:\s*:\s*(\d{1,2}))?)?", text)
    if m is None or not text:
        raise ValueError(text)
    return dt.time(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))


def _cell_date(value: Any) -> tuple[dt.date, dt.time | None]:
    """The day of a date cell, and its time of day when the cell carried one."""
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        return value.date(), value.time().replace(microsecond=0)
    return _date(value), None


def _is_blank(row: Iterable[Any]) -> bool:
    return all(v is None or _text(v) == "" for v in row)


# --- The import -----------------------------------------------------------------------------


@dataclass
class _Planned:
    row: int
    intake: services.Intake
    reply: str


def _find_header(ws: Any) -> tuple[int, list[str]] | None:
    """The first of the top rows that names at least three columns of a layout."""
    for number, row in enumerate(
        ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        header = [_text(v) for v in row]
        if any(len(_match(header, layout)[0]) >= 3 for layout in LAYOUTS.values()):
            return number, header
    return None


def _choose_layout(
    header: list[str], wanted: str
) -> tuple[Layout, dict[str, int], list[tuple[int, str]]]:
    if wanted in LAYOUTS:
        layout = LAYOUTS[wanted]
        return (layout, *_match(header, layout))
    scored = []
    for layout in LAYOUTS.values():
        found, unknown = _match(header, layout)
        missing = [c for c in layout.columns if c.required and c.key not in found]
        scored.append((bool(missing) or bool(unknown), -len(found), len(unknown), layout))
    scored.sort(key=lambda s: s[:3])
    layout = scored[0][3]
    return (layout, *_match(header, layout))


def import_complaint_workbook(
    *,
    actor: User | None,
    file: IO[bytes],
    dry_run: bool,
    layout: str = "auto",
    progress: Progress | None = None,
) -> ImportReport:
    """Check, and unless `dry_run` or any error, import one register. `layout` is "desk",
    "hotline" or "auto" (from the headers). `actor` None is the system (command line without
    a user): every store is in scope."""
    report = ImportReport(dry_run=dry_run)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        report.add(0, "file", _("This is not a readable .xlsx file (%(err)s).") % {"err": exc})
        return report
    try:
        rows = _read(wb, layout, report)
    finally:
        wb.close()
    if report.errors:
        return report
    if not rows:
        report.add(0, "file", _("The file has no complaint rows below the header."))
        return report
    plans = _check(actor, rows, report, progress)
    report.rows = len(plans)
    report.replied = sum(1 for p in plans if p.reply)
    if report.errors or dry_run:
        return report
    if progress is not None:
        progress("import", 0, len(plans))  # before the transaction opens
    _write(actor, plans, report, progress)
    return report


def _read(wb: Any, wanted: str, report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    """The rows of the first sheet with a register header, as {column key: cell value}."""
    for ws in wb.worksheets:
        located = _find_header(ws)
        if located is not None:
            break
    else:
        report.add(
            1,
            "header",
            _(
                "No header row found. The first row must carry the column headers of %(a)s or "
                "%(b)s, in Chinese or English; download a template."
            )
            % {"a": DESK.title, "b": HOTLINE.title},
        )
        return []
    header_row, header = located
    layout, found, unknown = _choose_layout(header, wanted)
    report.layout = layout
    missing = [c for c in layout.columns if c.required and c.key not in found]
    if missing:
        report.add(
            header_row,
            "header",
            _("Missing column(s) for %(layout)s: %(cols)s. Download the template for the headers.")
            % {"layout": layout.title, "cols": ", ".join(c.header for c in missing)},
        )
    for idx, text in unknown:
        report.add(
            header_row,
            "header",
            _("Column %(letter)s: %(text)r is not a column of %(layout)s.")
            % {"letter": get_column_letter(idx + 1), "text": text, "layout": layout.title},
        )
    if report.errors:
        return []
    out = []
    for number, values in enumerate(
        ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        if values is None or _is_blank(values):
            continue
        row = {k: (values[i] if i < len(values) else None) for k, i in found.items()}
        if _text(row.get("no")).lower() in EXAMPLE_MARKS:
            continue
        out.append((number, row))
    return out


def _check(
    actor: User | None,
    rows: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    progress: Progress | None,
) -> list[_Planned]:
    checker = _Checker(actor, report, rows)
    now = clock.now()
    plans: list[_Planned] = []
    for done, (number, row) in enumerate(rows, start=1):
        if progress is not None:
            progress("check", done, len(rows))
        plan = checker.row(number, row)
        for err in services.validate_intake(plan.intake, now=now, row=number):
            name = str(err.loc[-1])
            report.add(number, INTAKE_FIELDS.get(name, name), err.msg)
        plans.append(plan)
    _check_duplicates(plans, report)
    # Row by row, each row's problems in the order of its columns.
    order = {c.key: i for i, c in enumerate(checker.layout.columns)}
    report.errors.sort(key=lambda e: (e.row, order.get(e.field, len(order))))
    return plans


class _Checker:
    """Turns one row into an intake, reporting what the services cannot check: codes, numbers,
    dates and times as written on paper, and the importer's scope. The stores, staff and
    categories the file names are read once, up front."""

    def __init__(
        self, actor: User | None, report: ImportReport, rows: list[tuple[int, dict[str, Any]]]
    ) -> None:
        assert report.layout is not None
        self.layout = report.layout
        self.report = report
        self.access = access_for(actor) if actor is not None else None
        self.zone = timezone.get_default_timezone()
        codes = {_text(r.get("store")) for _n, r in rows}
        self.units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
        numbers = {_text(r.get("staff")) for _n, r in rows} - {""}
        self.staff = {
            s.employee_no: s
            for s in Staff.objects.filter(employee_no__in=numbers).select_related("unit")
        }
        self.categories: dict[str, Category] = {}
        for c in Category.objects.all():
            self.categories[c.code.lower()] = c
            self.categories.setdefault(c.name_zh, c)
            self.categories.setdefault(c.name_en.lower(), c)

    def covers(self, cap: str, unit: OrgUnit) -> bool:
        return self.access is None or self.access.covers(cap, unit.path)

    def row(self, number: int, row: dict[str, Any]) -> _Planned:
        add = self.report.add
        day, at = self._when(number, row)
        unit = self._store(number, _text(row.get("store")))
        staff = self._staff(number, _text(row.get("staff")), unit, day)

        category = None
        code = _text(row.get("category"))
        if code:
            category = self.categories.get(code.lower()) or self.categories.get(code)
            if category is None:
                add(number, "category", _("Unknown category code %(c)r.") % {"c": code})

        content = _text(row.get("content"))
        description = content
        extras = [
            (_("Customer opinion"), _text(row.get("opinion"))),
            (_("Taken by"), _text(row.get("operator"))),
            (_("Remarks"), _text(row.get("remark"))),
        ]
        lines = [f"{label}: {value}" for label, value in extras if value]
        if content and lines:  # an empty complaint stays empty, so that it is reported
            description = content + "\n\n" + "\n".join(lines)

        reply = _text(row.get("reply"))
        if reply and unit is not None and not self.covers(Cap.COMPLAINT_HANDLE, unit):
            add(
                number,
                "reply",
                _("You may not record replies at %(c)s; leave the column empty.")
                % {"c": unit.code},
            )
        elif len(reply) > services.MAX_TEXT:
            add(number, "reply", _("At most %(n)d characters.") % {"n": services.MAX_TEXT})

        name, phone = _text(row.get("name")), _text(row.get("phone"))
        received_at = None
        if day is not None and at is not None:
            received_at = timezone.make_aware(dt.datetime.combine(day, at), self.zone)
        intake = services.Intake(
            channel=self.layout.channel,
            # An unknown store is already reported; a stand-in lets the other fields be checked.
            unit=unit or OrgUnit(code="", name="", path="", is_active=True),
            description=description,
            received_at=received_at,
            complainant_name=name,
            complainant_phone=phone,
            contact_preference=ContactPreference.PHONE if phone else ContactPreference.NONE,
            anonymous=not name and not phone,
            staff=staff,
            category=category,
        )
        return _Planned(number, intake, reply)

    def _when(self, number: int, row: dict[str, Any]) -> tuple[dt.date | None, dt.time | None]:
        day: dt.date | None = None
        at: dt.time | None = None
        raw_date, raw_time = _text(row.get("date")), _text(row.get("time"))
        try:
            day, at = _cell_date(row.get("date"))
        except ValueError:
            self.report.add(
                number,
                "date",
                _("%(v)r is not a date; write it as 2026-03-08.") % {"v": raw_date}
                if raw_date
                else _("Enter the date, e.g. 2026-03-08."),
            )
        if raw_time or at is None:
            try:
                at = _time(row.get("time"))
            except ValueError:
                at = None
                self.report.add(
                    number,
                    "time",
                    _("%(v)r is not a time of day; write it as 14:30.") % {"v": raw_time}
                    if raw_time
                    else _("Enter the time, e.g. 14:30."),
                )
        return day, at

    def _store(self, number: int, code: str) -> OrgUnit | None:
        unit = self.units.get(code)
        if not code:
            self.report.add(number, "store", _("Enter the store code."))
            return None
        # Out of scope reads as unknown: the import must not reveal which codes exist.
        if unit is None or not (
            self.covers(Cap.COMPLAINT_VIEW, unit) or self.covers(Cap.COMPLAINT_INTAKE, unit)
        ):
            self.report.add(number, "store", _("Unknown store code %(c)r.") % {"c": code})
            return None
        if not self.covers(Cap.COMPLAINT_INTAKE, unit):
            self.report.add(
                number, "store", _("You may not register complaints at %(c)s.") % {"c": code}
            )
            return None
        return unit

    def _staff(
        self, number: int, staff_no: str, unit: OrgUnit | None, day: dt.date | None
    ) -> Staff | None:
        if not staff_no:
            return None
        staff = self.staff.get(staff_no)
        if staff is None or not self.covers(Cap.COMPLAINT_VIEW, staff.unit):
            self.report.add(number, "staff", _("Unknown staff number %(no)r.") % {"no": staff_no})
            return None
        if unit is not None and not staff.unit.path.startswith(unit.path):
            self.report.add(
                number,
                "staff",
                _("Staff member %(no)s does not work at %(store)s.")
                % {"no": staff_no, "store": unit.code},
            )
            return None
        if staff.end_date is not None and day is not None and staff.end_date < day:
            self.report.add(
                number,
                "staff",
                _("Staff member %(no)s had left by %(day)s.")
                % {"no": staff_no, "day": day.isoformat()},
            )
            return None
        return staff


def _check_duplicates(plans: list[_Planned], report: ImportReport) -> None:
    """A register imported twice would double every complaint: a row that matches a complaint
    already registered (same store, time received and text) is refused."""
    keyed = [p for p in plans if p.intake.unit.pk is not None and p.intake.received_at is not None]
    if not keyed:
        return
    existing = {
        (unit_id, at, text.strip()): ref
        for unit_id, at, text, ref in Complaint.objects.filter(
            unit__in={p.intake.unit.pk for p in keyed},
            received_at__in={p.intake.received_at for p in keyed},
        ).values_list("unit_id", "received_at", "description", "ref")
    }
    for p in keyed:
        ref = existing.get((p.intake.unit.pk, p.intake.received_at, p.intake.description.strip()))
        if ref is not None:
            report.add(
                p.row,
                "content",
                _("Already registered as %(ref)s (same store, time and text).") % {"ref": ref},
            )


def _write(
    actor: User | None, plans: list[_Planned], report: ImportReport, progress: Progress | None
) -> None:
    current = 0
    refs: list[str] = []
    try:
        with transaction.atomic():
            for done, plan in enumerate(plans, start=1):
                current = plan.row
                assert plan.intake.received_at is not None
                # Replayed as of the time received (the audit log keeps the real time). A paper
                # register does not say when the customer was answered: the reply is recorded at
                # that time too, so that years-old replies do not read as time limits missed.
                with clock.as_of(plan.intake.received_at):
                    complaint = services.complaint_create(actor=actor, data=plan.intake)
                    if plan.reply:
                        services.complaint_reply(complaint=complaint, actor=actor, reply=plan.reply)
                refs.append(complaint.ref)
                if progress is not None:
                    progress("import", done, len(plans))
    except DomainError as exc:  # e.g. a store deactivated or a grant revoked meanwhile
        errors: list[FieldError] = exc.errors or [FieldError(loc=["file"], msg=exc.message)]
        for err in errors:
            name = str(err.loc[-1])
            report.add(current, INTAKE_FIELDS.get(name, name), err.msg)
        return
    report.refs = refs
    report.imported = True


# --- Templates ------------------------------------------------------------------------------

HEAD_FILL = PatternFill("solid", fgColor="DCE8F5")
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")


def _example(layout: Layout) -> list[Any]:
    values: dict[str, Any] = {
        "no": "例",
        "date": dt.date(2026, 3, 8),
        "time": dt.time(14, 30) if layout is DESK else dt.time(9, 15),
        "store": "S001",
        "name": "王先生",
        "phone": "13912345678",
        "content": "收银员结账时态度生硬，不理睬顾客的询问。",
        "staff": "E10001",
        "category": "attitude-rude",
        "reply": "店长当面致歉，已对该收银员进行服务规范培训。",
        "opinion": "满意",
        "operator": "李明",
        "remark": "已告知顾客3日内答复",
    }
    return [values[c.key] for c in layout.columns]


def complaint_template(layout_code: str) -> bytes:
    """An .xlsx for one register layout: the header row, one example row (skipped on import),
    column widths, a notes sheet explaining each column, and the category codes."""
    layout = LAYOUTS[layout_code]
    wb = Workbook()
    ws = wb.active
    ws.title = layout.title_zh
    ws.append([c.header for c in layout.columns])
    ws.append(_example(layout))
    for idx, col in enumerate(layout.columns, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(col.width, len(col.header) + 2)
        head = ws.cell(row=1, column=idx)
        head.font = Font(bold=True)
        head.fill = HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        example = ws.cell(row=2, column=idx)
        example.font = EXAMPLE_FONT
        if col.key == "date":
            example.number_format = "yyyy-mm-dd"
        elif col.key == "time":
            example.number_format = "hh:mm"
        elif col.key in ("phone", "staff", "store"):
            # Text, so that Excel keeps leading zeros and does not turn phone numbers into 1.39E10.
            for cell in ws[letter][1:200]:
                cell.number_format = "@"
    ws.freeze_panes = "A2"

    notes = wb.create_sheet("说明 Notes")
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for col in layout.columns:
        notes.append([col.header, _("yes") if col.required else "", str(col.note)])
    notes.append([])
    for line in (
        _("One row per complaint, as on the paper register %(title)s.") % {"title": layout.title},
        _("The row whose No. is 例 is an example and is skipped; you may delete it."),
        _(
            "The whole file is checked first: if any row is wrong, every problem is listed with "
            "its row and column, and nothing is imported."
        ),
        _("Dates as 2026-03-08 (or Excel dates), times as 14:30 (China time)."),
    ):
        notes.append([line])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 80

    cats = wb.create_sheet("类别 Categories")
    cats.append(["投诉类别编码 Category code", "名称", "Name"])
    for c in Category.objects.filter(is_active=True).order_by("order", "code"):
        cats.append([c.code, c.name_zh, c.name_en])
    for cell in cats[1]:
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
    cats.column_dimensions["A"].width = 28
    cats.column_dimensions["B"].width = 16
    cats.column_dimensions["C"].width = 28

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
