"""Excel import of KPI measurements: one row per KPI, subject and period (a call centre's
monthly answered and requested calls, a district's checked and violating shops).

All or nothing: the whole file is checked first and every problem is reported with its row and
column; a file with any problem imports nothing. A valid file is written in one transaction
through `services.measurement_record`, so scope checks and audit entries are those of the page."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from sqms.common.errors import DomainError
from sqms.metrics import services
from sqms.metrics.models import Kpi, Measurement, SubjectKind
from sqms.org.imports import _date, _text
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

# (key, header in the template, accepted header spellings)
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("kpi", "指标编码 KPI code", ("指标编码", "kpi code", "kpi", "指标")),
    (
        "subject",
        "对象编码 Unit code or employee no.",
        ("对象编码", "unit code or employee no.", "subject", "对象"),
    ),
    ("start", "开始日期 From", ("开始日期", "from", "start")),
    ("end", "结束日期 To", ("结束日期", "to", "end")),
    ("numerator", "分子 Numerator", ("分子", "numerator", "数值", "value")),
    ("denominator", "分母 Denominator", ("分母", "denominator")),
    ("note", "备注 Note", ("备注", "note")),
]
REQUIRED = ("kpi", "subject", "start", "end", "numerator")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    imported: bool = False
    dry_run: bool = False

    def add(self, row: int, key: str, message: str) -> None:
        header = next((h for k, h, _a in COLUMNS if k == key), key)
        self.errors.append(RowError(row, header, message))


@dataclass
class _Row:
    kpi: Kpi
    unit: OrgUnit | None
    staff: Staff | None
    start: dt.date
    end: dt.date
    numerator: Decimal
    denominator: Decimal | None
    note: str


def _norm(text: str) -> str:
    return " ".join(_text(text).lower().replace("*", "").split())


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    d = Decimal(_text(value).replace(",", ""))
    if not d.is_finite():
        raise InvalidOperation
    return d


def measurement_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "measurements"
    ws.append([h for _k, h, _a in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["cc-answer-rate", "CC", "2026-11-01", "2026-11-30", 9512, 10000, "例"])
    for col, width in zip("ABCDEFG", (20, 28, 14, 14, 12, 12, 20), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_measurements(*, actor: User, file: IO[bytes], dry_run: bool = False) -> ImportReport:
    """Check the workbook, then (unless `dry_run` or any problem) record every row."""
    report = ImportReport(dry_run=dry_run)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError):
        report.add(0, "file", _("This is not an Excel workbook (.xlsx)."))
        return report
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        report.add(0, "file", _("The sheet is empty."))
        return report
    header = [_norm(c) for c in rows[0]]
    cols: dict[str, int] = {}
    for key, head, aliases in COLUMNS:
        names = {_norm(head), *(_norm(a) for a in aliases)}
        for i, h in enumerate(header):
            if h in names:
                cols[key] = i
                break
    for key in REQUIRED:
        if key not in cols:
            report.add(1, key, _("This column is missing."))
    if report.errors:
        return report
    access = access_for(actor)
    kpis = {k.code: k for k in Kpi.objects.filter(is_active=True)}
    units = {u.code: u for u in OrgUnit.objects.filter(is_active=True)}
    planned: list[_Row] = []
    seen: set[tuple[Any, ...]] = set()
    for number, raw in enumerate(rows[1:], start=2):
        cell = {k: (raw[i] if i < len(raw) else None) for k, i in cols.items()}
        if all(_text(v) == "" for v in cell.values()):
            continue
        if _text(cell.get("note")) == "例":
            continue
        before = len(report.errors)
        kpi = kpis.get(_text(cell["kpi"]))
        if kpi is None:
            report.add(
                number,
                "kpi",
                _("No active KPI has the code %(code)s.") % {"code": _text(cell["kpi"])},
            )
        elif kpi.source != "entered":
            report.add(number, "kpi", _("This KPI is computed from SQMS's own records."))
            kpi = None
        start = end = None
        for key in ("start", "end"):
            try:
                value = _date(cell[key])
            except ValueError:
                value = None
            if value is None:
                report.add(number, key, _("Write the date as YYYY-MM-DD."))
            elif key == "start":
                start = value
            else:
                end = value
        if start and end and end < start:
            report.add(number, "end", _("The period ends before it starts."))
        unit = staff = None
        code = _text(cell["subject"])
        if kpi is not None:
            if kpi.subject == SubjectKind.STAFF:
                staff = Staff.objects.select_related("unit").filter(employee_no=code).first()
                unit = staff.unit if staff else None
                if staff is None:
                    report.add(
                        number,
                        "subject",
                        _("No staff member has the number %(no)s.") % {"no": code},
                    )
            else:
                unit = units.get(code)
                if unit is None:
                    report.add(
                        number,
                        "subject",
                        _("No active unit has the code %(code)s.") % {"code": code},
                    )
            if unit is not None and not access.covers(Cap.METRICS_MANAGE, unit.path):
                report.add(number, "subject", _("You may not enter figures for this unit."))
        numerator = denominator = None
        try:
            numerator = _number(cell["numerator"])
        except (InvalidOperation, ValueError):
            report.add(number, "numerator", _("A number is required."))
        if _text(cell.get("denominator")) != "":
            try:
                denominator = _number(cell["denominator"])
            except (InvalidOperation, ValueError):
                report.add(number, "denominator", _("A number is required."))
        if kpi is not None and numerator is not None and len(report.errors) == before:
            try:
                services.measurement_value(kpi, numerator, denominator)
            except DomainError as exc:
                for e in exc.errors:
                    report.add(number, str(e.loc[-1]), e.msg)
        if len(report.errors) > before:
            continue
        assert kpi is not None and start and end and numerator is not None
        key = (kpi.pk, staff.pk if staff else None, unit.pk if unit else None, start, end)
        if key in seen:
            report.add(
                number, "subject", _("The same KPI, subject and period appear on an earlier row.")
            )
            continue
        seen.add(key)
        planned.append(
            _Row(kpi, unit, staff, start, end, numerator, denominator, _text(cell.get("note")))
        )
    report.rows = len(planned)
    if report.errors or dry_run or not planned:
        return report
    with transaction.atomic():
        for r in planned:
            services.measurement_record(
                actor=actor,
                kpi=r.kpi,
                period_start=r.start,
                period_end=r.end,
                numerator=r.numerator,
                denominator=r.denominator,
                unit=r.unit,
                staff=r.staff,
                note=r.note,
                origin=Measurement.Origin.IMPORTED,
            )
    report.imported = True
    return report
