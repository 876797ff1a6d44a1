"""Excel import of units and staff. The whole file is checked first; if any row is wrong, every
problem is reported with its sheet, row number and field, and nothing is imported. A valid file
is imported in one transaction through the same services the pages use."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sqms.common.errors import DomainError
from sqms.org import services
from sqms.org.models import OrgUnit, Position, Staff, UnitKind, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

UNIT_COLUMNS = {
    "code": ["code", "编码", "单位编码"],
    "name": ["name", "名称", "单位名称"],
    "kind": ["kind", "类型", "单位类型"],
    "parent_code": ["parent_code", "上级编码", "上级单位编码"],
}
STAFF_COLUMNS = {
    "employee_no": ["employee_no", "工号", "员工编号"],
    "name": ["name", "姓名"],
    "unit_code": ["unit_code", "单位编码", "所属单位编码"],
    "position": ["position", "岗位"],
    "start_date": ["start_date", "入职日期"],
    "phone": ["phone", "电话", "手机"],
    "email": ["email", "邮箱", "电子邮件"],
}
REQUIRED = {
    "units": ["code", "name", "kind", "parent_code"],
    "staff": ["employee_no", "name", "unit_code", "position", "start_date"],
}
SHEET_NAMES = {"units": ["units", "单位"], "staff": ["staff", "员工", "人员"]}
KIND_NAMES = {
    **{k.value: k.value for k in UnitKind},
    **{
        "公司": "company",
        "区域": "region",
        "门店": "store",
        "部门": "department",
        "后台部门": "back_office",
        "职能部门": "back_office",
        "班组": "team",
    },
}


@dataclass
class RowError:
    sheet: str
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    units: int = 0
    staff: int = 0
    imported: bool = False

    def add(self, sheet: str, row: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(sheet, row, field_name, message))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _find_sheet(wb: Any, kind: str) -> Any:
    for ws in wb.worksheets:
        if ws.title.strip().lower() in SHEET_NAMES[kind]:
            return ws
    return None


def _header_map(
    ws: Any, columns: dict[str, list[str]], kind: str, report: ImportReport
) -> dict[str, int] | None:
    header = [
        (_text(c).lower()) for c in next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    ]
    found: dict[str, int] = {}
    for key, names in columns.items():
        for idx, title in enumerate(header):
            if title in names:
                found[key] = idx
                break
    missing = [k for k in REQUIRED[kind] if k not in found]
    if missing:
        report.add(
            ws.title,
            1,
            ", ".join(missing),
            _("Missing column(s): %(cols)s. Download the template for the expected headers.")
            % {"cols": ", ".join(f"{m} / {columns[m][1]}" for m in missing)},
        )
        return None
    return found


def _rows(ws: Any, cols: dict[str, int]) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if row is None or all(v is None or _text(v) == "" for v in row):
            continue
        out.append((number, {k: (row[i] if i < len(row) else None) for k, i in cols.items()}))
    return out


def import_org_workbook(*, actor: User | None, file: IO[bytes], dry_run: bool) -> ImportReport:
    """Check, and unless `dry_run` or any error, import the units and staff of an Excel file."""
    report = ImportReport()
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        report.add("-", 0, "file", _("This is not a readable .xlsx file (%(err)s).") % {"err": exc})
        return report
    unit_ws, staff_ws = _find_sheet(wb, "units"), _find_sheet(wb, "staff")
    if unit_ws is None and staff_ws is None:
        report.add(
            "-",
            0,
            "sheet",
            _("The workbook has neither a 'units' (单位) nor a 'staff' (员工) sheet."),
        )
        return report
    access = access_for(actor) if actor is not None else None

    def allowed(cap: str, unit_path: str) -> bool:
        return access is None or access.covers(cap, unit_path)

    unit_rows: list[tuple[int, dict[str, Any]]] = []
    if unit_ws is not None and (cols := _header_map(unit_ws, UNIT_COLUMNS, "units", report)):
        unit_rows = _rows(unit_ws, cols)
    staff_rows: list[tuple[int, dict[str, Any]]] = []
    if staff_ws is not None and (cols := _header_map(staff_ws, STAFF_COLUMNS, "staff", report)):
        staff_rows = _rows(staff_ws, cols)
    if report.errors:
        return report

    # Units: codes unique in the file and new to the database; parents exist (in the database or
    # earlier or later in the file) and the actor may manage them.
    existing_units = {
        u.code: u
        for u in OrgUnit.objects.filter(
            code__in=[_text(r["code"]) for _n, r in unit_rows]
            + [_text(r["parent_code"]) for _n, r in unit_rows]
            + [_text(r["unit_code"]) for _n, r in staff_rows]
        )
    }
    sheet = unit_ws.title if unit_ws is not None else "units"
    planned_units: dict[str, dict[str, Any]] = {}
    for number, row in unit_rows:
        code, name = _text(row["code"]), _text(row["name"])
        kind = KIND_NAMES.get(_text(row["kind"]).lower()) or KIND_NAMES.get(_text(row["kind"]))
        parent_code = _text(row["parent_code"])
        try:
            services.validate_unit_code(code)
        except DomainError as exc:
            report.add(sheet, number, "code", exc.message)
        if code in planned_units:
            report.add(
                sheet, number, "code", _("Code %(c)s appears twice in the file.") % {"c": code}
            )
        elif code in existing_units:
            report.add(
                sheet, number, "code", _("A unit with code %(c)s already exists.") % {"c": code}
            )
        if not name:
            report.add(sheet, number, "name", _("Enter a name."))
        if kind is None:
            report.add(
                sheet,
                number,
                "kind",
                _("Unknown unit kind %(k)r; use one of %(ks)s.")
                % {"k": _text(row["kind"]), "ks": ", ".join(UnitKind.values)},
            )
        if not parent_code:
            report.add(sheet, number, "parent_code", _("Give the parent unit's code."))
        planned_units[code] = {"row": number, "name": name, "kind": kind, "parent": parent_code}
    for plan in planned_units.values():
        parent = plan["parent"]
        if not parent or parent in planned_units:
            continue
        if parent not in existing_units or not allowed(Cap.ORG_VIEW, existing_units[parent].path):
            # Out of scope reads as unknown: the import must not reveal which codes exist.
            report.add(
                sheet, plan["row"], "parent_code", _("Unknown parent unit %(c)s.") % {"c": parent}
            )
        elif not allowed(Cap.ORG_MANAGE, existing_units[parent].path):
            report.add(
                sheet,
                plan["row"],
                "parent_code",
                _("You may not add units under %(c)s.") % {"c": parent},
            )
        elif not existing_units[parent].is_active:
            report.add(
                sheet, plan["row"], "parent_code", _("Unit %(c)s is deactivated.") % {"c": parent}
            )
    order = _unit_order(planned_units, report, sheet)

    # Staff.
    sheet = staff_ws.title if staff_ws is not None else "staff"
    positions: dict[str, Position] = {}
    for p in Position.objects.all():
        positions[p.code.lower()] = p
        positions[p.name_zh] = p
        positions[p.name_en.lower()] = p
    numbers_in_file: dict[str, int] = {}
    taken = set(
        Staff.objects.filter(
            employee_no__in=[_text(r["employee_no"]) for _n, r in staff_rows]
        ).values_list("employee_no", flat=True)
    )
    planned_staff = []
    for number, row in staff_rows:
        emp_no, name, unit_code = (
            _text(row["employee_no"]),
            _text(row["name"]),
            _text(row["unit_code"]),
        )
        if not services.CODE_RE.match(emp_no):
            report.add(
                sheet, number, "employee_no", _("An employee number is 1–40 letters or digits.")
            )
        elif emp_no in numbers_in_file:
            report.add(
                sheet,
                number,
                "employee_no",
                _("Employee number %(no)s also appears in row %(row)d.")
                % {"no": emp_no, "row": numbers_in_file[emp_no]},
            )
        elif emp_no in taken:
            report.add(
                sheet,
                number,
                "employee_no",
                _("Employee number %(no)s is already taken.") % {"no": emp_no},
            )
        numbers_in_file.setdefault(emp_no, number)
        if not name:
            report.add(sheet, number, "name", _("Enter a name."))
        position = positions.get(_text(row["position"]).lower()) or positions.get(
            _text(row["position"])
        )
        if position is None:
            report.add(
                sheet,
                number,
                "position",
                _("Unknown position %(p)r.") % {"p": _text(row["position"])},
            )
        visible = unit_code in existing_units and allowed(
            Cap.ORG_VIEW, existing_units[unit_code].path
        )
        if visible:
            if not allowed(Cap.STAFF_MANAGE, existing_units[unit_code].path):
                report.add(
                    sheet,
                    number,
                    "unit_code",
                    _("You may not add staff to %(c)s.") % {"c": unit_code},
                )
            elif not existing_units[unit_code].is_active:
                report.add(
                    sheet, number, "unit_code", _("Unit %(c)s is deactivated.") % {"c": unit_code}
                )
        elif unit_code not in planned_units or unit_code in existing_units:
            report.add(sheet, number, "unit_code", _("Unknown unit code %(c)r.") % {"c": unit_code})
        try:
            start = _date(row["start_date"])
        except ValueError:
            start = None
            report.add(
                sheet,
                number,
                "start_date",
                _("%(v)r is not a date; write it as 2024-03-01.") % {"v": _text(row["start_date"])},
            )
        phone = _text(row.get("phone"))
        if phone and not services.PHONE_RE.match(phone):
            report.add(
                sheet,
                number,
                "phone",
                _("A phone number may contain only digits, spaces, '-' and '+'."),
            )
        email = _text(row.get("email"))
        if email:
            from django.core.exceptions import ValidationError
            from django.core.validators import validate_email

            try:
                validate_email(email)
            except ValidationError:
                report.add(sheet, number, "email", _("Enter a valid e-mail address."))
        planned_staff.append(
            {
                "employee_no": emp_no,
                "name": name,
                "unit_code": unit_code,
                "position": position,
                "start_date": start,
                "phone": phone,
                "email": email,
            }
        )

    report.units = len(planned_units)
    report.staff = len(planned_staff)
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            created: dict[str, OrgUnit] = dict(existing_units)
            for code in order:
                plan = planned_units[code]
                created[code] = services.unit_create(
                    actor=actor,
                    code=code,
                    name=plan["name"],
                    kind=plan["kind"],
                    parent=created[plan["parent"]],
                )
            for s in planned_staff:
                services.staff_create(
                    actor=actor,
                    employee_no=s["employee_no"],
                    name=s["name"],
                    unit=created[s["unit_code"]],
                    position=s["position"],
                    start_date=s["start_date"],
                    phone=s["phone"],
                    email=s["email"],
                )
    except DomainError as exc:  # e.g. a concurrent import took a code meanwhile
        report.add("-", 0, ",".join(str(e.loc[-1]) for e in exc.errors) or "-", exc.message)
        return report
    report.imported = True
    return report


def _unit_order(planned: dict[str, dict[str, Any]], report: ImportReport, sheet: str) -> list[str]:
    """Parents before children; a cycle inside the file is reported."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(code: str, trail: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            report.add(
                sheet,
                planned[code]["row"],
                "parent_code",
                _("Units %(cycle)s form a cycle of parent units.")
                % {"cycle": " → ".join([*trail, code])},
            )
            return
        state[code] = 1
        parent = planned[code]["parent"]
        if parent in planned:
            visit(parent, [*trail, code])
        state[code] = 2
        order.append(code)

    for code in planned:
        visit(code, [])
    return order


def org_template() -> bytes:
    """An .xlsx with the two sheets, their headers and one example row each."""
    wb = Workbook()
    ws = wb.active
    ws.title = "units"
    ws.append(["code", "name", "kind", "parent_code"])
    ws.append(["S013", "滨江店", "store", "R01"])
    ws2 = wb.create_sheet("staff")
    ws2.append(["employee_no", "name", "unit_code", "position", "start_date", "phone", "email"])
    ws2.append(["E90001", "王小明", "S013", "cashier", "2025-03-01", "13800001234", ""])
    for sheet in (ws, ws2):
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 16
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
